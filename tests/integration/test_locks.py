"""Turn locks across processes: Postgres advisory and Redis locks exclude, and free on SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from app.locks import PostgresLocks, RedisLocks, TurnLocks, hold
from conversation.paths import repo_root

pytestmark = [pytest.mark.services, pytest.mark.timeout(300)]

HOLDER = """
import sys, time
from app.locks import PostgresLocks, RedisLocks
backend, url, thread, flag = sys.argv[1:5]
locks = PostgresLocks(url) if backend == "postgres" else RedisLocks(url, ttl_ms=1500)
lease = locks.try_acquire(thread)
open(flag, "w").write("held" if lease else "busy")
time.sleep(600)
"""

COUNTER = """
import sys, time
from pathlib import Path
from app.locks import PostgresLocks, RedisLocks, hold
backend, url, thread, path, rounds = sys.argv[1:6]
locks = PostgresLocks(url) if backend == "postgres" else RedisLocks(url)
counter = Path(path)
for _ in range(int(rounds)):
    with hold(locks, thread, timeout=120):
        value = int(counter.read_text())
        time.sleep(0.002)  # widen the read-modify-write window
        counter.write_text(str(value + 1))
locks.close()
"""


def _python(code: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(repo_root())}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, cwd=repo_root())


def _locks(backend: str, url: str) -> TurnLocks:
    return PostgresLocks(url) if backend == "postgres" else RedisLocks(url, ttl_ms=1500)


def _url(backend: str, postgres_url: str, redis_url: str) -> str:
    return postgres_url if backend == "postgres" else redis_url


@pytest.fixture(params=["postgres", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    request.getfixturevalue("postgres_url" if name == "postgres" else "redis_url")
    return name


def _wait_for(path: Path, timeout_s: float = 60.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} was never written")


def test_a_lock_held_by_another_process_excludes_and_is_freed_by_sigkill(
    backend: str, postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    url = _url(backend, postgres_url, redis_url)
    thread = f"lock-test-{uuid.uuid4().hex[:8]}"
    flag = tmp_path / "flag"
    holder = _python(HOLDER, backend, url, thread, str(flag))
    locks = _locks(backend, url)
    try:
        assert _wait_for(flag) == "held"
        assert locks.try_acquire(thread) is None  # another process holds it
        other = locks.try_acquire(f"{thread}-other")
        assert other is not None  # locks are per thread
        other.release()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        with hold(locks, thread, timeout=60):  # freed: connection closed / lease expired
            assert locks.try_acquire(thread) is None
        lease = locks.try_acquire(thread)
        assert lease is not None
        lease.release()
    finally:
        if holder.poll() is None:
            holder.kill()
        locks.close()


def test_two_processes_never_interleave_a_critical_section(
    backend: str, postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    url = _url(backend, postgres_url, redis_url)
    thread = f"count-test-{uuid.uuid4().hex[:8]}"
    counter = tmp_path / "counter"
    counter.write_text("0")
    rounds = 40
    workers = [_python(COUNTER, backend, url, thread, str(counter), str(rounds)) for _ in range(3)]
    for worker in workers:
        assert worker.wait(timeout=240) == 0
    assert int(counter.read_text()) == 3 * rounds  # no lost update
