"""The one Lua script every limiter operation runs: exact sliding logs kept in Redis.

The algorithm is the memory limiter's (:mod:`switchboard_memory_limiter.window`): a sliding
log per counter and period, admitting a reservation when ``count + 1 <= requests`` and
``tokens + cost <= token limit`` over the window ``(now - period, now]``. It has no error
against a true sliding window at microsecond resolution; ``now`` is Redis's ``TIME`` (never a
gateway's clock), so the bound holds across every process that shares the server. (After a
failover the new primary's clock may differ from the old one's: windows shift by that skew.)

Each (counter, period) is two keys sharing the hash tag ``{sb}`` (so a Redis Cluster keeps
every key of an attempt in one slot and the script stays atomic):

* ``{sb}:<prefix>:<period>:<key>:z`` — a sorted set: reservation member → time (µs);
* ``{sb}:<prefix>:<period>:<key>:h`` — a hash: member → tokens, and ``#`` → their sum.

Both expire a period after the last reservation, so idle counters cost nothing.

Arguments: ``KEYS`` are the (z, h) pairs of the checks, in order. ``ARGV[1]`` is the operation
(``reserve``, ``reconcile``, ``release``, ``usage``), ``ARGV[2]`` the reservation id (each
check's member is ``<id>:<index>``), and ``ARGV[3]`` one string of integers separated by
spaces: a time offset in µs added to ``TIME`` (test-only, always ``0`` in production: it lets
the contract suite move the clock), the reconciled token count, then four per check: period
(µs), request limit, token limit (``-1``: none), cost. One string instead of a dozen arguments:
the client encodes a third of the parts, which is most of its cost per call (measured with
cProfile under the bench's load: packing the command was the largest single cost of a
reservation). A check that does not fit undoes the checks added before it, so a reservation
is all or nothing.

Replies: ``reserve`` → ``{1, now, <usage>}`` or ``{0, index, dimension, retry_us}``; ``usage`` →
``<usage>``: three integers per check (requests, tokens, µs until the oldest leaves), after the
reservation for ``reserve``; the others → ``1``.
"""

from __future__ import annotations

import functools
import hashlib

__all__ = ["SCRIPT", "SCRIPT_SHA", "keys_for"]

