"""Prices: how a model's price is found, what a request costs, and what is refused."""

from __future__ import annotations

import json
import math
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from switchboard.pricing import (
    NO_PRICES,
    LongContextPrice,
    ModelPrice,
    PriceTable,
    PricingError,
    load_price_table,
    lookup_price,
    validate_pricing,
)

GPT_4O = ModelPrice(input=2.5, output=10.0, cached_input=1.25)
GPT_4O_MINI = ModelPrice(input=0.15, output=0.6, cached_input=0.075)
OPUS_4 = ModelPrice(input=15.0, output=75.0)
OPUS_4_1 = ModelPrice(input=15.5, output=75.5)
PRICES = {
    "gpt-4o": GPT_4O,
    "gpt-4o-mini": GPT_4O_MINI,
    "claude-opus-4": OPUS_4,
    "claude-opus-4-1": OPUS_4_1,
    "gemini-2.0-flash": ModelPrice(input=0.1, output=0.4),
    "gpt-3.5-turbo": ModelPrice(input=0.5, output=1.5),
    "anthropic.claude-3-5-haiku": ModelPrice(input=0.8, output=4.0),
}


# -- lookup -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", GPT_4O),
        ("gpt-4o-mini", GPT_4O_MINI),
        ("gpt-4o-2024-08-06", GPT_4O),
        ("gpt-4o-mini-2024-07-18", GPT_4O_MINI),
        ("claude-opus-4-20250514", OPUS_4),
        ("claude-opus-4-1-20250805", OPUS_4_1),
        ("claude-opus-4-latest", OPUS_4),
        ("gemini-2.0-flash-001", PRICES["gemini-2.0-flash"]),
        ("gpt-3.5-turbo-0125", PRICES["gpt-3.5-turbo"]),
        ("anthropic.claude-3-5-haiku-20241022-v1:0", PRICES["anthropic.claude-3-5-haiku"]),
    ],
)
def test_a_model_is_priced_by_its_name_or_the_longest_name_it_snapshots(
    model: str, expected: ModelPrice
) -> None:
    assert lookup_price(model, PRICES) == expected


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o-audio-preview",  # another model that starts like gpt-4o
        "gpt-4o-realtime-preview-2024-12-17",
        "claude-opus-4-6",  # a newer model of the family: not priced as claude-opus-4
        "gpt-4",  # shorter than a known name
        "ft:gpt-4o-mini:acme::abc",
        "my-local-model",
        "",
    ],
)
def test_an_unknown_model_has_no_price_rather_than_a_neighbours(model: str) -> None:
    assert lookup_price(model, PRICES) is None


def test_ignored_prefixes_are_tried_only_when_the_name_is_unknown() -> None:
    listed = ModelPrice(input=1.0, output=1.0)
    prices = {**PRICES, "us.anthropic.claude-3-5-haiku-20241022-v1:0": listed}
    assert lookup_price("us.anthropic.claude-3-5-haiku-20241022-v1:0", prices, ("us.",)) == listed
    assert (
        lookup_price("us.anthropic.claude-3-5-haiku-20241022-v2:0", prices, ("us.",))
        == PRICES["anthropic.claude-3-5-haiku"]
    )
    assert lookup_price("eu.anthropic.claude-3-5-haiku-20241022-v1:0", prices, ("us.",)) is None
    assert lookup_price("us.", prices, ("us.",)) is None


def test_an_override_replaces_its_model_and_prices_that_models_snapshots_only() -> None:
    table = PriceTable(models=PRICES, source="https://example.test", retrieved=date(2026, 1, 1))
    mine = ModelPrice(input=2.0, output=8.0)
    merged = table.with_overrides({"gpt-4o": mine, "my-local-model": mine})
    assert merged.price_for("gpt-4o") == mine
    assert merged.price_for("gpt-4o-2024-08-06") == mine
    assert merged.price_for("gpt-4o-mini") == GPT_4O_MINI
    assert merged.price_for("my-local-model") == mine
    assert table.price_for("gpt-4o") == GPT_4O  # the plugin's table is left as it was
    assert table.with_overrides({}) is table
    assert NO_PRICES.price_for("gpt-4o") is None


