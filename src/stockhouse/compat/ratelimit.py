"""Cliparto's request limits: one request per interval per contributor, and no identical
query within a window.

A request that passes the interval check takes the contributor's slot even when it is then
refused as a repeat (every answered request counts); a refused request takes nothing.
The in-process limiter serves a single server process; with Redis configured the limits
are shared by all processes. Both read time from an injectable clock, so tests control it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Protocol, cast

from stockhouse.errors import RateLimited

Clock = Callable[[], float]
REDIS_PREFIX = "stockhouse:cliparto:"
PRUNE_EVERY = 1000  # calls between sweeps of expired in-process entries


class TooFrequent(RateLimited):
    """Another request of the contributor was accepted less than the interval ago."""


class RepeatedQuery(RateLimited):
    """The same query (id, q, ext) was answered less than the repeat window ago."""


class RequestLimiter(Protocol):
    def check(self, contributor_id: int, id_: str, q: str, ext: str) -> None:
        """Record an accepted request, or raise TooFrequent / RepeatedQuery."""


def query_key(id_: str, q: str, ext: str) -> str:
    """A bounded, collision-resistant key for one exact query."""
    return hashlib.sha256(f"{id_}\0{q}\0{ext}".encode()).hexdigest()


def _too_frequent(wait_s: float) -> TooFrequent:
    return TooFrequent("too many requests", retry_after_s=wait_s)


def _repeated(wait_s: float) -> RepeatedQuery:
    return RepeatedQuery("the same query was made recently", retry_after_s=wait_s)


class InProcessLimiter:
    """The limits kept in this process's memory."""

    def __init__(self, interval_s: float, window_s: float, clock: Clock = time.time) -> None:
        self.interval_s = interval_s
        self.window_s = window_s
        self.clock = clock
        self._last: dict[int, float] = {}
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def check(self, contributor_id: int, id_: str, q: str, ext: str) -> None:
        key = query_key(id_, q, ext)
        with self._lock:
            now = self.clock()
            self._prune(now)
            last = self._last.get(contributor_id)
            if last is not None and now - last < self.interval_s:
                raise _too_frequent(self.interval_s - (now - last))
            self._last[contributor_id] = now
            seen = self._seen.get(key)
            if seen is not None and now - seen < self.window_s:
                raise _repeated(self.window_s - (now - seen))
            self._seen[key] = now

    def _prune(self, now: float) -> None:
        self._calls += 1
        if self._calls % PRUNE_EVERY:
            return
        self._last = {k: t for k, t in self._last.items() if now - t < self.interval_s}
        self._seen = {k: t for k, t in self._seen.items() if now - t < self.window_s}


# Both checks in one atomic step; times are milliseconds of the caller's clock.
_CHECK_SCRIPT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local last = tonumber(redis.call('GET', KEYS[1]))
if last and now - last < interval then return {1, interval - (now - last)} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', math.max(interval, 1))
local seen = tonumber(redis.call('GET', KEYS[2]))
if seen and now - seen < window then return {2, window - (now - seen)} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', math.max(window, 1))
return {0, 0}
"""


class RedisLimiter:
    """The limits kept in Redis, shared by every server process."""

    def __init__(
        self,
        url: str,
        interval_s: float,
        window_s: float,
        clock: Clock = time.time,
        prefix: str = REDIS_PREFIX,
    ) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.interval_s = interval_s
        self.window_s = window_s
        self.clock = clock
        self.prefix = prefix
        self._script = self.client.register_script(_CHECK_SCRIPT)

    def check(self, contributor_id: int, id_: str, q: str, ext: str) -> None:
        keys = [f"{self.prefix}last:{contributor_id}", f"{self.prefix}q:{query_key(id_, q, ext)}"]
        args = [
            int(self.clock() * 1000),
            int(self.interval_s * 1000),
            int(self.window_s * 1000),
        ]
        verdict, wait_ms = cast(list[int], self._script(keys=keys, args=args))
        if verdict == 1:
            raise _too_frequent(int(wait_ms) / 1000)
        if verdict == 2:
            raise _repeated(int(wait_ms) / 1000)

    def close(self) -> None:
        self.client.close()


def limiter_for(
    redis_url: str | None, interval_s: float, window_s: float, clock: Clock = time.time
) -> RequestLimiter:
    """The Redis limiter when Redis is configured, else the in-process one."""
    if redis_url:
        return RedisLimiter(redis_url, interval_s, window_s, clock)
    return InProcessLimiter(interval_s, window_s, clock)
