"""Nothing the kms box produces shows a credential or a plaintext data key, even at DEBUG.

botocore logs whole response bodies at DEBUG, and a GenerateDataKey or Decrypt response
carries the plaintext data key: the scenario runs with every logger at DEBUG to prove the
plugin keeps those lines out.
"""

from __future__ import annotations

import base64
import logging
import os
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from switchboard.plugins import PluginHost, resolve_selection
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard_kms.box import CONTEXT_KEY, KmsBox
from switchboard_kms.envelope import parse

API_KEY = "sk-kms-never-shown-" + os.urandom(8).hex()
PLAINTEXT = ('{"apiKey": "' + API_KEY + '"}').encode()


def forms(secret: bytes | str) -> set[str]:
    """The ways a secret could show up in text."""
    if isinstance(secret, str):
        return {secret}
    return {
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
        secret.hex(),
        repr(secret)[2:-1],
    }


async def rendered_error(action: Callable[[], Awaitable[Any]]) -> str:
    try:
        await action()
    except Exception as exc:
        return "".join(traceback.format_exception(exc)) + repr(exc)
    raise AssertionError("expected an error")


async def test_no_credential_or_data_key_appears_in_anything_produced(
    box: KmsBox,
    environment: EnvironmentPlugins,
    host: PluginHost,
    key_arn: str,
    kms: Any,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        sealed = await box.seal(PLAINTEXT, context="conn-1", environment=environment)
        assert await box.open(sealed, context="conn-1", environment=environment) == PLAINTEXT
        texts.append(
            await rendered_error(
                lambda: box.open(sealed, context="conn-2", environment=environment)
            )
        )
        tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
        texts.append(
            await rendered_error(
                lambda: box.open(tampered, context="conn-1", environment=environment)
            )
        )
        dead = resolve_selection(
            host, {"kms": {"settings": {"keyId": key_arn, "endpointUrl": "http://127.0.0.1:9"}}}
        )
        texts.append(
            await rendered_error(lambda: box.seal(PLAINTEXT, context="c", environment=dead))
        )
        texts.extend([repr(box), repr(box.cache), repr(environment.settings["kms"])])

    data_key = kms.decrypt(
        CiphertextBlob=parse(sealed).wrapped_key, EncryptionContext={CONTEXT_KEY: "conn-1"}
    )["Plaintext"]
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    texts.extend(formatter.format(record) for record in caplog.records)
    captured = capsys.readouterr()
    texts.extend([captured.out, captured.err])
    assert any("InvalidCiphertextException" in t for t in texts)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # DEBUG was really on

    for label, secret in (("data key", data_key), ("api key", API_KEY), ("plaintext", PLAINTEXT)):
        for shape in forms(secret):
            leaks = [text for text in texts if shape in text]
            assert not leaks, f"the {label} appears in: {leaks[0][:300]}"
