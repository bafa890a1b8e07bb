"""Fixtures of the Bedrock tests: a started fake and an aiohttp session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from switchboard.testing.fakes.bedrock import BedrockFake
from tests.plugins.bedrock.kit import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY


@pytest.fixture
def fake() -> Iterator[BedrockFake]:
    with BedrockFake(ACCESS_KEY_ID, SECRET_ACCESS_KEY, region=REGION) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
