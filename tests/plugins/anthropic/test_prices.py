"""The Anthropic plugin's price table: it loads, states where and when its prices were
read, prices the flagship models and their snapshots, and guesses nothing else."""

from __future__ import annotations

import pytest

from switchboard.testing.price_checks import PriceTableChecks
from switchboard_anthropic import AnthropicProvider

# model: (input, output, cachedInput) in USD per million tokens, as the table has them.
FLAGSHIPS = {
    "claude-sonnet-5-5": (2.0, 10.0, 0.1),
    "claude-opus-5-5": (4.0, 20.0, 0.2),
    "claude-haiku-5-5": (0.1, 0.5, 0.01),
    "claude-sonnet-4-6": (3.0, 15.0, 0.3),
    "claude-haiku-4-5": (1.0, 5.0, 0.1),
}
# Snapshot ids and the listed model whose price they take.
SNAPSHOTS: dict[str, str] = {
    "claude-sonnet-4-20250514": "claude-sonnet-4",
    "claude-3-5-haiku-20241022": "claude-3-5-haiku",
    "claude-opus-4-1-20250805": "claude-opus-4-1",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet",
}
# Names that are other models: no price rather than a neighbour's.
UNKNOWN = [
    "claude-instant-1.2",
    "claude-fable-5-1",
]
# Known models whose prices could not be verified, so the table leaves them out.
LEFT_OUT: set[str] = set()


def test_long_haiku_5_5_prompts_are_billed_at_the_higher_tier() -> None:
    price = AnthropicProvider.prices.price_for("claude-haiku-5-5")
    assert price is not None
    assert price.cost(100_000, 1_000) == pytest.approx((100_000 * 0.1 + 1_000 * 0.5) / 1e6)
    assert price.cost(100_001, 1_000) == pytest.approx((100_001 * 0.5 + 1_000 * 2.5) / 1e6)


class TestPrices(PriceTableChecks):
    provider = AnthropicProvider
    package = "switchboard_anthropic"
    flagships = FLAGSHIPS
    snapshots = SNAPSHOTS
    unknown = UNKNOWN
    left_out = LEFT_OUT
