"""The Gemini plugin's price table: it loads, states where and when its prices were
read, prices the flagship models and their snapshots, and guesses nothing else."""

from __future__ import annotations

import pytest

from switchboard.testing.price_checks import PriceTableChecks
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


def test_long_gemini_2_5_pro_prompts_are_billed_at_the_higher_tier() -> None:
    price = GeminiProvider.prices.price_for("gemini-2.5-pro")
    assert price is not None
    assert price.cost(300_000, 1_000, 100_000) == pytest.approx(
        (200_000 * 2.5 + 100_000 * 0.25 + 1_000 * 15.0) / 1e6
    )


class TestPrices(PriceTableChecks):
    provider = GeminiProvider
    package = "switchboard_gemini"
    flagships = FLAGSHIPS
    snapshots = SNAPSHOTS
    unknown = UNKNOWN
    left_out = LEFT_OUT
