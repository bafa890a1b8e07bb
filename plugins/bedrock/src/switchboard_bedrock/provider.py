"""The Bedrock provider: Converse and ConverseStream, Titan embeddings, signed with SigV4.

Each call is built from the gateway's OpenAI request (:mod:`.request`), signed with the
connection's credentials (:mod:`.auth`: an access key, or a role assumed through STS) and
sent through the gateway's shared HTTP client; the answer comes back through
:mod:`.response` or, streamed, :mod:`.stream`. Failures map through :mod:`.errors`.

The model id is one path segment, percent-encoded except ``-._~`` (``:`` → ``%3A``,
``/`` → ``%2F`` in ARNs), and sent exactly as signed (the gateway's HTTP client does not
normalise URLs; a client that turned ``%3A`` back into ``:`` would get a 403 from AWS, whose
canonical URI would then differ).
Bedrock announces no rate limits in headers, so ``call.discovered`` stays unset.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import ClassVar
from urllib.parse import quote

import msgspec

from switchboard.dataplane.openai_types import (
    ChatCompletion,
    ChatCompletionChunk,
    EmbeddingResponse,
)
from switchboard.http_client import Response
from switchboard.interfaces.provider import EmbeddingCall, Provider, ProviderCall, Upstream
from switchboard.pricing import PriceTable, load_price_table
from switchboard.upstream import translated_errors
from switchboard_bedrock.auth import AssumedRoles, sign
from switchboard_bedrock.config import BedrockCredentials, BedrockSettings
from switchboard_bedrock.embeddings import (
    MAX_CONCURRENT_CALLS,
    embedding_response,
    titan_body,
    titan_inputs,
    titan_vector,
)
from switchboard_bedrock.errors import PROVIDER, http_error
from switchboard_bedrock.native import TitanEmbeddingResponse
from switchboard_bedrock.request import converse_request
from switchboard_bedrock.response import chat_completion, completion_id
from switchboard_bedrock.stream import ChunkTranslator, EventStreamDecoder

__all__ = ["BedrockProvider", "model_path"]

_JSON = "application/json"
_EVENT_STREAM = "application/vnd.amazon.eventstream"


def model_path(model_id: str, operation: str) -> str:
    """``/model/{modelId}/{operation}`` with the id percent-encoded as one path segment."""
    return f"/model/{quote(model_id, safe='-._~')}/{operation}"


class BedrockProvider(Provider):
    """Amazon Bedrock Runtime: chat through Converse (plain and streamed), Titan embeddings."""

    name: ClassVar[str] = PROVIDER
    display_name: ClassVar[str] = "Amazon Bedrock"
    settings_type = BedrockSettings
    credentials_type = BedrockCredentials
    supports_embeddings = True
    known_models: ClassVar[tuple[str, ...]] = (
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "amazon.nova-pro-v1:0",
        "amazon.nova-lite-v1:0",
        "amazon.nova-micro-v1:0",
        "meta.llama3-1-70b-instruct-v1:0",
        "mistral.mistral-large-2407-v1:0",
        "amazon.titan-embed-text-v2:0",
    )
    # List prices per model (USD per million tokens), read once at import; a
    # connection's ``pricing`` overrides them.
    prices: ClassVar[PriceTable] = load_price_table("switchboard_bedrock")

    def __init__(self) -> None:
        self.roles = AssumedRoles()

    async def complete(self, call: ProviderCall) -> ChatCompletion:
        body = msgspec.json.encode(converse_request(call))
        raw, answer_id = await self._post(call, "converse", body)
        return chat_completion(raw, answer_id=answer_id, created=int(time.time()), model=call.model)

    async def stream(self, call: ProviderCall) -> AsyncIterator[ChatCompletionChunk]:
        body = msgspec.json.encode(converse_request(call))
        async with self._call(call, "converse-stream", body, accept=_EVENT_STREAM) as response:
            translator = ChunkTranslator(
                answer_id=completion_id(response.headers),
                created=int(time.time()),
                model=call.model,
            )
            decoder = EventStreamDecoder()
            async for data in response.content.iter_any():
                for message in decoder.feed(data):
                    for chunk in translator.translate(message):
                        yield chunk
            decoder.close()
        translator.finish()

    async def embed(self, call: EmbeddingCall) -> EmbeddingResponse:
        texts = titan_inputs(call)
        limit = asyncio.Semaphore(MAX_CONCURRENT_CALLS)

        async def embed_one(text: str) -> TitanEmbeddingResponse:
            async with limit:
                raw, _ = await self._post(call, "invoke", titan_body(text, call))
            return titan_vector(raw)

        tasks = [asyncio.ensure_future(embed_one(text)) for text in texts]
        try:
            answers = await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()  # after a failure, the calls still running are of no use
        return embedding_response(list(answers), call)

    # -- plumbing ----------------------------------------------------------------------------

    async def _signed(
        self, upstream: Upstream, operation: str, body: bytes, *, accept: str
    ) -> tuple[str, dict[str, str]]:
        """The URL and the signed headers of a call of ``operation`` on the model."""
        settings: BedrockSettings = upstream.settings
        credentials = await self.roles.resolve(
            upstream.credentials,
            settings,
            connection_id=upstream.connection_id,
            timeouts=upstream.timeouts,
        )
        url = settings.runtime_url + model_path(upstream.model, operation)
        headers = sign(
            credentials,
            region=settings.region,
            url=url,
            body=body,
            headers={"content-type": _JSON, "accept": accept},
        )
        return url, headers

    @asynccontextmanager
    async def _call(
        self, upstream: Upstream, operation: str, body: bytes, *, accept: str
    ) -> AsyncIterator[Response]:
        """A signed call whose answer is a success: errors are raised as ProviderError,
        and so are transport failures while the answer is read."""
        url, headers = await self._signed(upstream, operation, body, accept=accept)
        with translated_errors(self.name):
            async with upstream.session.post(
                url,
                data=body,
                headers=headers,
                timeout=upstream.timeouts,
            ) as response:
                if response.status >= 400:
                    raise http_error(response.status, await response.read(), response.headers)
                yield response

    async def _post(self, upstream: Upstream, operation: str, body: bytes) -> tuple[bytes, str]:
        """Send a JSON call; the answer body and the answer's id."""
        async with self._call(upstream, operation, body, accept=_JSON) as response:
            return await response.read(), completion_id(response.headers)
