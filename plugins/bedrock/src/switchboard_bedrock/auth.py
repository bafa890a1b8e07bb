"""Who a connection is to AWS: SigV4 signatures, and the temporary credentials of a role.

Signing uses botocore's own ``SigV4Auth`` over the exact URL the request is sent to, so the
canonical URI double-encodes the percent-encoded model id as AWS expects (``%3A`` is signed
as ``%253A``). Roles are assumed with botocore's STS client in a worker thread: its
credential chain (environment, shared config, instance metadata) and the STS call block,
and the event loop must not. The temporary credentials are cached per role and source
identity until five minutes before they expire.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.session import Session

from switchboard.interfaces.provider import ErrorClass, ProviderError, Timeouts
from switchboard.upstream import error_class_for
from switchboard_bedrock.config import BedrockCredentials, BedrockSettings
from switchboard_bedrock.errors import PROVIDER

__all__ = ["SIGNING_NAME", "AssumedRoles", "AwsCredentials", "sign"]

#: Bedrock Runtime signs as ``bedrock``, not ``bedrock-runtime`` (a 403 otherwise).
SIGNING_NAME = "bedrock"

#: Temporary credentials are renewed this many seconds before they expire.
REFRESH_BEFORE_SECONDS = 300.0


class AwsCredentials(msgspec.Struct, frozen=True):
    """Credentials to sign with: an access key, and a session token when temporary."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:
        return "AwsCredentials(access_key_id='***', secret_access_key='***')"


def sign(
    credentials: AwsCredentials,
    *,
    region: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    method: str = "POST",
    service: str = SIGNING_NAME,
) -> dict[str, str]:
    """``headers`` plus ``X-Amz-Date``, ``Authorization`` (and ``X-Amz-Security-Token``).

    ``url`` must be byte for byte the URL sent, its path already percent-encoded.
    """
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    boto_credentials = Credentials(
        credentials.access_key_id, credentials.secret_access_key, credentials.session_token
    )
    SigV4Auth(boto_credentials, service, region).add_auth(request)
    return {str(name): str(value) for name, value in request.headers.items()}


class _RoleKey(msgspec.Struct, frozen=True):
    """What identifies a cached role session (never the secret itself)."""

    role_arn: str
    external_id: str | None
    source_access_key_id: str | None
    region: str
    sts_endpoint_url: str | None


_SESSION_NAME_INVALID = re.compile(r"[^\w+=,.@-]")


def _session_name(connection_id: str) -> str:
    """STS wants ``[\\w+=,.@-]{2,64}``; the name shows in CloudTrail as who called."""
    return _SESSION_NAME_INVALID.sub("-", f"switchboard-{connection_id}")[:64]


_STS_THROTTLING = frozenset({"Throttling", "ThrottlingException"})
_STS_AUTH = frozenset(
    {"AccessDenied", "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken"}
)


def _failure(role_arn: str, exc: Exception) -> ProviderError:
    """A failed AssumeRole as the gateway's error, naming the role and never a secret."""
    prefix = f"{PROVIDER} could not assume role {role_arn}"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "error"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
        error_class: ErrorClass = error_class_for(status)
        if code in _STS_THROTTLING:
            error_class = "rate_limit"
        elif code in _STS_AUTH:
            error_class = "auth"
        return ProviderError(
            error_class,
            f"{prefix}: STS answered {status} {code}: {error.get('Message', '')}",
            status=status,
            error_type=code,
        )
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError)):
        return ProviderError(
            "auth", f"{prefix}: the gateway has no AWS credentials to assume it with", status=401
        )
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)):
        return ProviderError("timeout", f"{prefix}: STS did not answer in time")
    return ProviderError("network", f"{prefix}: {type(exc).__name__}")


class AssumedRoles:
    """Temporary credentials of assumed roles, cached until shortly before they expire.

    One instance per provider (so per process); concurrent calls of a connection whose
    credentials are missing or stale wait for one AssumeRole instead of each making one.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._sessions: dict[_RoleKey, tuple[AwsCredentials, float]] = {}
        self._locks: dict[_RoleKey, asyncio.Lock] = {}

    async def resolve(
        self,
        credentials: BedrockCredentials,
        settings: BedrockSettings,
        *,
        connection_id: str,
        timeouts: Timeouts,
    ) -> AwsCredentials:
        """The credentials to sign a call of this connection with."""
        source = None
        if credentials.access_key_id is not None and credentials.secret_access_key is not None:
            source = AwsCredentials(
                credentials.access_key_id, credentials.secret_access_key, credentials.session_token
            )
        if credentials.role_arn is None:
            assert source is not None, "BedrockCredentials has a key or a role"
            return source
        key = _RoleKey(
            role_arn=credentials.role_arn,
            external_id=credentials.external_id,
            source_access_key_id=source.access_key_id if source else None,
            region=settings.region,
            sts_endpoint_url=settings.sts_endpoint_url,
        )
        fresh = self._fresh(key)
        if fresh is not None:
            return fresh
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            fresh = self._fresh(key)  # another call may have renewed them meanwhile
            if fresh is not None:
                return fresh
            try:
                assumed, expires = await asyncio.to_thread(
                    _assume_role, key, source, _session_name(connection_id), timeouts
                )
            except (BotoCoreError, ClientError) as exc:
                raise _failure(key.role_arn, exc) from None
            self._forget_expired()
            self._sessions[key] = (assumed, expires)
            return assumed

    def _fresh(self, key: _RoleKey) -> AwsCredentials | None:
        cached = self._sessions.get(key)
        if cached is None or cached[1] - self._clock() <= REFRESH_BEFORE_SECONDS:
            return None
        return cached[0]

    def _forget_expired(self) -> None:
        now = self._clock()
        for key in [k for k, (_, expires) in self._sessions.items() if expires <= now]:
            del self._sessions[key]


def _assume_role(
    key: _RoleKey, source: AwsCredentials | None, session_name: str, timeouts: Timeouts
) -> tuple[AwsCredentials, float]:
    """STS AssumeRole (blocking: runs in a worker thread); credentials and expiry (epoch)."""
    client: Any = Session().create_client(
        "sts",
        region_name=key.region,
        endpoint_url=key.sts_endpoint_url,
        aws_access_key_id=source.access_key_id if source else None,
        aws_secret_access_key=source.secret_access_key if source else None,
        aws_session_token=source.session_token if source else None,
        config=Config(
            connect_timeout=timeouts.connect,
            read_timeout=timeouts.first_byte,
            retries={"total_max_attempts": 2, "mode": "standard"},
        ),
    )
    arguments = {"RoleArn": key.role_arn, "RoleSessionName": session_name}
    if key.external_id is not None:
        arguments["ExternalId"] = key.external_id
    answer = client.assume_role(**arguments)
    issued = answer["Credentials"]
    return (
        AwsCredentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]),
        float(issued["Expiration"].timestamp()),
    )
