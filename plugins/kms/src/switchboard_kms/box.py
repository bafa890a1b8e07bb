"""The ``kms`` secret box: AWS KMS envelope encryption bound to the connection id.

Sealing asks KMS for a fresh AES-256 data key (``GenerateDataKey``) under the environment's
``keyId``, with the encryption context ``{"switchboard:connection": <connection id>}``;
encrypts the credentials locally with that data key; and stores the wrapped data key with
the ciphertext (layout in :mod:`switchboard_kms.envelope`). Opening asks KMS to unwrap the
data key (``Decrypt``, same encryption context), so KMS's audit trail (CloudTrail) shows every
unwrap with the connection it was for, and access to the credentials can be revoked by a
key policy.

Local encryption is XChaCha20-Poly1305 (PyNaCl, already a core dependency) rather than
AES-GCM: each data key seals exactly one message, so either AEAD is safe here, and this way
the plugin needs no second crypto library. The 32 bytes KMS generates for ``AES_256`` are a
uniformly random 256-bit key, which is what XChaCha20-Poly1305 takes.

boto3 is blocking: every KMS call (and client creation, which reads credentials and config
files) runs in a worker thread through :func:`asyncio.to_thread`, never on the event loop.
Credentials come from boto3's default chain.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

import boto3
import nacl.exceptions
import nacl.utils
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
)

from switchboard.errors import ServiceUnavailable
from switchboard.interfaces import SecretBox, SecretBoxError
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard_kms.cache import DataKeyCache
from switchboard_kms.config import DEFAULT_DATA_KEY_CACHE_SECONDS, KmsSettings
from switchboard_kms.envelope import NONCE_BYTES, encode_header, parse

__all__ = ["CONTEXT_KEY", "PLUGIN_NAME", "ClientFactory", "KmsBox", "default_client_factory"]

PLUGIN_NAME = "kms"
CONTEXT_KEY = "switchboard:connection"
DATA_KEY_BYTES = 32

ClientFactory = Callable[[str | None, str | None], Any]
"""``(region, endpoint_url) -> boto3 KMS client``; called in a worker thread."""

_ARN = re.compile(r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):\d{12}:(?P<resource>.+)$")
# KMS says a ciphertext is not for this key or context with these codes: the ciphertext
# does not open, which is a SecretBoxError. Anything else is KMS being unreachable or
# refusing the caller, which the operator fixes: a 503.
_REFUSED = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


# botocore logs whole request and response bodies at DEBUG, and the body of a
# GenerateDataKey or Decrypt response is the plaintext data key. Whatever the gateway's own
# log level (SWITCHBOARD_LOG_LEVEL=debug sets the root logger), botocore stays at INFO.
_BOTOCORE_LOG = logging.getLogger("botocore")
if _BOTOCORE_LOG.level < logging.INFO:
    _BOTOCORE_LOG.setLevel(logging.INFO)


def default_client_factory(region: str | None, endpoint_url: str | None) -> Any:
    """A KMS client from boto3's default credential chain, with bounded retries and timeouts."""
    # A Session per client: boto3's default session is not thread-safe to create clients from.
    session = boto3.session.Session()
    return session.client(
        "kms",
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=5,
            read_timeout=10,
        ),
    )


def region_of(key: str) -> str | None:
    """The region named in a key or alias ARN, or ``None`` for key ids and alias names."""
    match = _ARN.match(key)
    return match.group("region") if match else None


