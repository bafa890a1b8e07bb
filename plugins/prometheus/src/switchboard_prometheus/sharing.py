"""Sharing counts between the worker processes of one ``switchboard serve``.

A scrape reaches one worker, so each worker publishes its aggregates as a file, and the
worker that answers a scrape adds the others' files to its own live counts::

    <data_dir>/prometheus/run-<host>-<master pid>-<master start>/worker-<pid>-<token>.msgpack

- **One folder per run.** Workers name the folder after their serve master (its host, its
  pid and, where the OS says, its start time, so a pid reused after a restart, as PID 1 in
  a container always is, names a new folder). A new run therefore starts from zero, and a
  worker removes, when it starts, the folders of this host's masters that are gone (never
  another host's: their pids mean nothing here).
- **One file per worker process.** A worker that exits leaves its last file behind, so its
  counts stay in the totals; a replacement worker writes a file of its own.
- **Atomic.** A file is written under a temporary name and renamed over the old one, so a
  reader sees a whole snapshot, old or new, never half of one.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import secrets
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ROOT_FOLDER",
    "RunIdentity",
    "SharedRun",
    "process_start",
    "serve_master",
    "this_host",
]

log = logging.getLogger(__name__)

ROOT_FOLDER = "prometheus"
"""The folder under the data dir that holds one folder per serve run."""

_RUN_NAME = re.compile(r"^run-(.+)-(\d+)-(\w+)$")
_UNKNOWN_START = "unknown"


def this_host() -> str:
    """This host's name, reduced to what is safe in a folder name."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "host"


def serve_master(workers: int) -> int | None:
    """The pid of this worker's serve master, or ``None`` when this process serves alone.

    ``switchboard serve --workers N`` (N > 1) starts workers with multiprocessing's spawn,
    whose children know their parent. A server that forks its workers itself is
    recognised by ``SWITCHBOARD_WORKERS`` > 1, the parent being the master. With one
    worker, serve runs the app in its own process: nothing to share.
    """
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid is not None:
        return parent.pid
    if workers > 1:
        return os.getppid()
    return None


def process_start(pid: int) -> str:
    """When process ``pid`` started, in clock ticks since boot (Linux), else ''."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""  # field 22, starttime


def _alive(pid: int, started: str) -> bool:
    """Whether the process that named a run folder still runs."""
    if os.name == "nt":
        return True  # os.kill(pid, 0) would terminate it there: never remove on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process, alive
    if started == _UNKNOWN_START:
        return True
    now = process_start(pid)
    return not now or now == started


@dataclass(frozen=True)
class RunIdentity:
    """One serve run: its master's pid and start time ('' when the OS does not say), and
    the host they belong to."""

    master_pid: int
    started: str
    host: str = field(default_factory=this_host)

    @classmethod
    def of(cls, master_pid: int) -> RunIdentity:
        """The run whose master is ``master_pid``, as this host sees it now."""
        return cls(master_pid, process_start(master_pid))

    @property
    def folder_name(self) -> str:
        """The run's folder under :data:`ROOT_FOLDER`."""
        return f"run-{self.host}-{self.master_pid}-{self.started or _UNKNOWN_START}"


class SharedRun:
    """This worker's view of its run's folder: its own file and the other workers' files."""

    def __init__(self, root: Path, run: RunIdentity, worker: str | None = None) -> None:
        self.root = root
        self.run = run
        self.folder = root / run.folder_name
        # The token tells a replacement worker that got the same pid from its predecessor.
        worker = worker or f"{os.getpid()}-{secrets.token_hex(4)}"
        self.own = self.folder / f"worker-{worker}.msgpack"
        self._temporary = self.folder / f".worker-{worker}.tmp"

    @classmethod
    def for_process(cls, data_dir: Path, workers: int) -> SharedRun | None:
        """The shared run of this worker process, ``None`` when it serves alone."""
        master = serve_master(workers)
        if master is None:
            return None
        return cls(data_dir / ROOT_FOLDER, RunIdentity.of(master))

    def prepare(self) -> None:
        """Create the run's folder and remove the folders of runs whose master is gone."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for entry in self.root.iterdir():
            match = _RUN_NAME.match(entry.name)
            if entry == self.folder or match is None or match[1] != self.run.host:
                continue
            pid, started = int(match[2]), match[3]
            if pid == self.run.master_pid or not _alive(pid, started):
                # Our master's pid with another start time is an earlier run that had it.
                log.info("removing the metrics of a finished run: %s", entry)
                shutil.rmtree(entry, ignore_errors=True)

    def publish(self, snapshot: bytes) -> None:
        """Replace this worker's file with ``snapshot`` (write, then rename: atomic)."""
        try:
            self._temporary.write_bytes(snapshot)
        except FileNotFoundError:  # the folder was removed under us: make it again
            self.folder.mkdir(parents=True, exist_ok=True)
            self._temporary.write_bytes(snapshot)
        os.replace(self._temporary, self.own)

    def others(self) -> list[bytes]:
        """The latest snapshot of every other worker of this run, live or exited."""
        found = []
        for path in self.folder.glob("worker-*.msgpack"):
            if path == self.own:
                continue
            try:
                found.append(path.read_bytes())
            except FileNotFoundError:  # its run was just cleaned up
                continue
        return found
