"""The database stopped for 30 seconds under load, then started: requests keep succeeding,
and afterwards every request is stored exactly once.

PostgreSQL is reached through a :class:`~switchboard.testing.tcp_proxy.TcpProxy`, which the
test cuts (open connections reset, new ones refused: a stopped server) and restores.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from switchboard.db.engine import create_engine
from switchboard.settings import Settings
from switchboard.testing import RunningGateway
from switchboard.testing.tcp_proxy import TcpProxy
from tests.core.api.conftest import api_settings
from tests.plugins.database_recorder.conftest import stored, wait_for_rows
from tests.plugins.database_recorder.gateway_world import Burst, Sent, gateway_world

pytestmark = pytest.mark.postgres

OUTAGE_SECONDS = 30.0
# Load through the whole outage: the cached keys and environments expire inside it (after
# switchboard.dataplane.runtime.STALE_AFTER_SECONDS), and then go on serving as they were.
LOAD_SECONDS = OUTAGE_SECONDS
CLIENTS = 6


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    url = make_url(postgres_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as running:
        yield running


@pytest.fixture
def switchboard_settings(tmp_path: Path, postgres_url: str, proxy: TcpProxy) -> Settings:
    through_proxy = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    return api_settings(str(tmp_path / "data"), through_proxy.render_as_string(False))


def keep_sending(world: Burst, until: float) -> list[Sent]:
    """Plain and streamed requests from several clients until ``until`` (monotonic)."""
    sent: list[Sent] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        kinds = ("plain", "stream")
        n = index
        while time.monotonic() < until:
            answer = world.send(kinds[n % 2])
            n += 1
            with lock:
                sent.append(answer)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent


async def test_a_30_second_outage_loses_and_duplicates_no_record(
    gateway: RunningGateway, proxy: TcpProxy, postgres_url: str
) -> None:
    spool = Path(gateway.settings.data_dir) / "spool"
    with gateway_world(gateway) as world:
        before = world.burst(["plain", "stream"] * 4)  # warms the key and environment caches
        await asyncio.sleep(2)  # so they expire before the outage ends
        proxy.cut()
        cut_at = time.monotonic()
        during = keep_sending(world, until=cut_at + LOAD_SECONDS)
        spooled = await asyncio.to_thread(lambda: list(spool.glob("*")))
        await asyncio.sleep(max(0.0, cut_at + OUTAGE_SECONDS - time.monotonic()))
        proxy.restore()
        after = world.burst(["plain", "stream"] * 4)

    assert {s.status for s in before + during + after} == {200}, "requests failed"
    assert len(during) > 100, "too little load to mean anything"
    assert spooled, "nothing was spooled during the outage"

    sent = sorted(s.request_id for s in before + during + after)
    engine = create_engine(postgres_url)
    try:
        await wait_for_rows(engine, len(sent), within=60)
        rows = await stored(engine)  # fails on a request id stored twice
        async with engine.connect() as connection:
            count = (
                await connection.exec_driver_sql("SELECT count(*) FROM request_records")
            ).scalar()
    finally:
        await engine.dispose()
    assert sorted(rows) == sent
    assert count == len(sent)
    assert not await asyncio.to_thread(lambda: any(spool.iterdir())), "spool not emptied"
