"""Sharing between worker processes, in one process: run folders, worker files, and
recorders that stand for the workers of one run."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

from switchboard.plugins import EnvironmentPlugins
from switchboard_prometheus.aggregates import Aggregates
from switchboard_prometheus.recorder import PrometheusRecorder
from switchboard_prometheus.sharing import RunIdentity, SharedRun, serve_master, this_host
from tests.plugins.prometheus.records import request
from tests.plugins.prometheus.support import Scrape

REQUESTS = "switchboard_requests_total"
NO_ENVIRONMENT = cast("EnvironmentPlugins", None)  # the recorder does not read it
LINUX_PROC = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_process_serving_alone_shares_nothing(tmp_path: Path) -> None:
    assert serve_master(1) is None
    assert SharedRun.for_process(tmp_path, 1) is None
    # A server that forks its own workers says so with SWITCHBOARD_WORKERS.
    assert serve_master(4) == os.getppid()


@LINUX_PROC
def test_a_run_is_named_after_its_host_master_and_when_it_started() -> None:
    run = RunIdentity.of(os.getpid())
    assert run.started.isdigit()
    assert run.folder_name == f"run-{this_host()}-{os.getpid()}-{run.started}"


def test_workers_read_each_others_latest_snapshot(tmp_path: Path) -> None:
    run = RunIdentity(os.getpid(), "1")
    first, second = SharedRun(tmp_path, run, "1-a"), SharedRun(tmp_path, run, "2-b")
    first.prepare()
    assert first.others() == []
    first.publish(b"first, old")
    first.publish(b"first, new")
    second.publish(b"second")
    assert first.others() == [b"second"]
    assert second.others() == [b"first, new"]
    assert sorted(p.name for p in first.folder.iterdir()) == [
        "worker-1-a.msgpack",
        "worker-2-b.msgpack",
    ]


@LINUX_PROC
def test_starting_removes_this_hosts_runs_whose_master_is_gone(tmp_path: Path) -> None:
    me = os.getpid()
    ours = RunIdentity.of(me)
    folders = {
        "gone": RunIdentity(dead_pid(), "123").folder_name,
        "pid reused since": RunIdentity(os.getppid(), "1").folder_name,
        "our master's earlier run": RunIdentity(me, "1").folder_name,
        "another live server": RunIdentity.of(os.getppid()).folder_name,
        "another host's": RunIdentity(dead_pid(), "123", host="elsewhere").folder_name,
        "not a run": "notes",
    }
    for name in folders.values():
        (tmp_path / name).mkdir()
        (tmp_path / name / "worker-1-a.msgpack").write_bytes(b"old")
    SharedRun(tmp_path, ours).prepare()
    left = {p.name for p in tmp_path.iterdir()}
    kept = ("another live server", "another host's", "not a run")
    assert left == {ours.folder_name, *(folders[k] for k in kept)}


def test_a_removed_run_folder_is_made_again(tmp_path: Path) -> None:
    run = SharedRun(tmp_path, RunIdentity(os.getpid(), "1"), "1-a")
    run.publish(b"snapshot")
    assert run.own.read_bytes() == b"snapshot"


def feed(worker: PrometheusRecorder, count: int) -> None:
    """Hand ``worker`` ``count`` records of plain requests."""
    for _ in range(count):
        worker.record(request(), environment=NO_ENVIRONMENT)


def recorder(tmp_path: Path, worker: str) -> PrometheusRecorder:
    """A recorder standing for one worker of the run whose master is this process."""
    return PrometheusRecorder(SharedRun(tmp_path, RunIdentity(os.getpid(), "1"), worker))


async def test_a_scrape_adds_up_every_worker_of_the_run(tmp_path: Path) -> None:
    first, second = recorder(tmp_path, "1-a"), recorder(tmp_path, "2-b")
    await first.start()
    await second.start()
    feed(first, 3)
    feed(second, 4)
    await second.publish()
    assert Scrape.parse((await first.scrape()).decode()).value(REQUESTS) == 7
    # What a scrape showed is on disk: the other worker sees it without waiting.
    assert Scrape.parse((await second.scrape()).decode()).value(REQUESTS) == 7
    feed(first, 1)
    assert Scrape.parse((await first.scrape()).decode()).value(REQUESTS) == 8
    assert Scrape.parse((await second.scrape()).decode()).value(REQUESTS) == 8
    await first.aclose()
    await second.aclose()


async def test_a_worker_that_exits_keeps_its_counts(tmp_path: Path) -> None:
    leaving, staying = recorder(tmp_path, "1-a"), recorder(tmp_path, "2-b")
    await leaving.start()
    await staying.start()
    feed(leaving, 5)
    await leaving.aclose()  # publishes its last counts
    assert Scrape.parse((await staying.scrape()).decode()).value(REQUESTS) == 5
    # Its replacement (a new file) adds to them.
    replacement = recorder(tmp_path, "1-c")
    await replacement.start()
    feed(replacement, 1)
    assert Scrape.parse((await replacement.scrape()).decode()).value(REQUESTS) == 6
    await staying.aclose()
    await replacement.aclose()


async def test_counts_are_published_in_the_background(tmp_path: Path) -> None:
    worker = PrometheusRecorder(
        SharedRun(tmp_path, RunIdentity(os.getpid(), "1"), "1-a"), publish_seconds=0.01
    )
    await worker.start()
    feed(worker, 1)
    assert worker.sharing is not None
    own = worker.sharing.own
    for _ in range(1000):
        if own.exists():
            break
        await asyncio.sleep(0.01)
    assert Aggregates.decode(own.read_bytes()).counters["requests_total"]
    await worker.aclose()


async def test_a_new_run_starts_from_zero(tmp_path: Path) -> None:
    earlier = PrometheusRecorder(SharedRun(tmp_path, RunIdentity(dead_pid(), "1"), "1-a"))
    await earlier.start()
    feed(earlier, 1)
    await earlier.aclose()
    run = SharedRun(tmp_path, RunIdentity(os.getpid(), "2"), "1-a")
    later = PrometheusRecorder(run)
    await later.start()
    assert Scrape.parse((await later.scrape()).decode()).value(REQUESTS) == 0
    assert await asyncio.to_thread(os.listdir, tmp_path) == [run.folder.name]
    await later.aclose()


async def test_alone_a_recorder_writes_nothing(tmp_path: Path) -> None:
    alone = PrometheusRecorder(None)
    await alone.start()
    feed(alone, 1)
    assert Scrape.parse((await alone.scrape()).decode()).value(REQUESTS) == 1
    await alone.aclose()
    assert await asyncio.to_thread(os.listdir, tmp_path) == []
