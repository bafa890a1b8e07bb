"""Connection settings and credentials, SigV4 signing, and roles assumed through STS."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import msgspec
import pytest

from switchboard.dataplane.openai_types import ChatCompletionRequest, ChatMessage
from switchboard.http_client import HttpClient
from switchboard.interfaces.provider import ProviderCall, ProviderError
from switchboard.testing.fakes.bedrock import BedrockFake
from switchboard_bedrock import BedrockCredentials, BedrockProvider, BedrockSettings
from switchboard_bedrock.auth import AssumedRoles, AwsCredentials, sign
from tests.plugins.bedrock.kit import ACCESS_KEY_ID, SECRET_ACCESS_KEY, upstream_fields

ROLE = "arn:aws:iam::123456789012:role/switchboard-bedrock"

# -- settings and credentials ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        {"accessKeyId": ACCESS_KEY_ID, "secretAccessKey": "s"},
        {"accessKeyId": ACCESS_KEY_ID, "secretAccessKey": "s", "sessionToken": "t"},
        {"roleArn": ROLE},
        {
            "roleArn": ROLE,
            "externalId": "ext-1",
            "accessKeyId": ACCESS_KEY_ID,
            "secretAccessKey": "s",
        },
    ],
)
def test_credentials_are_a_key_a_role_or_both(raw: dict[str, str]) -> None:
    assert isinstance(msgspec.convert(raw, BedrockCredentials), BedrockCredentials)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({}, "give an access key"),
        ({"accessKeyId": ACCESS_KEY_ID}, "go together"),
        ({"secretAccessKey": "s", "roleArn": ROLE}, "go together"),
        ({"sessionToken": "t", "roleArn": ROLE}, "sessionToken needs"),
        (
            {"accessKeyId": ACCESS_KEY_ID, "secretAccessKey": "s", "externalId": "e1"},
            "externalId needs",
        ),
        ({"roleArn": "arn:aws:iam::12:user/x"}, "roleArn"),
        ({"roleArn": ROLE, "apiKey": "x"}, "apiKey"),
    ],
)
def test_incomplete_or_unknown_credentials_are_refused(raw: dict[str, str], problem: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=problem):
        msgspec.convert(raw, BedrockCredentials)


def test_credentials_never_show_in_their_repr() -> None:
    credentials = BedrockCredentials(
        access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY, session_token="tok-123"
    )
    shown = repr(credentials) + str(credentials)
    assert ACCESS_KEY_ID not in shown and SECRET_ACCESS_KEY not in shown and "tok-123" not in shown
    assert "secret_access_key='***'" in shown
    assert SECRET_ACCESS_KEY not in repr(AwsCredentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY))


def test_settings() -> None:
    settings = msgspec.convert({"region": "eu-west-3"}, BedrockSettings)
    assert settings.runtime_url == "https://bedrock-runtime.eu-west-3.amazonaws.com"
    custom = msgspec.convert(
        {"region": "us-gov-west-1", "endpointUrl": "https://vpce-1.example.com/"}, BedrockSettings
    )
    assert custom.runtime_url == "https://vpce-1.example.com"
    for bad in ({}, {"region": "Paris"}, {"region": "us-east-1", "baseUrl": "http://x"}):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert(bad, BedrockSettings)


# -- signing -----------------------------------------------------------------------------------


def test_signatures_are_scoped_to_bedrock_and_carry_the_session_token() -> None:
    headers = sign(
        AwsCredentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, "session-token"),
        region="eu-west-3",
        url="https://bedrock-runtime.eu-west-3.amazonaws.com/model/a.b%3A0/converse",
        body=b"{}",
        headers={"content-type": "application/json"},
    )
    authorization = headers["Authorization"]
    assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/")
    assert "/eu-west-3/bedrock/aws4_request, SignedHeaders=" in authorization
    assert "x-amz-security-token" in authorization
    assert headers["X-Amz-Security-Token"] == "session-token"
    assert headers["content-type"] == "application/json"


# -- roles through the provider and the fake STS -----------------------------------------------


def role_call(
    fake: BedrockFake,
    http: HttpClient,
    *,
    with_key: bool = True,
    sts_url: str | None = None,
) -> ProviderCall:
    keys: dict[str, Any] = (
        {"access_key_id": ACCESS_KEY_ID, "secret_access_key": SECRET_ACCESS_KEY} if with_key else {}
    )
    return ProviderCall(
        request=ChatCompletionRequest(
            model="chat", messages=[ChatMessage(role="user", content="Hi")]
        ),
        **upstream_fields(
            fake.url,
            http,
            sts_url=sts_url,
            credentials=BedrockCredentials(role_arn=ROLE, external_id="ext-42", **keys),
        ),
    )


async def test_a_role_is_assumed_once_and_its_credentials_sign_the_calls(
    fake: BedrockFake, http: HttpClient
) -> None:
    provider = BedrockProvider()
    for _ in range(2):
        answer = await provider.complete(role_call(fake, http))
        assert answer.choices[0].message.content == "Hello from the fake."
    assert fake.assumed_roles == [
        {
            "Version": "2011-06-15",
            "RoleArn": ROLE,
            "RoleSessionName": "switchboard-conn-1",
            "ExternalId": "ext-42",
        }
    ]
    # The Bedrock calls were signed with the temporary key and its session token.
    assert all(r.header("x-amz-security-token") for r in fake.requests)
    assert all("Credential=ASIA" in (r.header("authorization") or "") for r in fake.requests)


async def test_concurrent_calls_share_one_assume_role(fake: BedrockFake, http: HttpClient) -> None:
    fake.sts_delay = 0.2
    provider = BedrockProvider()
    await asyncio.gather(*(provider.complete(role_call(fake, http)) for _ in range(5)))
    assert len(fake.sts_requests) == 1
    assert len(fake.requests) == 5


async def test_credentials_are_renewed_shortly_before_they_expire(
    fake: BedrockFake, http: HttpClient
) -> None:
    import time

    now = [time.time()]
    provider = BedrockProvider()
    provider.roles = AssumedRoles(clock=lambda: now[0])
    await provider.complete(role_call(fake, http))
    now[0] += 3600 - 600  # ten minutes left: still good
    await provider.complete(role_call(fake, http))
    assert len(fake.sts_requests) == 1
    now[0] += 360  # four minutes left: renewed before a call could fail on them
    await provider.complete(role_call(fake, http))
    assert len(fake.sts_requests) == 2


async def test_assuming_a_role_does_not_block_the_event_loop(
    fake: BedrockFake, http: HttpClient
) -> None:
    fake.sts_delay = 0.5
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        await BedrockProvider().complete(role_call(fake, http))
    finally:
        ticker.cancel()
    # 0.5 s of STS at 10 ms a tick: a blocked loop would have ticked once or twice.
    assert ticks >= 20


async def test_the_gateways_own_identity_assumes_a_role_given_alone(
    fake: BedrockFake,
    http: HttpClient,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # botocore's credential chain, kept hermetic: the environment holds the identity.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    answer = await BedrockProvider().complete(role_call(fake, http, with_key=False))
    assert answer.choices[0].message.content == "Hello from the fake."
    assert f"Credential={ACCESS_KEY_ID}/" in (fake.sts_requests[0].header("authorization") or "")


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [
        (403, "AccessDenied", "auth"),
        (400, "ExpiredToken", "auth"),
        (400, "Throttling", "rate_limit"),
        (500, "InternalFailure", "server_error"),
    ],
)
async def test_sts_failures_map_to_the_gateways_classes(
    fake: BedrockFake, http: HttpClient, status: int, code: str, error_class: str
) -> None:
    # Twice: botocore's one retry of a throttled or failing STS call gets the same answer.
    fake.sts_replies.extend([fake.sts_error(status, code, "no role for you")] * 2)
    with pytest.raises(ProviderError) as failed:
        await BedrockProvider().complete(role_call(fake, http))
    error = failed.value
    assert (error.error_class, error.error_type) == (error_class, code)
    assert error.message.startswith(f"bedrock could not assume role {ROLE}: STS answered")
    assert "no role for you" in error.message
    assert SECRET_ACCESS_KEY not in error.message and ACCESS_KEY_ID not in error.message
    assert fake.requests == []  # nothing reached Bedrock


async def test_an_unreachable_sts_is_a_network_error(fake: BedrockFake, http: HttpClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(ProviderError) as failed:
        await BedrockProvider().complete(role_call(fake, http, sts_url=closed))
    assert failed.value.error_class == "network"
    assert "could not assume role" in failed.value.message