# -- cost ---------------------------------------------------------------------------------


def test_cached_tokens_are_part_of_the_prompt_and_billed_at_the_cached_rate() -> None:
    cost = GPT_4O.cost(prompt_tokens=1_000, completion_tokens=200, cached_tokens=400)
    assert cost == pytest.approx((600 * 2.5 + 400 * 1.25 + 200 * 10.0) / 1e6)


def test_without_a_cached_rate_cached_tokens_cost_as_input() -> None:
    price = ModelPrice(input=3.0, output=15.0)
    assert price.cost(1_000, 100, cached_tokens=900) == pytest.approx(
        (1_000 * 3.0 + 100 * 15.0) / 1e6
    )


def test_cache_writes_are_part_of_the_prompt_and_billed_at_the_cache_write_rate() -> None:
    price = ModelPrice(input=3.0, output=15.0, cached_input=0.3, cache_write_input=3.75)
    cost = price.cost(3_100, 50, cached_tokens=1_000, cache_write_tokens=2_000)
    assert cost == pytest.approx((100 * 3.0 + 1_000 * 0.3 + 2_000 * 3.75 + 50 * 15.0) / 1e6)
    # Without a cache-write rate they cost as input.
    assert GPT_4O.cost(1_000, 0, cache_write_tokens=600) == pytest.approx(1_000 * 2.5 / 1e6)


def test_more_cache_writes_than_uncached_prompt_tokens_are_not_believed() -> None:
    price = ModelPrice(input=1.0, output=0.0, cached_input=0.1, cache_write_input=2.0)
    # 100 prompt tokens, 60 read from the cache: at most 40 can have been written.
    assert price.cost(100, 0, cached_tokens=60, cache_write_tokens=500) == pytest.approx(
        (60 * 0.1 + 40 * 2.0) / 1e6
    )
    assert price.cost(100, 0, cache_write_tokens=-5) == pytest.approx(100 * 1.0 / 1e6)


def test_a_long_prompt_bills_cache_writes_at_the_long_context_rate() -> None:
    price = ModelPrice(
        input=0.1,
        output=0.5,
        cache_write_input=0.125,
        long_context=LongContextPrice(
            above_tokens=1_000, input=0.5, output=2.5, cache_write_input=0.625
        ),
    )
    assert price.cost(2_000, 0, cache_write_tokens=1_000) == pytest.approx(
        (1_000 * 0.5 + 1_000 * 0.625) / 1e6
    )


def test_embeddings_cost_their_input_only() -> None:
    price = ModelPrice(input=0.02, output=0.0)
    assert price.cost(2_500_000, 0) == pytest.approx(0.05)


def test_more_cached_tokens_than_prompt_tokens_are_not_believed() -> None:
    assert GPT_4O.cost(100, 0, cached_tokens=500) == pytest.approx(100 * 1.25 / 1e6)
    assert GPT_4O.cost(100, 0, cached_tokens=-5) == pytest.approx(100 * 2.5 / 1e6)


def test_a_long_prompt_bills_every_token_at_the_long_context_rates() -> None:
    price = ModelPrice(
        input=1.25,
        output=10.0,
        cached_input=0.125,
        long_context=LongContextPrice(above_tokens=200_000, input=2.5, output=15.0),
    )
    assert price.cost(200_000, 1_000, 50_000) == pytest.approx(
        (150_000 * 1.25 + 50_000 * 0.125 + 1_000 * 10.0) / 1e6
    )
    # Over the threshold the tier has no cached rate of its own: cached tokens cost as input.
    assert price.cost(200_001, 1_000, 1) == pytest.approx((200_001 * 2.5 + 1_000 * 15.0) / 1e6)


# -- validation ---------------------------------------------------------------------------


