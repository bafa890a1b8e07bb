"""The spool: append-only files of records that could not be written to the database yet.

Location and format
    ``<data dir>/spool/`` (or ``SWITCHBOARD_DATABASE_RECORDER_SPOOL_DIR``). Each line is one
    :class:`~switchboard.records.RequestRecord` encoded as JSON by msgspec (its own field
    names, snake_case, ``created_at`` in RFC 3339). A batch is appended, flushed and
    ``fsync``-ed before the writer goes on, so a spooled record survives a crash of the
    process or of the machine.

File names and life cycle (``<stem>`` is ``<unix ns, 20 digits>-<pid>-<token>``, so names sort
by creation time; ``token`` is random per recorder, which tells two processes apart even when
a container restart hands out the same pid)::

    <stem>.jsonl.part              being appended to by process <pid>
    <stem>.jsonl                   sealed: complete, waiting to be replayed
    <stem>.jsonl.replay-<pid>-<token>   claimed by the process replaying it

A file is sealed (renamed from ``.part``) when it reaches its size limit, before this
process replays its own records, and at shutdown. Any process claims a sealed file by
renaming it; ``rename`` is atomic, so two workers sharing the data dir never replay the same
file at once. A claimed file is deleted only after all its rows are committed, and renamed
back to ``.jsonl`` when the database fails during its replay. Files whose owner is gone (a
``.part`` or a claim of a dead process) are renamed back to ``.jsonl`` by
:meth:`Spool.recover`, which every replay round runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import BinaryIO

import msgspec

from switchboard.records import RequestRecord

__all__ = ["Spool"]

log = logging.getLogger("switchboard_database_recorder")

_PART = ".jsonl.part"
_SEALED = ".jsonl"
_CLAIM = ".jsonl.replay-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class Spool:
    """The spool folder as one recorder sees it: its own ``.part`` file, everyone's sealed
    files, and claims.

    :meth:`append` and :meth:`seal` run their file I/O in a worker thread (``fsync`` can take
    milliseconds) and are serialized by one lock, so a seal never cuts an append in half.
    """

    def __init__(self, folder: Path, *, max_file_bytes: int = 64 << 20) -> None:
        self.folder = folder
        self.max_file_bytes = max_file_bytes
        self.pid = os.getpid()
        self.token = secrets.token_hex(4)
        self._lock = asyncio.Lock()
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._size = 0
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder(RequestRecord)
        _LIVE_TOKENS.add(self.token)

    def close_now(self) -> None:
        """Seal this recorder's file (in the calling thread) and stop claiming its files as
        live: whatever it leaves is recovered by the next round of any process."""
        self._seal_now()
        _LIVE_TOKENS.discard(self.token)

    # -- writing -----------------------------------------------------------------------------

    @property
    def has_open_file(self) -> bool:
        """Whether this recorder has appended records it has not sealed yet."""
        return self._file is not None

    async def append(self, records: Sequence[RequestRecord]) -> None:
        """Append ``records`` durably (flushed and ``fsync``-ed before this returns)."""
        if records:
            async with self._lock:
                await asyncio.to_thread(self.append_now, records)

    def append_now(self, records: Sequence[RequestRecord]) -> None:
        """:meth:`append` in the calling thread, without the lock: for the event loop's last
        words after shutdown, or for a thread that holds the lock."""
        encode = self._encoder.encode
        data = b"".join([encode(record) + b"\n" for record in records])
        file = self._file or self._open()
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
        self._size += len(data)
        if self._size >= self.max_file_bytes:
            self._seal_now()

    async def seal(self) -> None:
        """Close this recorder's ``.part`` file and make it replayable (``.jsonl``)."""
        async with self._lock:
            if self._file is not None:
                await asyncio.to_thread(self._seal_now)

    def _open(self) -> BinaryIO:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"{time.time_ns():020d}-{self.pid}-{self.token}"
        self._path = self.folder / (stem + _PART)
        self._file = open(self._path, "ab")  # noqa: SIM115 - closed by _seal_now
        self._size = 0
        _fsync_dir(self.folder)  # the new name survives a crash too
        return self._file

    def _seal_now(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        sealed = self._path.with_name(self._path.name.removesuffix(".part"))
        os.rename(self._path, sealed)
        _fsync_dir(self.folder)
        self._file = self._path = None
        self._size = 0

    # -- replaying ---------------------------------------------------------------------------

    def sealed(self) -> list[Path]:
        """Sealed files, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if p.name.endswith(_SEALED))

    def claim(self, path: Path) -> Path | None:
        """Take ``path`` for replay (atomic rename); ``None`` when another process took it."""
        claimed = path.with_name(
            f"{path.name.removesuffix(_SEALED)}{_CLAIM}{self.pid}-{self.token}"
        )
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            return None
        return claimed

    def release(self, claimed: Path) -> None:
        """Give a claimed file back (its replay failed): another round takes it again."""
        os.rename(claimed, claimed.with_name(claimed.name.split(_CLAIM)[0] + _SEALED))

    def remove(self, claimed: Path) -> None:
        """Delete a claimed file whose every row is committed."""
        claimed.unlink(missing_ok=True)

    def read(self, claimed: Path, batch_size: int) -> Generator[list[RequestRecord], None, None]:
        """The records of ``claimed`` in batches. A line that does not decode (the torn end
        of a file whose writer died mid-append) is logged and skipped."""
        batch: list[RequestRecord] = []
        decode = self._decoder.decode
        with open(claimed, "rb") as file:
            for number, line in enumerate(file, 1):
                if not line.strip():
                    continue
                try:
                    batch.append(decode(line))
                except msgspec.DecodeError as error:
                    log.error("spool file %s line %d skipped: %s", claimed.name, number, error)
                    continue
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def recover(self) -> int:
        """Make the files of processes that are gone replayable again; return how many."""
        if not self.folder.is_dir():
            return 0
        recovered = 0
        for path in self.folder.iterdir():
            name = path.name
            if name.endswith(_PART):
                stem = name.removesuffix(_PART)
                owner = stem.split("-", 1)[1] if "-" in stem else ""
                target = path.with_name(stem + _SEALED)
            elif _CLAIM in name:
                stem, owner = name.split(_CLAIM, 1)
                target = path.with_name(stem + _SEALED)
            else:
                continue
            if self._owner_alive(owner):
                continue
            try:
                os.rename(path, target)
            except FileNotFoundError:  # another process recovered it first
                continue
            log.info("spool file %s of a process that is gone is replayable again", name)
            recovered += 1
        return recovered

    def _owner_alive(self, owner: str) -> bool:
        """Whether ``<pid>-<token>`` names a live process's recorder."""
        pid_text, _, token = owner.partition("-")
        try:
            pid = int(pid_text)
        except ValueError:
            return False  # not our naming: nobody will finish it
        if pid == self.pid:
            return token == self.token or token in _LIVE_TOKENS
        return _alive(pid)


_LIVE_TOKENS: set[str] = set()
"""Tokens of the spools open in this process (tests run several recorders in one process)."""


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
