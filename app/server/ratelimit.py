"""Token-bucket rate limits per customer and per client address: in-process or shared in Redis."""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from app.server.settings import Rate
from data_access.kv import redis_client

log = logging.getLogger("switchboard.server.ratelimit")

_BUCKET = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local data = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(data[1]) or burst
local stamp = tonumber(data[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class Limiter(Protocol):
    """Takes one request from a named bucket."""

    backend: str

    def hit(self, key: str, rate: Rate) -> float:
        """0 when the request may go ahead, else the seconds until it would be allowed."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class LocalLimiter:
    """Buckets in this process (each worker counts on its own)."""

    backend = "local"
    _PRUNE_EVERY = 1024

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._hits = 0

    def hit(self, key: str, rate: Rate) -> float:
        """Take a token from ``key``'s bucket."""
        now = time.monotonic()
        with self._mutex:
            tokens, stamp = self._buckets.get(key, (rate.burst, now))
            tokens = min(rate.burst, tokens + (now - stamp) * rate.per_second)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate.per_second
            self._buckets[key] = (tokens, now)
            self._hits += 1
            if self._hits % self._PRUNE_EVERY == 0:
                self._prune(now, rate)
            return wait

    def _prune(self, now: float, rate: Rate) -> None:
        """Forget buckets that have been idle long enough to be full again."""
        idle = rate.burst / rate.per_second
        stale = [k for k, (_, stamp) in self._buckets.items() if now - stamp > idle]
        for key in stale:
            del self._buckets[key]

    def close(self) -> None:
        """Nothing to release."""


class RedisLimiter:
    """Buckets shared by every worker through Redis (atomic Lua script)."""

    backend = "redis"

    def __init__(self, url: str) -> None:
        self._client = redis_client(url, socket_timeout=2)
        self._script = self._client.register_script(_BUCKET)

    def hit(self, key: str, rate: Rate) -> float:
        """Take a token; when Redis is unreachable the request goes ahead (logged)."""
        try:
            wait = self._script(
                keys=[f"switchboard:rate:{key}"], args=[rate.burst, rate.per_second, time.time()]
            )
        except Exception as error:
            log.warning("Rate limit check skipped, Redis failed: %s", error)
            return 0.0
        return float(wait.decode() if isinstance(wait, bytes) else wait)

    def close(self) -> None:
        """Close the client."""
        self._client.close()


def open_limiter(redis_url: str) -> Limiter:
    """Redis buckets when ``redis_url`` is set, in-process buckets otherwise."""
    return RedisLimiter(redis_url) if redis_url else LocalLimiter()
