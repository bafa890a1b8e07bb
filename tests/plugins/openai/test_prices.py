"""The OpenAI plugin's price table: it loads, states where and when its prices were
read, prices the flagship models and their snapshots, and guesses nothing else."""

from __future__ import annotations

import pytest

from switchboard.pricing import load_price_table
from switchboard_openai import OpenAIProvider

# model: (input, output, cachedInput) in USD per million tokens, as the table has them.
FLAGSHIPS = {
    "gpt-4o": (2.5, 10.0, 1.25),
    "gpt-4o-mini": (0.15, 0.6, 0.075),
    "gpt-4.1": (2.0, 8.0, 0.5),
    "gpt-5.5": (5.0, 30.0, 0.5),
    "text-embedding-3-small": (0.02, 0.0, None),
}
# Snapshot ids and the listed model whose price they take.
SNAPSHOTS: dict[str, str] = {
    "gpt-4o-2024-08-06": "gpt-4o",
    "gpt-4.1-mini-2025-04-14": "gpt-4.1-mini",
    "o4-mini-2025-04-16": "o4-mini",
}
# Names that are other models: no price rather than a neighbour's.
UNKNOWN = [
    "gpt-4o-realtime-preview",
    "ft:gpt-4o-mini:acme::x1",
]
# Known models whose prices could not be verified, so the table leaves them out.
LEFT_OUT: set[str] = set()


def test_the_table_loads_and_says_where_and_when_its_prices_were_read() -> None:
    table = load_price_table("switchboard_openai")
    assert table == OpenAIProvider.prices
    assert table.source.startswith("https://")
    assert table.retrieved is not None
    assert table.currency == "USD"


@pytest.mark.parametrize(("model", "rates"), FLAGSHIPS.items())
def test_flagship_models_are_priced(model: str, rates: tuple[float, float, float | None]) -> None:
    price = OpenAIProvider.prices.price_for(model)
    assert price is not None, model
    assert (price.input, price.output, price.cached_input) == rates


@pytest.mark.parametrize(("snapshot", "model"), SNAPSHOTS.items())
def test_snapshots_take_their_models_price(snapshot: str, model: str) -> None:
    price = OpenAIProvider.prices.price_for(snapshot)
    assert price is not None and price == OpenAIProvider.prices.models[model]


@pytest.mark.parametrize("model", UNKNOWN)
def test_other_models_get_no_price(model: str) -> None:
    assert OpenAIProvider.prices.price_for(model) is None


def test_every_known_model_is_priced_or_knowingly_left_out() -> None:
    unpriced = {
        m for m in OpenAIProvider.known_models if OpenAIProvider.prices.price_for(m) is None
    }
    assert unpriced == LEFT_OUT


def test_the_first_gpt_4o_snapshot_keeps_its_own_older_price() -> None:
    price = OpenAIProvider.prices.price_for("gpt-4o-2024-05-13")
    assert price is not None and (price.input, price.output) == (5.0, 15.0)
