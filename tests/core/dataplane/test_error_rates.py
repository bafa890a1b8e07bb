"""Error-rate windows: the arithmetic of rates (windows, status filters, connections), the
snapshot shared through a limiter plus this process's newest counts (never counted twice),
failures of the limiter, and the book that keeps one window per environment in sync."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import msgspec
import pytest

from switchboard.dataplane.error_rates import ErrorRateBook, ErrorRates
from switchboard.errors import NotFound
from switchboard.interfaces import (
    CapacityCheck,
    CapacityLimiter,
    OutcomeCount,
    PeriodUsage,
    Reservation,
)

T0 = 1_700_000_000.0 - 1_700_000_000.0 % 60  # the start of a minute


class Clock:
    """Unix seconds that tests move."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def minutes(self, count: float) -> None:
        self.now += 60 * count


class Local(CapacityLimiter):
    """A limiter that keeps outcome windows with the interface's default (single process)."""

    name = "local"

    def __init__(self) -> None:
        self.shared: list[list[OutcomeCount]] = []

    async def share_outcomes(
        self, namespace: str, counts: Sequence[OutcomeCount], *, since_minute: int
    ) -> list[OutcomeCount]:
        self.shared.append(list(counts))
        return await super().share_outcomes(namespace, counts, since_minute=since_minute)

    async def reserve(self, checks: Sequence[CapacityCheck]) -> Reservation:
        return Reservation(checks=tuple(checks))

    async def reconcile(self, reservation: Reservation, *, tokens: int) -> None:
        return None

    async def release(self, reservation: Reservation) -> None:
        return None

    async def usage(self, checks: Sequence[CapacityCheck]) -> list[PeriodUsage]:
        return []


