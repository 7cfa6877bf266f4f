"""Rate-limit counters: in the process (embedded) and in Redis (shared by every production web process)."""

import os
import uuid

import pytest
import redis

from kaifang.web.ratelimit import MemoryRateLimiter, RedisRateLimiter


def _limiters(settings):
    yield MemoryRateLimiter()
    try:
        redis.Redis.from_url(settings.redis_url).ping()
    except redis.RedisError:
        if os.environ.get("KAIFANG_TEST_REQUIRE_REDIS"):
            raise
        return
    yield RedisRateLimiter(settings.redis_url, f"kaifang-test-{uuid.uuid4().hex[:8]}")


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_limit_counts_per_key(kind, settings):
    limiter = next((x for x in _limiters(settings) if type(x).__name__.lower().startswith(kind)), None)
    if limiter is None:
        pytest.skip("Redis is not running on localhost")
    assert [limiter.hit("a", 3) for _ in range(3)] == [0, 0, 0]
    assert 1 <= limiter.hit("a", 3) <= 61
    assert limiter.hit("b", 3) == 0, "another caller has its own counter"
