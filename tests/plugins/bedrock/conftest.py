"""Fixtures of the Bedrock tests: a started fake and the upstream HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from switchboard.http_client import HttpClient
from switchboard.testing.fakes.bedrock import BedrockFake
from tests.plugins.bedrock.kit import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY


@pytest.fixture
def fake() -> Iterator[BedrockFake]:
    with BedrockFake(ACCESS_KEY_ID, SECRET_ACCESS_KEY, region=REGION) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    async with HttpClient() as session:
        yield session
