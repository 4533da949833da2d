"""One turn at a time per thread, across processes: Redis, Postgres advisory or in-process locks."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from data_access import SessionLock, open_database, parse_database_url
from data_access.kv import LockNotOwnedError, RedisError, redis_client

log = logging.getLogger("switchboard.locks")

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


class PostgresLocks:
    """Session-level advisory locks; a killed holder's connection closes and frees its lock."""

    backend = "postgres"

    def __init__(self, url: str, max_size: int = 16) -> None:
        self._db = open_database(url, "SWITCHBOARD_DATABASE_URL", pool_size=max_size)

    def try_acquire(self, thread_id: str) -> SessionLock | None:
        """The lease, or ``None`` when another session (any process) holds the lock."""
        return self._db.try_session_lock(lock_key(thread_id))

    def close(self) -> None:
        """Close the pool (held locks are freed with their connections)."""
        self._db.close()


class _RedisLease:
    """A held redis-py ``Lock``; renewed by its owner's background thread while held."""

    def __init__(self, owner: RedisLocks, lock: Any) -> None:
        self._owner = owner
        self.lock = lock
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._owner._free(self)


class RedisLocks:
    """redis-py ``Lock`` per thread (``SET NX PX`` with a random token, token-checked release);
    one background thread ``reacquire``s every held lock, so a lease lives while its holder
    does and expires ``ttl_ms`` after a crash."""

    backend = "redis"

    def __init__(self, url: str, ttl_ms: int = REDIS_TTL_MS) -> None:
        self._client = redis_client(url)
        self._client.ping()
        self._ttl_s = ttl_ms / 1000
        self._mutex = threading.Lock()
        self._held: dict[int, _RedisLease] = {}
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def try_acquire(self, thread_id: str) -> Lease | None:
        """The lease, or ``None`` when another holder's key is still alive."""
        lock = self._client.lock(
            f"switchboard:turn-lock:{thread_id}",
            timeout=self._ttl_s,
            thread_local=False,  # the renewer thread and the releasing thread share the token
        )
        if not lock.acquire(blocking=False):
            return None
        lease = _RedisLease(self, lock)
        with self._mutex:
            self._held[id(lease)] = lease
            self._start_renewer()
        return lease

    def _start_renewer(self) -> None:
        if self._renewer is None:
            self._renewer = threading.Thread(
                target=self._renew_loop, name="switchboard-lock-renewer", daemon=True
            )
            self._renewer.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self._ttl_s / 3):
            with self._mutex:
                leases = list(self._held.values())
            for lease in leases:
                try:
                    lease.lock.reacquire()
                except LockNotOwnedError:
                    log.warning("A turn lock expired while held: %s", lease.lock.name)
                except RedisError:  # a Redis hiccup: the next round retries before the TTL
                    continue

    def _free(self, lease: _RedisLease) -> None:
        with self._mutex:
            self._held.pop(id(lease), None)
        try:
            lease.lock.release()
        except LockNotOwnedError:  # it expired, and maybe another holder has it now
            log.warning("A turn lock had expired before its release: %s", lease.lock.name)

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
    if database_url.strip() and parse_database_url(database_url).shared:
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
        if not (database_url.strip() and parse_database_url(database_url).shared):
            raise ValueError(
                f"{LOCK_BACKEND_ENV}=postgres needs SWITCHBOARD_DATABASE_URL=postgresql://..."
            )
        return PostgresLocks(database_url, max_size=pool_size)
    return LocalLocks()
