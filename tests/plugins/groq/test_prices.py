"""The Groq plugin's price table: it loads, states where and when its prices were
read, prices the flagship models (Groq serves no dated snapshots), and guesses nothing else."""

from __future__ import annotations

import pytest

from switchboard.pricing import load_price_table
from switchboard_groq import GroqProvider

# model: (input, output, cachedInput) in USD per million tokens, as the table has them.
FLAGSHIPS = {
    "llama-3.3-70b-versatile": (0.59, 0.79, None),
    "llama-3.1-8b-instant": (0.05, 0.08, None),
    "openai/gpt-oss-120b": (0.15, 0.6, None),
}
# Names that are other models: no price rather than a neighbour's.
UNKNOWN = [
    "llama-3.3-70b-specdec",
    "openai/gpt-oss-120b-preview",
]
# Known models whose prices could not be verified, so the table leaves them out.
LEFT_OUT: set[str] = {
    "openai/gpt-oss-20b",
}


def test_the_table_loads_and_says_where_and_when_its_prices_were_read() -> None:
    table = load_price_table("switchboard_groq")
    assert table == GroqProvider.prices
    assert table.source.startswith("https://")
    assert table.retrieved is not None
    assert table.currency == "USD"


@pytest.mark.parametrize(("model", "rates"), FLAGSHIPS.items())
def test_flagship_models_are_priced(model: str, rates: tuple[float, float, float | None]) -> None:
    price = GroqProvider.prices.price_for(model)
    assert price is not None, model
    assert (price.input, price.output, price.cached_input) == rates


@pytest.mark.parametrize("model", UNKNOWN)
def test_other_models_get_no_price(model: str) -> None:
    assert GroqProvider.prices.price_for(model) is None


def test_every_known_model_is_priced_or_knowingly_left_out() -> None:
    unpriced = {m for m in GroqProvider.known_models if GroqProvider.prices.price_for(m) is None}
    assert unpriced == LEFT_OUT
