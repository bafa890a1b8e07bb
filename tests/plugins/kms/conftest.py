"""A local AWS KMS (moto's server on a free port) and hermetic AWS settings for boto3."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from switchboard.plugins import PluginHost, resolve_selection
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard.settings import load_settings
from switchboard_kms.box import KmsBox, default_client_factory

REGION = "eu-west-1"


@pytest.fixture(scope="session")
def kms_endpoint() -> Iterator[str]:
    """URL of a moto server, shared by the session (each test makes its own keys)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def aws_environment(kms_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, no config files, and every KMS call sent to the local server.

    ``AWS_ENDPOINT_URL_KMS`` makes sure that even a client built without ``endpointUrl``
    never reaches real AWS.
    """
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", kms_endpoint)


@pytest.fixture
def kms(kms_endpoint: str, aws_environment: None) -> Any:
    """A boto3 KMS client of the test itself (to create keys and check what the box stored)."""
    return boto3.client("kms", region_name=REGION, endpoint_url=kms_endpoint)


@pytest.fixture
def key_arn(kms: Any) -> str:
    """A new symmetric KMS key."""
    arn: str = kms.create_key(Description="switchboard test")["KeyMetadata"]["Arn"]
    return arn


@pytest.fixture
def host() -> PluginHost:
    """The installed kms and libsodium plugins."""
    host = PluginHost(load_settings({}, plugins="kms,libsodium"))
    host.load_entry_points()
    return host


@pytest.fixture
def environment(host: PluginHost, key_arn: str, kms_endpoint: str) -> EnvironmentPlugins:
    """An environment with kms switched on under ``key_arn``."""
    return resolve_selection(
        host, {"kms": {"settings": {"keyId": key_arn, "endpointUrl": kms_endpoint}}}
    )


@dataclass
class CallLog:
    """KMS operations the box sent, with the thread each ran on."""

    calls: list[tuple[str, int]] = field(default_factory=list)

    def count(self, operation: str) -> int:
        return sum(1 for name, _ in self.calls if name == operation)

    def factory(self, region: str | None, endpoint_url: str | None) -> Any:
        client = default_client_factory(region, endpoint_url)

        def record(model: Any, **_: Any) -> None:
            self.calls.append((model.name, threading.get_ident()))

        client.meta.events.register("before-call.kms.*", record)
        return client


@pytest.fixture
def call_log() -> CallLog:
    return CallLog()


@pytest.fixture
async def box(call_log: CallLog) -> AsyncIterator[KmsBox]:
    """A kms box whose KMS calls are counted; closed afterwards."""
    box = KmsBox(client_factory=call_log.factory)
    yield box
    await box.aclose()
