"""A throwaway Redis Cluster of three primaries, for tests of code that runs on one.

:class:`RedisClusterNodes` starts ``redis-server --cluster-enabled yes`` processes on free
ports (in a folder of their own, saving nothing), joins them with ``redis-cli --cluster
create`` and lets tests look inside (``INFO``, which node serves a key) or stop and restart a
node. The pytest plugin's session fixtures ``redis_cluster`` and ``redis_cluster_url`` start
one per test session; :func:`redis_cluster_binaries` is how they find the programs (skipping,
or failing when services are required, without them).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from switchboard.testing.services import REQUIRE_SERVICES_ENV

__all__ = ["RedisClusterNodes", "redis_cluster_binaries"]


def redis_cluster_binaries() -> tuple[str, str]:
    """The paths of ``redis-server`` and ``redis-cli``.

    Skips the test with the reason when either is not on ``PATH``, unless
    ``SWITCHBOARD_REQUIRE_SERVICES=1``, which makes it fail instead (as for the test Redis).
    """
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server is None or cli is None:
        reason = "redis-server and redis-cli are not on PATH; the Redis Cluster tests need them"
        if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
            pytest.fail(f"{reason} ({REQUIRE_SERVICES_ENV}=1)", pytrace=False)
        pytest.skip(reason)
    return server, cli


class RedisClusterNodes:
    """Three ``redis-server --cluster-enabled yes`` processes on free ports, in ``directory``."""

    def __init__(self, server: str, cli: str, directory: Path) -> None:
        self.server, self.redis_cli, self.directory = server, cli, directory
        self.ports: list[int] = []
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        """The URL of the first node (the client finds the others)."""
        return f"redis://127.0.0.1:{self.ports[0]}"

    def create(self) -> None:
        """Start the nodes, join them with ``redis-cli --cluster create``, wait until it is ok."""
        self.ports = _free_cluster_ports(3)
        for port in self.ports:
            self.start(port)
        nodes = [f"127.0.0.1:{port}" for port in self.ports]
        subprocess.run(  # noqa: S603 - redis-cli from PATH, arguments of our own
            [
                self.redis_cli,
                "--cluster",
                "create",
                *nodes,
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        self.wait_until_ok()

    def start(self, port: int) -> None:
        """Start (or restart, keeping its cluster config) the node on ``port``."""
        self.processes[port] = subprocess.Popen(  # noqa: S603 - redis-server from PATH
            [
                self.server,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--cluster-enabled", "yes",
                "--cluster-config-file", f"nodes-{port}.conf",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
                "--logfile", f"redis-{port}.log",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(port, self.processes[port])

    def stop(self, port: int) -> None:
        """Stop the node on ``port`` (this process started it, so its id is known)."""
        process = self.processes.pop(port)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def info(self, port: int, section: str) -> dict[str, str]:
        """``INFO <section>`` (or ``CLUSTER INFO`` for ``cluster``) of one node, as a dict."""
        command = ["cluster", "info"] if section == "cluster" else ["info", section]
        lines = self.cli(port, *command).splitlines()
        pairs = (line.split(":", 1) for line in lines if ":" in line)
        return {key: value.strip() for key, value in pairs}

    def owner_of(self, key: str) -> int:
        """The port of the primary that serves ``key``'s slot."""
        first = self.ports[0]
        slot = int(self.cli(first, "cluster", "keyslot", key))
        # ``<id> <host>:<port>@<bus> <flags> <primary> <ping> <pong> <epoch> <link> <slots>...``
        for line in self.cli(first, "cluster", "nodes").splitlines():
            fields = line.split()
            port = int(fields[1].split("@")[0].rsplit(":", 1)[1])
            for shard in fields[8:]:
                low, _, high = shard.partition("-")
                if low.isdigit() and int(low) <= slot <= int(high or low):
                    return port
        raise AssertionError(f"no node serves slot {slot}")

    def cli(self, port: int, *command: str) -> str:
        """What ``redis-cli`` prints for ``command`` sent to the node on ``port``."""
        done = subprocess.run(  # noqa: S603 - redis-cli from PATH, the test's command
            [self.redis_cli, "-p", str(port), *command],
            capture_output=True,
            check=True,
            timeout=10,
        )
        return done.stdout.decode()

    def wait_until_ok(self, timeout: float = 20.0) -> None:
        """Wait until every node reports ``cluster_state:ok``."""
        deadline = time.monotonic() + timeout
        while True:
            states = [self.info(port, "cluster").get("cluster_state") for port in self.ports]
            if all(state == "ok" for state in states):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the test cluster is not ok after {timeout}s: {states}")
            time.sleep(0.05)

    def close(self) -> None:
        """Stop every node."""
        for port in list(self.processes):
            self.stop(port)


def _free_cluster_ports(count: int) -> list[int]:
    """Free ports whose cluster bus ports (port + 10000) are free too."""
    ports: list[int] = []
    held: list[socket.socket] = []
    try:
        while len(ports) < count:
            first = socket.socket()
            first.bind(("127.0.0.1", 0))
            held.append(first)
            port = first.getsockname()[1]
            if port + 10000 > 65535:
                continue
            bus = socket.socket()
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                bus.close()
                continue
            held.append(bus)
            ports.append(port)
    finally:
        for sock in held:
            sock.close()
    return ports


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if process.poll() is not None:
                raise AssertionError(f"redis-server on port {port} exited") from None
            if time.monotonic() > deadline:
                raise AssertionError(f"redis-server on port {port} did not start") from None
            time.sleep(0.02)