def test_valid_overrides_come_back_as_prices() -> None:
    prices = validate_pricing(
        {
            "gpt-4o": {"input": 2.5, "output": 10, "cachedInput": 1.25},
            "gemini-2.5-pro": {
                "input": 1.25,
                "output": 10,
                "longContext": {"aboveTokens": 200000, "input": 2.5, "output": 15},
            },
        }
    )
    assert prices["gpt-4o"] == GPT_4O
    assert prices["gemini-2.5-pro"].long_context == LongContextPrice(
        above_tokens=200_000, input=2.5, output=15.0
    )


@pytest.mark.parametrize(
    ("value", "param", "says"),
    [
        ({"input": "2.5", "output": 10}, "pricing.gpt-4o.input", "Expected `float`, got `str`"),
        ({"input": -1, "output": 10}, "pricing.gpt-4o.input", ">= 0"),
        ({"input": 1, "output": math.inf}, "pricing.gpt-4o.output", "finite"),
        ({"input": 1, "output": 1, "cachedInput": math.nan}, "pricing.gpt-4o.cachedInput", ""),
        ({"input": 1}, "pricing.gpt-4o.output", "missing required field `output`"),
        ({"input": 1, "output": 1, "cached": 1}, "pricing.gpt-4o.cached", "unknown field"),
        (
            {"input": 1, "output": 1, "longContext": {"aboveTokens": 0, "input": 1, "output": 1}},
            "pricing.gpt-4o.longContext.aboveTokens",
            ">= 1",
        ),
        (
            {"input": 1, "output": 1, "longContext": {"aboveTokens": 9, "input": 1, "output": -2}},
            "pricing.gpt-4o.longContext.output",
            ">= 0",
        ),
        (3, "pricing.gpt-4o", "Expected `object`, got `int`"),
    ],
)
def test_bad_overrides_are_refused_naming_the_field(value: Any, param: str, says: str) -> None:
    with pytest.raises(PricingError) as refused:
        validate_pricing({"gpt-4o": value})
    assert refused.value.param == param
    assert says in str(refused.value)
    assert str(refused.value).startswith(param + ": ")


def test_model_names_must_be_reasonable() -> None:
    with pytest.raises(PricingError, match="model name"):
        validate_pricing({"": {"input": 1, "output": 1}})
    with pytest.raises(PricingError, match="model name"):
        validate_pricing({"m" * 201: {"input": 1, "output": 1}})


# -- tables -------------------------------------------------------------------------------


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: Any) -> str:
    # A package name of its own per test: imported packages stay in sys.modules.
    package = tmp_path / ("pricing_" + re.sub(r"\W", "_", tmp_path.name))
    package.mkdir()
    (package / "__init__.py").write_text("")
    content = table if isinstance(table, str) else json.dumps(table)
    (package / "prices.json").write_text(content)
    monkeypatch.syspath_prepend(str(tmp_path))
    return package.name


def test_a_table_loads_with_its_source_and_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = {
        "source": "https://example.test/pricing",
        "retrieved": "2026-12-06",
        "ignorePrefixes": ["us."],
        "models": {"m": {"input": 1, "output": 2}},
    }
    loaded = load_price_table(_package(tmp_path, monkeypatch, table))
    assert loaded.retrieved == date(2026, 12, 6)
    assert loaded.price_for("us.m") == ModelPrice(input=1, output=2)


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ({"retrieved": "2026-12-06", "models": {}}, "states its source and retrieved date"),
        ({"source": "https://x.test", "models": {}}, "states its source and retrieved date"),
        (
            {"source": "s", "retrieved": "2026-12-06", "models": {"m": {"input": 1}}},
            "missing required field `output`",
        ),
        ({"source": "s", "retrieved": "yesterday", "models": {}}, "Invalid RFC3339"),
        ("{not json", "not JSON"),
    ],
)
def test_a_bad_table_is_refused_naming_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: Any, says: str
) -> None:
    package = _package(tmp_path, monkeypatch, table)
    with pytest.raises(PricingError) as refused:
        load_price_table(package)
    assert refused.value.param == f"{package}/prices.json"
    assert says in str(refused.value)
