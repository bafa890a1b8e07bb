"""Routing's error-rate windows in Redis (:meth:`CapacityLimiter.share_outcomes`).

Each environment (the namespace) and minute is one hash, ``{sb}:<keyPrefix>:outcomes:
<namespace>:<minute>``, in the same ``{sb}`` slot as the capacity counters. A field is the JSON
array ``[provider, model, connection id, status]`` (unambiguous whatever the names hold) and
its value the number of attempts; a hash expires 61 minutes after its last increment, as
routing reads 60 at most.

**Minutes are the ones given**, ``unix time // 60`` on the clock of the process that recorded
the attempts, never Redis's: an attempt belongs to the minute it happened in even when it is
shared late (after an outage). The only clock read here is this process's, to stop reading at
the current minute: a share reads ``now - since_minute + 1`` hashes (at most 61).

**One round trip: a second small Lua script** (:data:`OUTCOMES_SCRIPT`) adds a process's
counts with ``HINCRBY`` and reads every minute back with ``HGETALL``. A script rather than a
pipeline of those commands: it is atomic (no process reads half of another's increments),
its arguments are compact whatever the number of counts, and it goes through the
connection's own ``NOSCRIPT`` and outage handling (:meth:`RedisScript.run_script`) like the
capacity script. It runs once a second per environment and process, off the request path.

**Always fail open.** The counts only feed routing: when Redis cannot be reached (or answers
with an error), the counts stay here, in a backlog per namespace sent with the next share,
and the answer is the last snapshot Redis gave plus that backlog, so routing goes on with this
process's view. The first failure is logged once and the recovery once. (If a connection
breaks after Redis ran the script but before its reply arrived, those counts are sent again:
rare, and an error rate off by a second's attempts.)
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from switchboard.interfaces.limiter import OUTCOME_MINUTES, OutcomeCount, OutcomeWindows
from switchboard_redis_limiter.connection import RedisScript

__all__ = ["OUTCOMES_SCRIPT", "OUTCOMES_SCRIPT_SHA", "SharedOutcomes", "outcome_key"]

log = logging.getLogger(__name__)

TTL_SECONDS = (OUTCOME_MINUTES + 1) * 60

OUTCOMES_SCRIPT = r"""
-- KEYS: the minute hashes, oldest first. ARGV[1]: seconds a written hash lives; then
-- (index in KEYS, field, count) per count to add. Replies with each hash's HGETALL.
local ttl = tonumber(ARGV[1])
local written, order = {}, {}
for i = 2, #ARGV, 3 do
  local key = KEYS[tonumber(ARGV[i])]
  redis.call('HINCRBY', key, ARGV[i + 1], ARGV[i + 2])
  if not written[key] then
    written[key] = true
    order[#order + 1] = key
  end
end
for _, key in ipairs(order) do redis.call('EXPIRE', key, ttl) end
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HGETALL', KEYS[i]) end
return out
"""

OUTCOMES_SCRIPT_SHA = hashlib.sha1(OUTCOMES_SCRIPT.encode(), usedforsecurity=False).hexdigest()

_FIELD = tuple[str, str, str, int]


def outcome_key(prefix: str, namespace: str, minute: int) -> str:
    """The hash of ``namespace``'s outcomes in ``minute``, in the ``{sb}`` hash slot."""
    return f"{{sb}}:{prefix}:outcomes:{namespace}:{minute}"


class SharedOutcomes:
    """Shares outcome counts through Redis for one ``keyPrefix`` (one limiter view).

    ``clock`` gives unix seconds (only to stop reading at the current minute).
    """

    def __init__(
        self, redis: RedisScript, key_prefix: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self._clock = clock
        self._backlog: dict[str, OutcomeWindows] = {}
        self._last: dict[str, OutcomeWindows] = {}
        self._failing = False

    async def share(
        self, namespace: str, counts: Sequence[OutcomeCount], *, since_minute: int
    ) -> list[OutcomeCount]:
        """Add ``counts`` (and any backlog) in Redis; every process's counts since
        ``since_minute``. Never raises (see the module docstring)."""
        unsent = self._backlog.pop(namespace, None) or OutcomeWindows()
        unsent.add(counts)
        sending = unsent.since(since_minute)  # older ones no reader asks for any more
        newest = max((c.minute for c in sending), default=since_minute)
        now = int(self._clock() // 60)
        last = min(max(since_minute, now, newest), since_minute + OUTCOME_MINUTES)
        keys = [outcome_key(self.key_prefix, namespace, m) for m in range(since_minute, last + 1)]
        args: list[str | int] = [TTL_SECONDS]
        for count in sending:
            if count.minute <= last:  # beyond: a clock far ahead, nobody would read it
                field = msgspec.json.encode(
                    (count.provider, count.model, count.connection, count.status)
                )
                args += [count.minute - since_minute + 1, field.decode(), count.count]
        try:
            reply: list[Any] = await self.redis.run_script(
                OUTCOMES_SCRIPT, OUTCOMES_SCRIPT_SHA, keys, args
            )
            shared = _parse(reply, since_minute)
        except Exception as exc:  # Redis down, or a script error: routing goes on regardless
            self._keep(namespace, unsent)
            if not self._failing:
                self._failing = True
                log.warning(
                    "error-rate windows are kept per process until Redis answers (%s: %s)",
                    type(exc).__name__,
                    exc,
                )
            return self._local(namespace, since_minute)
        if self._failing:
            self._failing = False
            log.info("error-rate windows are shared through Redis again")
        windows = OutcomeWindows()
        windows.add(shared)
        self._last[namespace] = windows
        return shared

    def _keep(self, namespace: str, unsent: OutcomeWindows) -> None:
        """Put ``unsent`` back in the backlog (a share may have started meanwhile)."""
        backlog = self._backlog.setdefault(namespace, OutcomeWindows())
        backlog.add(unsent.since())

    def _local(self, namespace: str, since_minute: int) -> list[OutcomeCount]:
        """The last snapshot from Redis plus what it has not got yet."""
        view = OutcomeWindows()
        for part in (self._last.get(namespace), self._backlog.get(namespace)):
            if part is not None:
                view.add(part.since(since_minute))
        return view.since(since_minute)


def _parse(reply: list[Any], since_minute: int) -> list[OutcomeCount]:
    counts: list[OutcomeCount] = []
    for offset, flat in enumerate(reply):
        for i in range(0, len(flat) - 1, 2):
            try:
                provider, model, connection, status = msgspec.json.decode(flat[i], type=_FIELD)
            except msgspec.DecodeError:
                continue  # not ours: skipped rather than failing the whole window
            minute = since_minute + offset
            count = int(flat[i + 1])
            counts.append(OutcomeCount(minute, provider, model, connection, status, count))
    return counts
