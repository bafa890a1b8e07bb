"""The Bedrock plugin's price table: it loads, states where and when its prices were
read, prices the flagship models and their snapshots, and guesses nothing else."""

from __future__ import annotations

from switchboard.testing.price_checks import PriceTableChecks
from switchboard_bedrock import BedrockProvider

# model: (input, output, cachedInput) in USD per million tokens, as the table has them.
FLAGSHIPS = {
    "anthropic.claude-3-5-haiku-20241022-v1:0": (0.8, 4.0, 0.08),
    "anthropic.claude-3-7-sonnet-20250219-v1:0": (3.0, 15.0, 0.3),
    "us.anthropic.claude-sonnet-4-20250514-v1:0": (3.0, 15.0, 0.3),
    "amazon.nova-pro-v1:0": (0.8, 3.2, 0.2),
    "amazon.nova-micro-v1:0": (0.035, 0.14, None),
    "amazon.titan-embed-text-v2:0": (0.02, 0.0, None),
}
# Snapshot ids and the listed model whose price they take.
SNAPSHOTS: dict[str, str] = {
    "anthropic.claude-sonnet-4-20250514-v1:0": "anthropic.claude-sonnet-4",
    "us.anthropic.claude-3-5-haiku-20241022-v1:0": "anthropic.claude-3-5-haiku",
}
# Names that are other models: no price rather than a neighbour's.
UNKNOWN = [
    "eu.anthropic.claude-sonnet-4-20250514-v1:0",
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "amazon.titan-embed-text-v1",
]
# Known models whose prices could not be verified, so the table leaves them out.
LEFT_OUT: set[str] = {
    "amazon.nova-lite-v1:0",
    "meta.llama3-1-70b-instruct-v1:0",
    "mistral.mistral-large-2407-v1:0",
}


class TestPrices(PriceTableChecks):
    provider = BedrockProvider
    package = "switchboard_bedrock"
    flagships = FLAGSHIPS
    snapshots = SNAPSHOTS
    unknown = UNKNOWN
    left_out = LEFT_OUT