class Broken(Local):
    """Fails (against the contract) until ``fixed``; counts what it was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.fixed = False

    async def share_outcomes(
        self, namespace: str, counts: Sequence[OutcomeCount], *, since_minute: int
    ) -> list[OutcomeCount]:
        if not self.fixed:
            raise ConnectionError("store unreachable")
        return await super().share_outcomes(namespace, counts, since_minute=since_minute)


def outcomes(
    rates: ErrorRates,
    failed: int,
    succeeded: int,
    *,
    status: int = 500,
    provider: str = "openai",
    model: str = "gpt-4o",
    connection: str = "c-main",
) -> None:
    for _ in range(failed):
        rates.record(provider, model, connection, status)
    for _ in range(succeeded):
        rates.record(provider, model, connection, 200)


class Connection(msgspec.Struct, frozen=True):
    """What the rates read of a connection (its id and name)."""

    id: str
    name: str


CONNECTIONS: Any = (Connection("c-main", "openai-main"), Connection("c-backup", "openai-backup"))


# -- the arithmetic --------------------------------------------------------------------------


def test_a_rate_is_the_percentage_of_failed_attempts() -> None:
    rates = ErrorRates(clock=Clock())
    assert rates.rate() == 0.0  # no attempts: no errors
    outcomes(rates, 1, 3)
    assert rates.rate() == 25.0
    outcomes(rates, 0, 4)
    assert rates.rate() == 12.5


def test_windows_count_whole_minutes_back_from_the_current_one() -> None:
    clock = Clock()
    rates = ErrorRates(clock=clock)
    outcomes(rates, 10, 0)  # minute 0: all failed
    clock.minutes(5)
    outcomes(rates, 0, 10)  # minute 5: all fine
    assert rates.rate(window=1) == 0.0
    assert rates.rate(window=5) == 0.0  # minutes 1 to 5
    assert rates.rate(window=6) == 50.0  # minutes 0 to 5
    assert rates.rate(window=10) == 50.0
    clock.minutes(54)  # minute 59: minute 0 is still in the last hour
    assert rates.rate(window=60) == 50.0
    assert rates.rate(window=600) == 50.0  # at most an hour
    clock.minutes(1)
    assert rates.rate(window=60) == 0.0
    assert rates.rate(window=0) == 0.0  # at least the current minute


def test_status_filters_4xx_5xx_a_code_or_any() -> None:
    rates = ErrorRates(clock=Clock())
    outcomes(rates, 1, 0, status=429)
    outcomes(rates, 2, 0, status=400)
    outcomes(rates, 3, 0, status=503)
    outcomes(rates, 4, 0, status=500)
    outcomes(rates, 0, 10)
    assert rates.rate(status="any") == 50.0
    assert rates.rate(status="4xx") == 15.0
    assert rates.rate(status="5xx") == 35.0
    assert rates.rate(status=429) == 5.0
    assert rates.rate(status="429") == 5.0
    assert rates.rate(status=502) == 0.0


def test_rates_per_provider_model_and_connection_by_id_or_name() -> None:
    rates = ErrorRates(clock=Clock())
    outcomes(rates, 5, 5, connection="c-main")
    outcomes(rates, 0, 10, connection="c-backup")
    outcomes(rates, 10, 10, provider="groq", model="llama", connection="c-groq")
    assert rates.rate() == 37.5  # every attempt
    assert rates.rate(provider="openai") == 25.0
    assert rates.rate(model="llama") == 50.0
    assert rates.rate(connection="c-main") == 50.0
    assert rates.rate(connection="c-backup") == 0.0
    assert rates.rate(provider="openai", model="gpt-4o", connection="c-main") == 50.0
    assert rates.rate(provider="groq", connection="c-main") == 0.0
    assert rates.rate(connection="openai-main") == 0.0  # a name nobody told it about
    rates.know_connections(CONNECTIONS)
    assert rates.rate(connection="openai-main") == 50.0
    assert rates.rate(connection="openai-backup") == 0.0
    assert rates.rate(connection="c-main") == 50.0  # ids still work


# -- the snapshot and the local counts ----------------------------------------------------------


async def test_a_sync_moves_local_counts_into_the_snapshot_without_counting_them_twice() -> None:
    limiter = Local()
    rates = ErrorRates("env-1", clock=Clock())
    outcomes(rates, 5, 5)
    assert rates.unshared
    await rates.sync(limiter)
    assert not rates.unshared
    assert [c.count for c in limiter.shared[0]] == [5, 5]
    assert rates.rate() == 50.0  # from the snapshot alone
    outcomes(rates, 0, 10)  # pending, on top of the snapshot
    assert rates.rate() == 25.0
    await rates.sync(limiter)
    assert rates.rate() == 25.0
    await rates.sync(limiter)  # nothing new to send: the same snapshot
    assert limiter.shared[-1] == []
    assert rates.rate() == 25.0


async def test_counts_recorded_while_a_sync_is_in_flight_are_counted_once() -> None:
    release = asyncio.Event()

    class Slow(Local):
        async def share_outcomes(
            self, namespace: str, counts: Sequence[OutcomeCount], *, since_minute: int
        ) -> list[OutcomeCount]:
            await release.wait()
            return await super().share_outcomes(namespace, counts, since_minute=since_minute)

    rates = ErrorRates("env-1", clock=Clock())
    outcomes(rates, 4, 0)
    syncing = asyncio.create_task(rates.sync(Slow()))
    await asyncio.sleep(0)
    assert rates.rate() == 100.0  # the counts being sent still count
    outcomes(rates, 0, 4)
    assert rates.rate() == 50.0
    await rates.sync(Local())  # a second sync while one runs does nothing
    release.set()
    await syncing
    assert rates.rate() == 50.0
    assert rates.unshared  # the 4 recorded meanwhile wait for the next sync


async def test_two_processes_sharing_a_limiter_see_each_others_counts_after_a_sync() -> None:
    limiter = Local()
    clock = Clock()
    first, second = ErrorRates("env-1", clock=clock), ErrorRates("env-1", clock=clock)
    elsewhere = ErrorRates("env-2", clock=clock)
    outcomes(first, 10, 0)
    outcomes(second, 0, 30)
    outcomes(elsewhere, 50, 0)
    assert (first.rate(), second.rate()) == (100.0, 0.0)
    for rates in (first, second, elsewhere, first):
        await rates.sync(limiter)
    assert first.rate() == second.rate() == 25.0
    assert elsewhere.rate() == 100.0  # another environment's windows


async def test_a_failing_limiter_keeps_the_counts_local_logs_once_and_recovers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = Broken()
    rates = ErrorRates("env-1", clock=Clock())
    outcomes(rates, 3, 1)
    with caplog.at_level(logging.WARNING, logger="switchboard.dataplane.error_rates"):
        await rates.sync(limiter)
        outcomes(rates, 0, 4)
        await rates.sync(limiter)
    assert rates.rate() == 37.5 and rates.unshared
    assert sum("cannot be shared" in r.message for r in caplog.records) == 1
    limiter.fixed = True
    await rates.sync(limiter)
    assert not rates.unshared
    assert sum(c.count for c in limiter.shared[-1]) == 8  # everything, once
    assert rates.rate() == 37.5


async def test_without_a_limiter_the_counts_stay_in_the_process() -> None:
    clock = Clock()
    rates = ErrorRates("env-1", clock=clock)
    outcomes(rates, 1, 1)
    await rates.sync(None)
    outcomes(rates, 1, 1)
    await rates.sync(None)
    assert not rates.unshared and rates.rate() == 50.0
    clock.minutes(61)
    await rates.sync(None)  # old minutes leave
    assert rates.rate(window=60) == 0.0


def test_pending_counts_stay_bounded_without_syncs() -> None:
    clock = Clock()
    rates = ErrorRates(clock=clock)
    for _ in range(200):
        outcomes(rates, 1, 0)
        clock.minutes(1)
    assert len(rates._pending) <= 61


# -- the book ------------------------------------------------------------------------------------


class Environment(msgspec.Struct, frozen=True):
    """The parts of an environment snapshot the book reads."""

    id: str
    connections: Any
    limiter: CapacityLimiter | None


async def test_the_book_keeps_one_window_per_environment_and_syncs_them() -> None:
    clock = Clock()
    limiter = Local()
    book, other_process = ErrorRateBook(clock=clock), ErrorRateBook(clock=clock)
    environments = {
        "env-1": Environment("env-1", CONNECTIONS, limiter),
        "env-2": Environment("env-2", (), None),
    }

    async def environment_of(environment_id: str) -> Any:
        if environment_id not in environments:
            raise NotFound(f"environment {environment_id!r} no longer exists")
        return environments[environment_id]

    for each in (book, other_process):
        each.interval = 3600.0  # the tests sync by hand
        each.start(environment_of)
    book.record("env-1", "openai", "gpt-4o", "c-main", 500)
    book.record("env-2", "openai", "gpt-4o", "c-main", 200)
    book.record(None, "openai", "gpt-4o", "c-main", 500)  # outside any environment: not counted
    other_process.record("env-1", "openai", "gpt-4o", "c-backup", 200)
    assert sorted(book.environments()) == ["env-1", "env-2"]
    assert book.for_environment("env-2").rate() == 0.0
    await book.sync_all()
    await other_process.sync_all()
    await book.sync_all()
    env_1 = book.for_environment("env-1")
    assert env_1.rate() == 50.0
    assert env_1.rate(connection="openai-main") == 100.0  # names learnt from the snapshot
    assert other_process.for_environment("env-1").rate(connection="c-main") == 100.0
    assert book.for_environment("env-2").rate() == 0.0

    del environments["env-2"]  # deleted: forgotten at the next sync
    await book.sync_all()
    assert book.environments() == ["env-1"]
    for each in (book, other_process):
        await each.aclose()


async def test_the_book_syncs_in_the_background_and_shares_what_is_left_when_closed() -> None:
    limiter = Local()
    environment = Environment("env-1", (), limiter)

    async def environment_of(environment_id: str) -> Any:
        return environment

    book = ErrorRateBook(interval=0.01)
    book.start(environment_of)
    book.record("env-1", "openai", "gpt-4o", "c-main", 500)
    for _ in range(200):
        await asyncio.sleep(0.01)
        if not book.for_environment("env-1").unshared:
            break
    assert not book.for_environment("env-1").unshared
    book.interval = 3600.0
    await asyncio.sleep(0.02)  # the task is now asleep for an hour
    book.record("env-1", "openai", "gpt-4o", "c-main", 200)
    await book.aclose()
    assert not book.for_environment("env-1").unshared  # shared on the way out
    assert sum(c.count for batch in limiter.shared for c in batch) == 2


async def test_an_environment_that_cannot_be_read_keeps_its_counts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def environment_of(environment_id: str) -> Any:
        raise OSError("database unreachable")

    book = ErrorRateBook(interval=3600.0)
    book.start(environment_of)
    book.record("env-1", "openai", "gpt-4o", "c-main", 500)
    with caplog.at_level(logging.WARNING, logger="switchboard.dataplane.error_rates"):
        await book.sync_all()
        await book.sync_all()
    assert book.for_environment("env-1").unshared
    assert book.for_environment("env-1").rate() == 100.0
    assert sum("cannot read environment" in r.message for r in caplog.records) == 1
    await book.aclose()
