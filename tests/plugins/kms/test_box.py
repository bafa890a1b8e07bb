"""The kms box against a local KMS (moto's server): envelope, context, cache, failures."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import pytest

from switchboard.errors import ServiceUnavailable
from switchboard.interfaces import SecretBoxError
from switchboard.plugins import PluginHost, resolve_selection
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard_kms.box import CONTEXT_KEY, KmsBox
from switchboard_kms.cache import DataKeyCache
from switchboard_kms.envelope import parse

from .conftest import CallLog

PLAINTEXT = b'{"apiKey": "sk-kms-0123456789abcdef"}'


async def test_round_trip_stores_a_wrapped_key_and_never_the_plaintext(
    box: KmsBox, environment: EnvironmentPlugins, kms: Any, key_arn: str
) -> None:
    sealed = await box.seal(PLAINTEXT, context="conn-1", environment=environment)
    assert await box.open(sealed, context="conn-1", environment=environment) == PLAINTEXT

    envelope = parse(sealed)
    assert envelope.key_arn == key_arn
    # The wrapped key is KMS's, bound to the connection: KMS unwraps it with the context.
    data_key = kms.decrypt(
        CiphertextBlob=envelope.wrapped_key, EncryptionContext={CONTEXT_KEY: "conn-1"}
    )["Plaintext"]
    assert len(data_key) == 32
    assert PLAINTEXT not in sealed and b"sk-kms" not in sealed
    assert data_key not in sealed


async def test_each_seal_gets_its_own_data_key(
    box: KmsBox, environment: EnvironmentPlugins, call_log: CallLog
) -> None:
    first = await box.seal(PLAINTEXT, context="c", environment=environment)
    second = await box.seal(PLAINTEXT, context="c", environment=environment)
    assert parse(first).wrapped_key != parse(second).wrapped_key
    assert call_log.count("GenerateDataKey") == 2


async def test_a_wrong_encryption_context_is_refused_by_kms(
    box: KmsBox, environment: EnvironmentPlugins, call_log: CallLog
) -> None:
    sealed = await box.seal(PLAINTEXT, context="conn-1", environment=environment)
    # Opened once, so the right data key is in the cache: a copy must still not open.
    assert await box.open(sealed, context="conn-1", environment=environment) == PLAINTEXT
    with pytest.raises(SecretBoxError, match="InvalidCiphertextException") as caught:
        await box.open(sealed, context="conn-2", environment=environment)
    assert call_log.count("Decrypt") == 2  # the copy missed the cache and KMS said no
    assert "sk-kms" not in str(caught.value)


async def test_tampering_is_refused(box: KmsBox, environment: EnvironmentPlugins, kms: Any) -> None:
    sealed = await box.seal(PLAINTEXT, context="c", environment=environment)
    body = bytearray(sealed)
    body[-1] ^= 0x01
    with pytest.raises(SecretBoxError, match="did not verify"):
        await box.open(bytes(body), context="c", environment=environment)

    envelope = parse(sealed)
    wrapped_at = len(envelope.header) - len(envelope.wrapped_key)
    wrapped = bytearray(sealed)
    wrapped[wrapped_at + 40] ^= 0x01
    box.cache.clear()
    with pytest.raises(SecretBoxError, match="refused to unwrap"):
        await box.open(bytes(wrapped), context="c", environment=environment)

    for broken in (b"", b"\x02" + sealed[1:], sealed[:10], sealed[: len(envelope.header) + 30]):
        with pytest.raises(SecretBoxError, match="kms ciphertext"):
            await box.open(broken, context="c", environment=environment)


async def test_the_cache_saves_decrypts_within_its_window(
    box: KmsBox, environment: EnvironmentPlugins, call_log: CallLog
) -> None:
    now = [1000.0]
    box.cache = DataKeyCache(clock=lambda: now[0])
    sealed = await box.seal(PLAINTEXT, context="c", environment=environment)

    for _ in range(3):
        assert await box.open(sealed, context="c", environment=environment) == PLAINTEXT
    assert call_log.count("Decrypt") == 1

    now[0] += 299  # the default window is 300 s
    await box.open(sealed, context="c", environment=environment)
    assert call_log.count("Decrypt") == 1
    now[0] += 2
    await box.open(sealed, context="c", environment=environment)
    assert call_log.count("Decrypt") == 2


async def test_concurrent_opens_share_one_decrypt(
    box: KmsBox, environment: EnvironmentPlugins, call_log: CallLog
) -> None:
    sealed = await box.seal(PLAINTEXT, context="c", environment=environment)
    opened = await asyncio.gather(
        *(box.open(sealed, context="c", environment=environment) for _ in range(20))
    )
    assert opened == [PLAINTEXT] * 20
    assert call_log.count("Decrypt") == 1


async def test_a_zero_window_disables_the_cache(
    box: KmsBox, host: PluginHost, key_arn: str, kms_endpoint: str, call_log: CallLog
) -> None:
    environment = resolve_selection(
        host,
        {
            "kms": {
                "settings": {
                    "keyId": key_arn,
                    "endpointUrl": kms_endpoint,
                    "dataKeyCacheSeconds": 0,
                }
            }
        },
    )
    sealed = await box.seal(PLAINTEXT, context="c", environment=environment)
    await box.open(sealed, context="c", environment=environment)
    await box.open(sealed, context="c", environment=environment)
    assert call_log.count("Decrypt") == 2
    assert len(box.cache) == 0


async def test_kms_calls_run_off_the_event_loop(
    box: KmsBox, environment: EnvironmentPlugins, call_log: CallLog
) -> None:
    loop_thread = threading.get_ident()
    sealed = await box.seal(PLAINTEXT, context="c", environment=environment)
    await box.open(sealed, context="c", environment=environment)
    assert {name for name, _ in call_log.calls} == {"GenerateDataKey", "Decrypt"}
    assert all(thread != loop_thread for _, thread in call_log.calls)


async def test_it_opens_where_kms_is_no_longer_switched_on(
    box: KmsBox, environment: EnvironmentPlugins, host: PluginHost
) -> None:
    """The key ARN in the ciphertext is enough: settings may change after sealing."""
    sealed = await box.seal(PLAINTEXT, context="c", environment=environment)
    box.cache.clear()
    without_kms = resolve_selection(host, {})
    assert "kms" not in without_kms.enabled
    # No endpointUrl any more: the client goes where AWS_ENDPOINT_URL_KMS points (the
    # local server; see conftest), in the region named by the stored key ARN.
    assert await box.open(sealed, context="c", environment=without_kms) == PLAINTEXT


async def test_sealing_where_kms_is_off_is_refused(box: KmsBox, host: PluginHost) -> None:
    with pytest.raises(ServiceUnavailable, match=r"plugins\.kms\.settings\.keyId"):
        await box.seal(PLAINTEXT, context="c", environment=resolve_selection(host, {}))


async def test_needs_reseal_compares_the_wrapping_key(
    box: KmsBox, environment: EnvironmentPlugins, host: PluginHost, kms: Any, kms_endpoint: str
) -> None:
    sealed = await box.seal(PLAINTEXT, context="c", environment=environment)
    assert not await box.needs_reseal(sealed, context="c", environment=environment)

    key_id = parse(sealed).key_arn.rsplit("/", 1)[1]
    by_id = resolve_selection(
        host, {"kms": {"settings": {"keyId": key_id, "endpointUrl": kms_endpoint}}}
    )
    assert not await box.needs_reseal(sealed, context="c", environment=by_id)

    other = kms.create_key()["KeyMetadata"]["Arn"]
    moved = resolve_selection(
        host, {"kms": {"settings": {"keyId": other, "endpointUrl": kms_endpoint}}}
    )
    assert await box.needs_reseal(sealed, context="c", environment=moved)
    resealed = await box.seal(
        await box.open(sealed, context="c", environment=moved), context="c", environment=moved
    )
    assert parse(resealed).key_arn == other


async def test_an_unreachable_kms_is_a_503_naming_kms(host: PluginHost, key_arn: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = f"http://127.0.0.1:{port}"
    environment = resolve_selection(
        host, {"kms": {"settings": {"keyId": key_arn, "endpointUrl": dead}}}
    )
    box = KmsBox()
    try:
        with pytest.raises(ServiceUnavailable, match="AWS KMS GenerateDataKey failed") as caught:
            await box.seal(PLAINTEXT, context="c", environment=environment)
    finally:
        await box.aclose()
    assert caught.value.status_code == 503
    assert "sk-kms" not in str(caught.value)


async def test_a_missing_key_is_a_503_with_kms_own_reason(
    box: KmsBox, host: PluginHost, kms_endpoint: str
) -> None:
    missing = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    environment = resolve_selection(
        host, {"kms": {"settings": {"keyId": missing, "endpointUrl": kms_endpoint}}}
    )
    with pytest.raises(ServiceUnavailable, match="NotFoundException"):
        await box.seal(PLAINTEXT, context="c", environment=environment)
