"""On SQLite, control-plane changes wait for the write lock while others keep committing."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from tests.core.api.client import ADMIN_PASSWORD, expect
from tests.core.api.conftest import Harness


@pytest.fixture
def busy_neighbour(harness: Harness) -> Iterator[list[int]]:
    """Another connection committing small writes back to back, like the database recorder
    under load; yields the count of its commits."""
    if not harness.database_url.startswith("sqlite"):
        pytest.skip("SQLite's locking only")
    path = make_url(harness.database_url).database
    assert path is not None
    commits = [0]
    stop = threading.Event()

    def write() -> None:
        connection = sqlite3.connect(path, isolation_level=None, timeout=5)
        connection.execute("CREATE TABLE IF NOT EXISTS neighbour (n INTEGER)")
        while not stop.is_set():
            with connection:  # BEGIN IMMEDIATE waits up to its timeout for the gateway
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("INSERT INTO neighbour VALUES (1)")
            commits[0] += 1
            stop.wait(0.002)
        connection.close()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    yield commits
    stop.set()
    thread.join()


def test_changes_that_read_first_do_not_fail_while_another_connection_commits(
    harness: Harness, busy_neighbour: list[int]
) -> None:
    # A sign-in reads the user, hashes the password (slow on purpose), then writes the
    # session: with a deferred transaction the neighbour's commits in between made SQLite
    # refuse the write ("database is locked", a 500).
    for n in range(6):
        harness.login("admin", ADMIN_PASSWORD)
        expect(harness.admin.post("/api/v1/workspaces", {"name": f"busy-{n}"}), 201)
    assert busy_neighbour[0] > 10  # the neighbour really was committing meanwhile
