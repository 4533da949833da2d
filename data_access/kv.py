"""Redis connections (turn locks, rate-limit buckets, research notes): clients and checks."""

from __future__ import annotations

import re
from typing import Any

import redis
from redis.exceptions import LockError, LockNotOwnedError, RedisError

__all__ = [
    "LockError",
    "LockNotOwnedError",
    "RedisClient",
    "RedisError",
    "RedisUrlError",
    "check_redis_url",
    "is_redis_url",
    "ping_redis",
    "redis_client",
]

RedisClient = redis.Redis
"""The synchronous redis-py client (its commands return ``Any`` to callers)."""
_REDIS_URL = re.compile(r"^(redis|rediss|unix)://.+")


class RedisUrlError(ValueError):
    """A Redis URL is malformed (one-line message with the fix)."""


def is_redis_url(url: str) -> bool:
    """Whether ``url`` names a Redis server (``redis://``, ``rediss://`` or ``unix://``)."""
    return bool(_REDIS_URL.match(url.strip()))


def check_redis_url(url: str, what: str = "Redis") -> str:
    """``url`` stripped, or ``RedisUrlError`` naming the valid form."""
    text = url.strip()
    if not _REDIS_URL.match(text):
        raise RedisUrlError(f"{what} URL {text!r} is not a Redis URL: use redis://host:6379/0.")
    return text


def redis_client(url: str, socket_timeout: float | None = None) -> Any:
    """A client for ``url`` (connections open lazily, pooled by the client)."""
    return redis.Redis.from_url(check_redis_url(url), socket_timeout=socket_timeout)


def ping_redis(url: str, socket_timeout: float = 2.0) -> None:
    """Raise ``RedisError`` when the server at ``url`` does not answer."""
    client = redis_client(url, socket_timeout=socket_timeout)
    try:
        client.ping()
    finally:
        client.close()
