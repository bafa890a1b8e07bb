"""The Groq plugin's price table: it loads, states where and when its prices were
read, prices the flagship models (Groq serves no dated snapshots), and guesses nothing else."""

from __future__ import annotations

from switchboard.testing.price_checks import PriceTableChecks
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


class TestPrices(PriceTableChecks):
    provider = GroqProvider
    package = "switchboard_groq"
    flagships = FLAGSHIPS
    unknown = UNKNOWN
    left_out = LEFT_OUT
