"""The OpenAI plugin's price table: it loads, states where and when its prices were
read, prices the flagship models and their snapshots, and guesses nothing else."""

from __future__ import annotations

from switchboard.testing.price_checks import PriceTableChecks
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


def test_the_first_gpt_4o_snapshot_keeps_its_own_older_price() -> None:
    price = OpenAIProvider.prices.price_for("gpt-4o-2024-05-13")
    assert price is not None and (price.input, price.output) == (5.0, 15.0)


class TestPrices(PriceTableChecks):
    provider = OpenAIProvider
    package = "switchboard_openai"
    flagships = FLAGSHIPS
    snapshots = SNAPSHOTS
    unknown = UNKNOWN
    left_out = LEFT_OUT
