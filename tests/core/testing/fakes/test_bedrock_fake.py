"""The fake Bedrock Runtime is what the official SDK (boto3 ``bedrock-runtime``) expects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import boto3
import botocore.exceptions
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer
from yarl import URL

from switchboard.testing.fakes.bedrock import (
    BedrockFake,
    encode_message,
    event,
    exception_event,
    model_of,
)

KEY_ID = "AKIASDKCHECK00000001"
SECRET = "sdk-check-secret-access-key"
REGION = "us-west-2"
MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
PROFILE_ARN = (
    "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-v1:0"
)
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture
def fake() -> Iterator[BedrockFake]:
    with BedrockFake(KEY_ID, SECRET, region=REGION, model=MODEL) as server:
        yield server


def runtime(
    fake: BedrockFake,
    key_id: str = KEY_ID,
    secret: str = SECRET,
    *,
    service: str = "bedrock-runtime",
    region: str = REGION,
    **extra: Any,
) -> Any:
    """A boto3 client of ``service`` talking to the fake, without retries."""
    return boto3.client(
        service,
        endpoint_url=fake.url,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=NO_RETRIES,
        **extra,
    )


@pytest.fixture
def client(fake: BedrockFake) -> Any:
    return runtime(fake)


HELLO = [{"role": "user", "content": [{"text": "Hello"}]}]


def test_converse(fake: BedrockFake, client: Any) -> None:
    fake.script(fake.converse("Hi!", input_tokens=7, output_tokens=2, cache_read_tokens=3))
    answer = client.converse(
        modelId=MODEL, messages=HELLO, inferenceConfig={"maxTokens": 20, "stopSequences": ["END"]}
    )
    assert answer["output"]["message"]["content"] == [{"text": "Hi!"}]
    assert answer["stopReason"] == "end_turn"
    assert answer["usage"] == {
        "inputTokens": 7,
        "outputTokens": 2,
        "cacheReadInputTokens": 3,
        "totalTokens": 12,
    }
    assert answer["ResponseMetadata"]["RequestId"]
    assert fake.last.path == f"/model/{MODEL}/converse"
    assert model_of(fake.last) == MODEL
    assert fake.last.json["inferenceConfig"] == {"maxTokens": 20, "stopSequences": ["END"]}


def test_converse_with_an_inference_profile_arn(fake: BedrockFake, client: Any) -> None:
    # ":" and "/" are percent-encoded in the path and signed double-encoded: the fake
    # recomputes the signature over the raw path, as AWS does.
    answer = client.converse(modelId=PROFILE_ARN, messages=HELLO)
    assert answer["output"]["message"]["content"] == [{"text": "Hello from the fake."}]
    assert model_of(fake.last) == PROFILE_ARN


def test_tool_calls(fake: BedrockFake, client: Any) -> None:
    fake.script(
        fake.converse(
            "Let me check.",
            tool_uses=[
                {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}
            ],
            stop_reason="tool_use",
        )
    )
    answer = client.converse(
        modelId=MODEL,
        messages=HELLO,
        toolConfig={
            "tools": [
                {
                    "toolSpec": {
                        "name": "get_weather",
                        "inputSchema": {"json": {"type": "object"}},
                    }
                }
            ],
            "toolChoice": {"any": {}},
        },
    )
    text, use = answer["output"]["message"]["content"]
    assert text == {"text": "Let me check."}
    assert use["toolUse"] == {
        "toolUseId": "tooluse_1",
        "name": "get_weather",
        "input": {"city": "Paris"},
    }
    assert answer["stopReason"] == "tool_use"


def test_stream(fake: BedrockFake, client: Any) -> None:
    fake.script(
        fake.stream(
            fake.text_events(["Hel", "lo"], input_tokens=5, output_tokens=2, cache_write_tokens=4)
        )
    )
    answer = client.converse_stream(modelId=MODEL, messages=HELLO)
    events = list(answer["stream"])
    assert [next(iter(e)) for e in events] == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    assert text == "Hello"
    assert events[-2]["messageStop"] == {"stopReason": "end_turn"}
    assert events[-1]["metadata"]["usage"] == {
        "inputTokens": 5,
        "outputTokens": 2,
        "cacheWriteInputTokens": 4,
        "totalTokens": 11,
    }
    assert fake.last.path == f"/model/{MODEL}/converse-stream"


def test_stream_tool_call(fake: BedrockFake, client: Any) -> None:
    fake.script(
        fake.stream(
            fake.tool_events(
                tool_use_id="tooluse_7",
                name="get_weather",
                input_pieces=['{"city": "Pa', 'ris"}'],
                text="Checking.",
            )
        )
    )
    events = list(client.converse_stream(modelId=MODEL, messages=HELLO)["stream"])
    (start,) = [e["contentBlockStart"] for e in events if "contentBlockStart" in e]
    assert start == {
        "contentBlockIndex": 1,
        "start": {"toolUse": {"toolUseId": "tooluse_7", "name": "get_weather"}},
    }
    pieces = [
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})
    ]
    assert json.loads("".join(pieces)) == {"city": "Paris"}
    assert {"messageStop": {"stopReason": "tool_use"}} in events


def test_an_exception_inside_a_stream_is_the_sdks_error(fake: BedrockFake, client: Any) -> None:
    fake.script(
        fake.stream(
            [
                event("messageStart", {"role": "assistant"}),
                exception_event("throttlingException", "Too many tokens, please wait."),
            ]
        )
    )
    stream = client.converse_stream(modelId=MODEL, messages=HELLO)["stream"]
    with pytest.raises(botocore.exceptions.EventStreamError) as failed:
        list(stream)
    # botocore reports the member name of the stream's exception, camelCase as sent.
    assert failed.value.response["Error"] == {
        "Code": "throttlingException",
        "Message": "Too many tokens, please wait.",
    }


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "ValidationException"),
        (403, "AccessDeniedException"),
        (404, "ResourceNotFoundException"),
        (408, "ModelTimeoutException"),
        (424, "ModelErrorException"),
        (429, "ThrottlingException"),
        (500, "InternalServerException"),
        (503, "ServiceUnavailableException"),
    ],
)
def test_errors_are_the_sdks_exceptions(
    fake: BedrockFake, client: Any, status: int, name: str
) -> None:
    fake.script(fake.error(status, name, "the fake says no"))
    with pytest.raises(getattr(client.exceptions, name)) as failed:
        client.converse(modelId=MODEL, messages=HELLO)
    assert failed.value.response["Error"]["Message"] == "the fake says no"
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_bodies_bedrock_refuses_are_validation_errors(client: Any) -> None:
    twice = [*HELLO, {"role": "user", "content": [{"text": "again"}]}]
    with pytest.raises(client.exceptions.ValidationException, match="must alternate"):
        client.converse(modelId=MODEL, messages=twice)
    blank = [{"role": "user", "content": [{"text": " "}]}]
    with pytest.raises(client.exceptions.ValidationException, match="is blank"):
        client.converse(modelId=MODEL, messages=blank)
    tools = [
        *HELLO,
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}}],
        },
    ]
    with pytest.raises(client.exceptions.ValidationException, match="toolConfig"):
        client.converse(modelId=MODEL, messages=tools)
    with pytest.raises(client.exceptions.ValidationException, match="temperature"):
        client.converse(modelId=MODEL, messages=HELLO, inferenceConfig={"temperature": 1.5})


def test_wrong_credentials_get_awss_403s(fake: BedrockFake) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as wrong_secret:
        runtime(fake, secret="not-the-secret").converse(modelId=MODEL, messages=HELLO)
    assert wrong_secret.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert wrong_secret.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(botocore.exceptions.ClientError) as unknown_key:
        runtime(fake, key_id="AKIAUNKNOWN000000000").converse(modelId=MODEL, messages=HELLO)
    assert unknown_key.value.response["Error"]["Code"] == "UnrecognizedClientException"
    other_region = runtime(fake, region="eu-central-1")
    with pytest.raises(botocore.exceptions.ClientError, match="valid region"):
        other_region.converse(modelId=MODEL, messages=HELLO)


def test_titan_embeddings(fake: BedrockFake, client: Any) -> None:
    fake.script(fake.embedding([0.25, -0.5], tokens=3))
    answer = client.invoke_model(
        modelId="amazon.titan-embed-text-v2:0",
        body=json.dumps({"inputText": "a b c", "dimensions": 256, "normalize": True}),
        contentType="application/json",
        accept="application/json",
    )
    body = json.loads(answer["body"].read())
    assert body["embedding"] == [0.25, -0.5]
    assert body["inputTextTokenCount"] == 3
    assert fake.last.path == "/model/amazon.titan-embed-text-v2:0/invoke"
    with pytest.raises(client.exceptions.ValidationException, match="dimensions"):
        client.invoke_model(
            modelId="amazon.titan-embed-text-v2:0",
            body=json.dumps({"inputText": "a", "dimensions": 100}),
        )


def test_sts_assume_role_hands_out_credentials_the_fake_accepts(fake: BedrockFake) -> None:
    fake.role_duration = 900
    sts = runtime(fake, service="sts")
    role = "arn:aws:iam::123456789012:role/bedrock-caller"
    issued = sts.assume_role(RoleArn=role, RoleSessionName="sdk-check", ExternalId="ext-1")
    credentials = issued["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert issued["AssumedRoleUser"]["Arn"].endswith(":assumed-role/bedrock-caller/sdk-check")
    assert fake.assumed_roles == [
        {
            "Version": "2011-06-15",
            "RoleArn": role,
            "RoleSessionName": "sdk-check",
            "ExternalId": "ext-1",
        }
    ]
    temporary = runtime(
        fake,
        key_id=credentials["AccessKeyId"],
        secret=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    assert temporary.converse(modelId=MODEL, messages=HELLO)["stopReason"] == "end_turn"
    without_token = runtime(
        fake, key_id=credentials["AccessKeyId"], secret=credentials["SecretAccessKey"]
    )
    with pytest.raises(botocore.exceptions.ClientError, match="security token"):
        without_token.converse(modelId=MODEL, messages=HELLO)
    fake.sts_replies.append(fake.sts_error(403, "AccessDenied", "not authorized to assume"))
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        sts.assume_role(RoleArn=role, RoleSessionName="sdk-check")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


# -- the parts boto3 does not exercise on its own ----------------------------------------------


def test_boto3s_decoder_reads_the_encoder() -> None:
    frame = encode_message(
        {":event-type": "x", "flag": True, "off": False, "count": 7, "blob": b"\x00\x01"},
        b'{"a": 1}',
    )
    buffer = EventStreamBuffer()
    # Fed a byte at a time, as a slow network delivers it.
    messages = []
    for byte in frame + frame:
        buffer.add_data(bytes([byte]))
        messages.extend(buffer)
    assert len(messages) == 2
    assert messages[0].headers == {
        ":event-type": "x",
        "flag": True,
        "off": False,
        "count": 7,
        "blob": b"\x00\x01",
    }
    assert messages[0].payload == b'{"a": 1}'
    corrupted = bytearray(frame)
    corrupted[-6] ^= 0xFF
    buffer = EventStreamBuffer()
    buffer.add_data(bytes(corrupted))
    with pytest.raises(ChecksumMismatch):
        list(buffer)


async def _signed_post(
    fake: BedrockFake, *, sign_url: str, send_url: Any, service: str
) -> tuple[int, str]:
    body = json.dumps({"messages": HELLO}).encode()
    request = AWSRequest(
        method="POST", url=sign_url, data=body, headers={"content-type": "application/json"}
    )
    SigV4Auth(Credentials(KEY_ID, SECRET), service, REGION).add_auth(request)
    async with (
        aiohttp.ClientSession() as session,
        session.post(send_url, data=body, headers=dict(request.headers.items())) as response,
    ):
        return response.status, await response.text()


async def test_the_fake_checks_the_canonical_uri_and_the_signing_name(fake: BedrockFake) -> None:
    encoded = f"{fake.url}/model/{MODEL.replace(':', '%3A')}/converse"
    good = await _signed_post(
        fake, sign_url=encoded, send_url=URL(encoded, encoded=True), service="bedrock"
    )
    assert good[0] == 200
    # Signed over %3A but sent as ":" (what yarl does to a plain string): AWS refuses it.
    status, text = await _signed_post(fake, sign_url=encoded, send_url=encoded, service="bedrock")
    assert (status, json.loads(text)["message"][:31]) == (403, "The request signature we calcul")
    status, text = await _signed_post(
        fake, sign_url=encoded, send_url=URL(encoded, encoded=True), service="bedrock-runtime"
    )
    assert status == 403
    assert json.loads(text)["message"].startswith("Credential should be scoped to correct service")
