"""The Bedrock provider passes the shared provider conformance suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchboard.testing.conformance import ProviderConformance, ProviderKit
from tests.plugins.bedrock.kit import BedrockKit


class TestBedrockConformance(ProviderConformance):
    @pytest.fixture
    def kit(self) -> Iterator[ProviderKit]:
        with BedrockKit() as kit:
            yield kit
