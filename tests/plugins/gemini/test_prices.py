"""The Gemini plugin's price table: it loads, states where and when its prices were
read, prices the flagship models and their snapshots, and guesses nothing else."""

from __future__ import annotations

import pytest

from switchboard.pricing import load_price_table
from switchboard_gemini import GeminiProvider

# model: (input, output, cachedInput) in USD per million tokens, as the table has them.
FLAGSHIPS = {
    "gemini-2.5-pro": (1.25, 10.0, 0.125),
    "gemini-2.5-flash": (0.3, 2.5, 0.03),
    "gemini-2.5-flash-lite": (0.1, 0.4, 0.01),
}
# Snapshot ids and the listed model whose price they take.
SNAPSHOTS: dict[str, str] = {
    "gemini-2.5-flash-001": "gemini-2.5-flash",
    "gemini-2.5-pro-latest": "gemini-2.5-pro",
}
# Names that are other models: no price rather than a neighbour's.
UNKNOWN = [
    "gemini-2.5-flash-image",
    "gemini-2.5-flash-preview-tts",
]
# Known models whose prices could not be verified, so the table leaves them out.
LEFT_OUT: set[str] = {
    "gemini-embedding-001",
}


def test_the_table_loads_and_says_where_and_when_its_prices_were_read() -> None:
    table = load_price_table("switchboard_gemini")
    assert table == GeminiProvider.prices
    assert table.source.startswith("https://")
    assert table.retrieved is not None
    assert table.currency == "USD"


@pytest.mark.parametrize(("model", "rates"), FLAGSHIPS.items())
def test_flagship_models_are_priced(model: str, rates: tuple[float, float, float | None]) -> None:
    price = GeminiProvider.prices.price_for(model)
    assert price is not None, model
    assert (price.input, price.output, price.cached_input) == rates


@pytest.mark.parametrize(("snapshot", "model"), SNAPSHOTS.items())
def test_snapshots_take_their_models_price(snapshot: str, model: str) -> None:
    price = GeminiProvider.prices.price_for(snapshot)
    assert price is not None and price == GeminiProvider.prices.models[model]


@pytest.mark.parametrize("model", UNKNOWN)
def test_other_models_get_no_price(model: str) -> None:
    assert GeminiProvider.prices.price_for(model) is None


def test_every_known_model_is_priced_or_knowingly_left_out() -> None:
    unpriced = {
        m for m in GeminiProvider.known_models if GeminiProvider.prices.price_for(m) is None
    }
    assert unpriced == LEFT_OUT


def test_long_gemini_2_5_pro_prompts_are_billed_at_the_higher_tier() -> None:
    price = GeminiProvider.prices.price_for("gemini-2.5-pro")
    assert price is not None
    assert price.cost(300_000, 1_000, 100_000) == pytest.approx(
        (200_000 * 2.5 + 100_000 * 0.25 + 1_000 * 15.0) / 1e6
    )
