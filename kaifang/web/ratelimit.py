"""Rate limits for the data API and downloads (A19.1: a free key raises the limit; anonymous calls get less).

Fixed one-minute windows. The embedded shape counts in the process (it has one); production counts in Redis,
so that every web process shares the same counters."""

from __future__ import annotations

import threading
import time
from typing import Protocol

import redis

from kaifang.config import Settings

WINDOW = 60


class RateLimiter(Protocol):
    def hit(self, key: str, limit: int) -> int:
        """Count one call; return 0 if allowed, else the seconds until the window ends."""


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int) -> int:
        now = time.time()
        window = int(now // WINDOW)
        with self._lock:
            if len(self._counts) > 100_000:  # drop past windows
                self._counts = {k: v for k, v in self._counts.items() if k[1] == window}
            n = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = n
        return 0 if n <= limit else int((window + 1) * WINDOW - now) + 1


class RedisRateLimiter:
    def __init__(self, url: str, prefix: str) -> None:
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def hit(self, key: str, limit: int) -> int:
        now = time.time()
        window = int(now // WINDOW)
        name = f"{self._prefix}:rl:{key}:{window}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, WINDOW * 2)
        n, _ = pipe.execute()
        return 0 if n <= limit else int((window + 1) * WINDOW - now) + 1


def make_rate_limiter(settings: Settings) -> RateLimiter:
    if settings.rate_limit_backend == "redis":
        return RedisRateLimiter(settings.redis_url, settings.jobs_name)
    return MemoryRateLimiter()
