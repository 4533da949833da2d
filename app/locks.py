"""One turn at a time per thread, across processes: Redis, Postgres advisory or in-process locks."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import redis
from psycopg_pool import ConnectionPool

LOCK_BACKEND_ENV = "SWITCHBOARD_LOCK_BACKEND"
REDIS_URL_ENV = "SWITCHBOARD_REDIS_URL"
REDIS_TTL_MS = 30_000
"""A Redis lease expires this long after its holder's last renewal (a crashed holder frees it)."""


class LockTimeout(TimeoutError):
    """The thread stayed busy for longer than the caller was willing to wait."""


class Lease(Protocol):
    """A held thread lock; ``release`` frees it (calling it twice is harmless)."""

    def release(self) -> None:
        """Free the lock."""
        ...


class TurnLocks(Protocol):
    """A family of per-thread locks shared by every process that uses the same backend."""

    backend: str

    def try_acquire(self, thread_id: str) -> Lease | None:
        """The lease on ``thread_id``'s lock, or ``None`` at once when someone else holds it."""
        ...

    def close(self) -> None:
        """Release the backend's connections."""
        ...


def lock_key(thread_id: str) -> int:
    """A stable signed 64-bit key for ``thread_id`` (the Postgres advisory-lock key)."""
    digest = hashlib.blake2b(f"switchboard-thread:{thread_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def hold(
    locks: TurnLocks, thread_id: str, timeout: float = 30.0, poll: float = 0.01
) -> Iterator[Lease]:
    """Hold ``thread_id``'s lock for the ``with`` block, waiting up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = poll
    while True:
        lease = locks.try_acquire(thread_id)
        if lease is not None:
            break
        if time.monotonic() >= deadline:
            raise LockTimeout(
                f"Thread {thread_id!r} stayed busy for {timeout:.0f}s; retry later or raise "
                "the timeout."
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    try:
        yield lease
    finally:
        lease.release()


class _LocalLease:
    """A lease on an in-process lock."""

    def __init__(self, owner: LocalLocks, thread_id: str) -> None:
        self._owner = owner
        self._thread_id = thread_id
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._owner._free(self._thread_id)


class LocalLocks:
    """Locks inside this process only (one worker, SQLite): a set of busy thread ids."""

    backend = "local"

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._busy: set[str] = set()

    def try_acquire(self, thread_id: str) -> Lease | None:
        """The lease, or ``None`` when another turn of this process holds it."""
        with self._mutex:
            if thread_id in self._busy:
                return None
            self._busy.add(thread_id)
        return _LocalLease(self, thread_id)

    def _free(self, thread_id: str) -> None:
        with self._mutex:
            self._busy.discard(thread_id)

    def close(self) -> None:
        """Nothing to release."""


class _PostgresLease:
    """A session-level advisory lock held on one pooled connection until release."""

    def __init__(self, pool: Any, conn: Any, key: int) -> None:
        self._pool = pool
        self._conn = conn
        self._key = key

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
        except Exception:
            # A broken connection has already dropped its session locks; the pool discards it.
            pass
        finally:
            self._pool.putconn(conn)


class PostgresLocks:
    """Session-level advisory locks; a killed holder's connection closes and frees its lock."""

    backend = "postgres"

    def __init__(self, url: str, max_size: int = 16) -> None:
        self._pool = ConnectionPool(
            url, min_size=1, max_size=max_size, kwargs={"autocommit": True}, open=False
        )
        self._pool.open(wait=True, timeout=10)

    def try_acquire(self, thread_id: str) -> Lease | None:
        """The lease, or ``None`` when another session (any process) holds the lock."""
        key = lock_key(thread_id)
        conn = self._pool.getconn()
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        except BaseException:
            self._pool.putconn(conn)
            raise
        if not (row and row[0]):
            self._pool.putconn(conn)
            return None
        return _PostgresLease(self._pool, conn, key)

    def close(self) -> None:
        """Close the pool (held locks are freed with their connections)."""
        self._pool.close()


_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class _RedisLease:
    """A Redis key holding this lease's random token; renewed while held."""

    def __init__(self, owner: RedisLocks, key: str, token: str) -> None:
        self._owner = owner
        self.key = key
        self.token = token
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._owner._free(self)


class RedisLocks:
    """``SET NX PX`` locks with a per-lease token; one background thread renews held leases."""

    backend = "redis"

    def __init__(self, url: str, ttl_ms: int = REDIS_TTL_MS) -> None:
        self._client = redis.Redis.from_url(url)
        self._client.ping()
        self._ttl_ms = ttl_ms
        self._renew = self._client.register_script(_RENEW)
        self._release = self._client.register_script(_RELEASE)
        self._mutex = threading.Lock()
        self._held: dict[str, _RedisLease] = {}
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def try_acquire(self, thread_id: str) -> Lease | None:
        """The lease, or ``None`` when another holder's key is still alive."""
        key = f"switchboard:turn-lock:{thread_id}"
        token = uuid.uuid4().hex
        if not self._client.set(key, token, nx=True, px=self._ttl_ms):
            return None
        lease = _RedisLease(self, key, token)
        with self._mutex:
            self._held[token] = lease
            self._start_renewer()
        return lease

    def _start_renewer(self) -> None:
        if self._renewer is None:
            self._renewer = threading.Thread(
                target=self._renew_loop, name="switchboard-lock-renewer", daemon=True
            )
            self._renewer.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self._ttl_ms / 3000):
            with self._mutex:
                leases = list(self._held.values())
            for lease in leases:
                try:
                    self._renew(keys=[lease.key], args=[lease.token, self._ttl_ms])
                except Exception:  # a Redis hiccup: the next round retries before the TTL
                    continue

    def _free(self, lease: _RedisLease) -> None:
        with self._mutex:
            self._held.pop(lease.token, None)
        self._release(keys=[lease.key], args=[lease.token])

    def close(self) -> None:
        """Stop renewing and close the client."""
        self._stop.set()
        self._client.close()


def lock_backend(database_url: str, redis_url: str) -> str:
    """Which backend to use: ``$SWITCHBOARD_LOCK_BACKEND``, else Redis, Postgres, local."""
    chosen = os.environ.get(LOCK_BACKEND_ENV, "").strip().lower()
    if chosen:
        if chosen not in {"local", "postgres", "redis"}:
            raise ValueError(
                f"Unknown {LOCK_BACKEND_ENV}={chosen!r}: use local, postgres or redis "
                "(or leave it unset to pick Redis, then Postgres, then local)."
            )
        return chosen
    if redis_url:
        return "redis"
    if database_url.startswith(("postgresql://", "postgres://")):
        return "postgres"
    return "local"


def open_locks(
    database_url: str = "", redis_url: str | None = None, pool_size: int = 16
) -> TurnLocks:
    """The turn locks for this configuration (Redis, Postgres advisory, or in-process)."""
    redis_url = (redis_url if redis_url is not None else os.environ.get(REDIS_URL_ENV, "")).strip()
    backend = lock_backend(database_url, redis_url)
    if backend == "redis":
        if not redis_url:
            raise ValueError(
                f"{LOCK_BACKEND_ENV}=redis needs {REDIS_URL_ENV}=redis://host:port/db."
            )
        return RedisLocks(redis_url)
    if backend == "postgres":
        if not database_url.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                f"{LOCK_BACKEND_ENV}=postgres needs SWITCHBOARD_DATABASE_URL=postgresql://..."
            )
        return PostgresLocks(database_url, max_size=pool_size)
    return LocalLocks()
