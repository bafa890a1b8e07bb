"""Embeddings on Bedrock: Titan Text Embeddings V2 through InvokeModel, one call per input.

| OpenAI ``/v1/embeddings``     | Titan Text Embeddings V2 (``POST /model/{id}/invoke``)    |
|-------------------------------|-----------------------------------------------------------|
| each ``input`` string         | one call ``{"inputText", "normalize": true,               |
|                               | "embeddingTypes": ["float"]}``                            |
| ``dimensions``                | ``dimensions`` (Titan takes 256, 512 or 1024)             |
| ``encoding_format: base64``   | the float vector packed as little-endian float32, base64  |
| ``usage.prompt_tokens``       | the sum of ``inputTextTokenCount``                        |
| ``user``                      | dropped (reported)                                        |

Token-array inputs and other model families (Cohere Embed, Titan V1, Nova) are refused
with a ``bad_request`` naming the model.
"""

from __future__ import annotations

import struct
from base64 import b64encode

import msgspec

from switchboard.dataplane.openai_types import Embedding, EmbeddingResponse, EmbeddingUsage
from switchboard.interfaces.provider import EmbeddingCall, ProviderError
from switchboard_bedrock.errors import PROVIDER, bad_request
from switchboard_bedrock.native import TitanEmbeddingRequest, TitanEmbeddingResponse

__all__ = [
    "MAX_CONCURRENT_CALLS",
    "embedding_response",
    "titan_body",
    "titan_inputs",
    "titan_vector",
]

#: Titan embeds one text per call; this many run at once for one request, so a long input
#: list neither waits call after call nor floods the account's throttling quota.
MAX_CONCURRENT_CALLS = 8

_TITAN_V2 = "amazon.titan-embed-text-v2"


def titan_inputs(call: EmbeddingCall) -> list[str]:
    """The texts to embed; refuses models other than Titan V2 and token-array inputs."""
    if _TITAN_V2 not in call.model:
        raise bad_request(
            f"model {call.model!r} has no embeddings through this gateway "
            "(only Titan Text Embeddings V2, amazon.titan-embed-text-v2:0)",
            "model",
        )
    texts = call.request.texts
    if texts is None:
        raise bad_request("Titan embeds text, not token arrays", "input")
    if isinstance(call.request.user, str) and call.request.user:
        call.drop("user")
    return texts


def titan_body(text: str, call: EmbeddingCall) -> bytes:
    """The InvokeModel body for one text."""
    dimensions = call.request.dimensions
    return msgspec.json.encode(
        TitanEmbeddingRequest(
            input_text=text,
            normalize=True,  # OpenAI's vectors are unit length; callers compare by dot product
            embedding_types=["float"],
            dimensions=dimensions if isinstance(dimensions, int) else None,
        )
    )


def titan_vector(raw: bytes) -> TitanEmbeddingResponse:
    """Titan's answer for one text; malformed is a ``server_error``."""
    try:
        return msgspec.json.decode(raw, type=TitanEmbeddingResponse)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ProviderError(
            "server_error", f"{PROVIDER} sent malformed embeddings: {exc}", status=200
        ) from None


def embedding_response(
    answers: list[TitanEmbeddingResponse], call: EmbeddingCall
) -> EmbeddingResponse:
    """OpenAI's embeddings answer, in input order."""
    as_base64 = call.request.encoding_format == "base64"
    data = [
        Embedding(
            index=index,
            embedding=(
                b64encode(struct.pack(f"<{len(a.embedding)}f", *a.embedding)).decode()
                if as_base64
                else a.embedding
            ),
        )
        for index, a in enumerate(answers)
    ]
    tokens = sum(a.input_text_token_count for a in answers)
    return EmbeddingResponse(
        data=data,
        model=call.model,
        usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens),
    )
