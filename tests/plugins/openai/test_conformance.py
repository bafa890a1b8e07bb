"""The OpenAI provider passes the shared provider conformance suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchboard.testing.conformance import ProviderConformance, ProviderKit
from tests.plugins.openai.kit import OpenAIKit


class TestOpenAIConformance(ProviderConformance):
    @pytest.fixture
    def kit(self) -> Iterator[ProviderKit]:
        with OpenAIKit() as kit:
            yield kit
