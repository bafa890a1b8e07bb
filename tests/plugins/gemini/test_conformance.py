"""The Gemini provider passes the shared provider conformance suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchboard.testing.conformance import ProviderConformance, ProviderKit
from tests.plugins.gemini.kit import GeminiKit


class TestGeminiConformance(ProviderConformance):
    @pytest.fixture
    def kit(self) -> Iterator[ProviderKit]:
        with GeminiKit() as kit:
            yield kit
