"""The spool's files: durable appends, atomic claims, recovery of files whose owner is gone."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from switchboard_database_recorder.spool import Spool
from tests.plugins.database_recorder.conftest import make_record


def dead_pid() -> int:
    """The pid of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def test_appended_records_read_back_in_batches(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    records = [make_record(payload={"n": n}) for n in range(7)]
    await spool.append(records[:3])
    await spool.append(records[3:])
    assert spool.has_open_file and spool.sealed() == []
    await spool.seal()
    (sealed,) = spool.sealed()
    claimed = spool.claim(sealed)
    assert claimed is not None
    batches = list(spool.read(claimed, batch_size=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [r for b in batches for r in b] == records


async def test_a_file_is_sealed_when_it_reaches_its_size_limit(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_file_bytes=1)
    await spool.append([make_record()])
    await spool.append([make_record()])
    assert len(spool.sealed()) == 2 and not spool.has_open_file
    names = [p.name for p in spool.sealed()]
    assert names == sorted(names)


async def test_only_one_claimant_gets_a_file(tmp_path: Path) -> None:
    writer, first, second = Spool(tmp_path), Spool(tmp_path), Spool(tmp_path)
    await writer.append([make_record()])
    await writer.seal()
    (sealed,) = writer.sealed()
    claims = [first.claim(sealed), second.claim(sealed)]
    assert claims[0] is not None and claims[1] is None
    assert first.sealed() == []
    first.release(claims[0])
    assert second.sealed() == [sealed]


async def test_files_of_a_dead_process_become_replayable(tmp_path: Path) -> None:
    gone = dead_pid()
    spool = Spool(tmp_path)
    part = tmp_path / f"{1:020d}-{gone}-cafe0001.jsonl.part"
    claim = tmp_path / f"{2:020d}-1-cafe0002.jsonl.replay-{gone}-cafe0003"
    live_part = tmp_path / f"{3:020d}-{spool.pid}-{spool.token}.jsonl.part"
    for path in (part, claim, live_part):
        path.write_bytes(b"")
    assert spool.recover() == 2
    assert [p.name for p in spool.sealed()] == [
        f"{1:020d}-{gone}-cafe0001.jsonl",
        f"{2:020d}-1-cafe0002.jsonl",
    ]
    assert live_part.exists()


async def test_same_pid_another_token_is_a_previous_incarnation(tmp_path: Path) -> None:
    # A container restart can hand the new process its predecessor's pid: the random token
    # tells the predecessor's files from the live recorders'.
    live, other = Spool(tmp_path), Spool(tmp_path)
    await live.append([make_record()])
    previous = tmp_path / f"{1:020d}-{live.pid}-0badf00d.jsonl.part"
    previous.write_bytes(b"")
    alive_claim = tmp_path / f"{2:020d}-{live.pid}-0badf00d.jsonl.replay-1-0badf00d"
    alive_claim.write_bytes(b"")  # pid 1 is alive: its claim stays
    assert other.recover() == 1
    assert [p.name for p in other.sealed()] == [f"{1:020d}-{live.pid}-0badf00d.jsonl"]
    assert alive_claim.exists() and live.has_open_file
    live.close_now()  # sealed on close: replayable by anyone
    assert len(other.sealed()) == 2


async def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    records = [make_record(), make_record()]
    await spool.append(records)
    await spool.seal()
    (sealed,) = spool.sealed()
    torn = b'{"request_id": "torn", "crea'  # a crash in the middle of an append
    await asyncio.to_thread(lambda: sealed.write_bytes(sealed.read_bytes() + torn))
    claimed = spool.claim(sealed)
    assert claimed is not None
    assert [r for b in spool.read(claimed, 100) for r in b] == records
