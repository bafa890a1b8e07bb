"""The Anthropic provider passes the shared provider conformance suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchboard.testing.conformance import ProviderConformance, ProviderKit
from tests.plugins.anthropic.kit import AnthropicKit


class TestAnthropicConformance(ProviderConformance):
    @pytest.fixture
    def kit(self) -> Iterator[ProviderKit]:
        with AnthropicKit() as kit:
            yield kit