class KmsBox(SecretBox):
    """Envelope encryption with one fresh data key per seal and a brief data-key cache."""

    name = PLUGIN_NAME

    def __init__(self, client_factory: ClientFactory = default_client_factory) -> None:
        self._client_factory = client_factory
        self._clients: dict[tuple[str | None, str | None], Any] = {}
        self._clients_lock = threading.Lock()
        self.cache = DataKeyCache()

    def __repr__(self) -> str:
        return f"KmsBox({len(self._clients)} clients, {self.cache!r})"

    async def seal(
        self, plaintext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bytes:
        """Wrap a fresh data key under the environment's key and seal ``plaintext`` with it."""
        settings = _settings(environment)
        if settings is None:
            raise ServiceUnavailable(
                "the kms secret box is not switched on in this environment: set "
                "plugins.kms.settings.keyId",
                code="kms_not_configured",
            )
        client = await self._client(
            settings.region or region_of(settings.key_id), settings.endpoint_url
        )
        response = await _call(
            "GenerateDataKey",
            client.generate_data_key,
            KeyId=settings.key_id,
            KeySpec="AES_256",
            EncryptionContext={CONTEXT_KEY: context},
        )
        data_key: bytes = response["Plaintext"]
        if len(data_key) != DATA_KEY_BYTES:
            raise ServiceUnavailable(
                f"AWS KMS returned a {len(data_key)}-byte data key for AES_256",
                code="kms_error",
            )
        header = encode_header(response["KeyId"], response["CiphertextBlob"])
        nonce = nacl.utils.random(NONCE_BYTES)
        body = crypto_aead_xchacha20poly1305_ietf_encrypt(
            plaintext, header + context.encode(), nonce, data_key
        )
        return header + nonce + body

    async def open(
        self, ciphertext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bytes:
        """Unwrap the data key with KMS (or the cache) and open the ciphertext.

        Works in an environment that no longer has kms switched on (its ciphertexts stay
        readable until rotated): the key ARN stored in the ciphertext says which key and
        region to ask; the environment's settings, when present, add the endpoint and the
        cache window.
        """
        envelope = parse(ciphertext)
        settings = _settings(environment)
        region = region_of(envelope.key_arn) or (settings.region if settings else None)
        endpoint_url = settings.endpoint_url if settings else None
        ttl = settings.data_key_cache_seconds if settings else DEFAULT_DATA_KEY_CACHE_SECONDS

        async def unwrap() -> bytes:
            client = await self._client(region, endpoint_url)
            response = await _call(
                "Decrypt",
                client.decrypt,
                CiphertextBlob=envelope.wrapped_key,
                KeyId=envelope.key_arn,
                EncryptionContext={CONTEXT_KEY: context},
            )
            plaintext: bytes = response["Plaintext"]
            return plaintext

        data_key = await self.cache.get((envelope.wrapped_key, context), ttl, unwrap)
        try:
            return crypto_aead_xchacha20poly1305_ietf_decrypt(
                envelope.body, envelope.header + context.encode(), envelope.nonce, data_key
            )
        except nacl.exceptions.CryptoError:
            raise SecretBoxError(
                "the credentials did not verify: the ciphertext was altered or belongs to "
                "another connection"
            ) from None

    async def needs_reseal(
        self, ciphertext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bool:
        """Whether the data key is wrapped by a key other than the environment's ``keyId``.

        An alias cannot be resolved without asking KMS, so with an alias as ``keyId`` every
        ciphertext is re-sealed: harmless, one GenerateDataKey per connection.
        """
        settings = _settings(environment)
        if settings is None:
            return True
        arn = parse(ciphertext).key_arn
        wanted = settings.key_id
        return not (arn == wanted or arn.endswith(f":key/{wanted}"))

    async def aclose(self) -> None:
        """Close the KMS clients' connection pools and forget cached data keys."""
        self.cache.clear()
        with self._clients_lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            await asyncio.to_thread(client.close)

    async def _client(self, region: str | None, endpoint_url: str | None) -> Any:
        key = (region, endpoint_url)
        client = self._clients.get(key)
        if client is None:
            client = await asyncio.to_thread(self._create_client, key)
        return client

    def _create_client(self, key: tuple[str | None, str | None]) -> Any:
        # Under a lock: two requests racing for a new region must not build two clients.
        with self._clients_lock:
            client = self._clients.get(key)
            if client is None:
                try:
                    client = self._client_factory(*key)
                except BotoCoreError as exc:  # e.g. no region configured anywhere
                    raise ServiceUnavailable(
                        f"cannot create an AWS KMS client: {exc}", code="kms_error"
                    ) from exc
                self._clients[key] = client
            return client


def _settings(environment: EnvironmentPlugins) -> KmsSettings | None:
    """The kms settings of ``environment``, or ``None`` where kms is not switched on."""
    value = environment.settings.get(PLUGIN_NAME)
    return value if isinstance(value, KmsSettings) else None


async def _call(action: str, method: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    """Run a blocking boto3 call in a thread; turn its failures into the gateway's errors."""
    try:
        response: dict[str, Any] = await asyncio.to_thread(method, **kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        if code in _REFUSED:
            raise SecretBoxError(
                f"AWS KMS refused to unwrap the data key ({code}): the ciphertext belongs to "
                "another connection or key, or was altered"
            ) from None
        message = str(error.get("Message", "")).strip()
        raise ServiceUnavailable(
            f"AWS KMS {action} failed: {code}" + (f": {message}" if message else ""),
            code="kms_error",
        ) from exc
    except BotoCoreError as exc:  # no credentials, endpoint unreachable, timeouts
        raise ServiceUnavailable(f"AWS KMS {action} failed: {exc}", code="kms_error") from exc
    return response