SCRIPT = r"""
if redis.replicate_commands then redis.replicate_commands() end

local function fmt(x) return string.format('%.0f', x) end

local function prune(z, h, now, period)
  local cutoff = fmt(now - period)
  while true do
    local old = redis.call('ZRANGEBYSCORE', z, '-inf', cutoff, 'LIMIT', 0, 256)
    if #old == 0 then return end
    local freed = 0
    for _, m in ipairs(old) do
      freed = freed + (tonumber(redis.call('HGET', h, m)) or 0)
    end
    redis.call('HDEL', h, unpack(old))
    redis.call('ZREM', z, unpack(old))
    if freed ~= 0 then redis.call('HINCRBY', h, '#', -freed) end
    if #old < 256 then return end
  end
end

local function refusal(z, h, now, period, rl, tl, cost)
  local count = redis.call('ZCARD', z)
  local total = tonumber(redis.call('HGET', h, '#')) or 0
  local over_r = rl >= 0 and count + 1 > rl
  local over_t = tl >= 0 and total + cost > tl
  if not (over_r or over_t) then return nil end
  local dim = 'tokens'
  if over_r then dim = 'requests' end
  if (rl >= 0 and rl < 1) or (tl >= 0 and cost > tl) then return {dim, period} end
  local need_r, need_t = 0, 0
  if rl >= 0 then need_r = count + 1 - rl end
  if tl >= 0 then need_t = total + cost - tl end
  local freed_r, freed_t, start = 0, 0, 0
  while true do
    local batch = redis.call('ZRANGE', z, start, start + 255, 'WITHSCORES')
    if #batch == 0 then return {dim, period} end
    for j = 1, #batch, 2 do
      freed_r = freed_r + 1
      if need_t > 0 then
        freed_t = freed_t + (tonumber(redis.call('HGET', h, batch[j])) or 0)
      end
      if freed_r >= need_r and freed_t >= need_t then
        return {dim, math.max(tonumber(batch[j + 1]) + period - now, 1)}
      end
    end
    start = start + 256
  end
end

local function take_back(z, h, m)
  if redis.call('ZREM', z, m) == 1 then
    local old = tonumber(redis.call('HGET', h, m)) or 0
    if old ~= 0 then
      redis.call('HDEL', h, m)
      redis.call('HINCRBY', h, '#', -old)
    end
  end
end

local op = ARGV[1]
local base = ARGV[2]
local nums = {}
for word in string.gmatch(ARGV[3], '%S+') do nums[#nums + 1] = tonumber(word) end
local n = #KEYS / 2

if op == 'reconcile' then
  local tokens = nums[2]
  for i = 1, n do
    local z, h, m = KEYS[2 * i - 1], KEYS[2 * i], base .. ':' .. i
    if redis.call('ZSCORE', z, m) then
      local old = tonumber(redis.call('HGET', h, m)) or 0
      if tokens > 0 then redis.call('HSET', h, m, tokens) else redis.call('HDEL', h, m) end
      if tokens ~= old then redis.call('HINCRBY', h, '#', tokens - old) end
      local ttl = redis.call('PTTL', z)
      if ttl > 0 then redis.call('PEXPIRE', h, ttl) end
    end
  end
  return 1
end

if op == 'release' then
  for i = 1, n do take_back(KEYS[2 * i - 1], KEYS[2 * i], base .. ':' .. i) end
  return 1
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) + nums[1]

local function arg(i, j) return nums[2 + (i - 1) * 4 + j] end

local function state(z, h, period)
  local reset = 0
  local oldest = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
  if #oldest > 0 then reset = math.max(tonumber(oldest[2]) + period - now, 0) end
  return redis.call('ZCARD', z), tonumber(redis.call('HGET', h, '#')) or 0, reset
end

if op == 'usage' then
  local out = {}
  for i = 1, n do
    local z, h, period = KEYS[2 * i - 1], KEYS[2 * i], arg(i, 1)
    prune(z, h, now, period)
    local count, total, reset = state(z, h, period)
    out[#out + 1] = count
    out[#out + 1] = total
    out[#out + 1] = reset
  end
  return out
end

local stamp = fmt(now)
for i = 1, n do
  local z, h = KEYS[2 * i - 1], KEYS[2 * i]
  local period, rl, tl, cost = arg(i, 1), arg(i, 2), arg(i, 3), arg(i, 4)
  prune(z, h, now, period)
  local r = refusal(z, h, now, period, rl, tl, cost)
  if r then
    for k = 1, i - 1 do take_back(KEYS[2 * k - 1], KEYS[2 * k], base .. ':' .. k) end
    return {0, i, r[1], r[2]}
  end
  local m = base .. ':' .. i
  redis.call('ZADD', z, stamp, m)
  if cost > 0 then
    redis.call('HSET', h, m, cost)
    redis.call('HINCRBY', h, '#', cost)
  end
  local ttl = fmt(math.floor(period / 1000) + 1000)
  redis.call('PEXPIRE', z, ttl)
  redis.call('PEXPIRE', h, ttl)
end
local out = {1, now}
for i = 1, n do
  local count, total, reset = state(KEYS[2 * i - 1], KEYS[2 * i], arg(i, 1))
  out[#out + 1] = count
  out[#out + 1] = total
  out[#out + 1] = reset
end
return out
"""

SCRIPT_SHA = hashlib.sha1(SCRIPT.encode(), usedforsecurity=False).hexdigest()


@functools.lru_cache(maxsize=65536)
def keys_for(prefix: str, period: str, key: str) -> tuple[bytes, bytes]:
    """The sorted-set and hash keys of one counter, both in the ``{sb}`` hash slot (encoded
    once: the same counters come back on every request)."""
    base = f"{{sb}}:{prefix}:{period}:{key}".encode()
    return base + b":z", base + b":h"
