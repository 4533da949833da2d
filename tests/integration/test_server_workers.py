"""Several workers, each on its own SO_REUSEPORT socket: all serve, and a killed one is replaced."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from app.server.launcher import ServerProcess, scratch_database, serve_subprocess
from app.server.workers import reuse_port_available

pytestmark = [
    pytest.mark.services,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not reuse_port_available(), reason="SO_REUSEPORT balancing is Linux-only"),
]


@pytest.fixture
def server(postgres_url: str) -> Iterator[ServerProcess]:
    from agents.intent_classifier import IntentClassifier

    IntentClassifier.load()  # train once here; the workers read the cached model
    with (
        scratch_database(postgres_url, "switchboard_workers") as database,
        serve_subprocess(
            {
                "SWITCHBOARD_DATABASE_URL": database,
                "SWITCHBOARD_MODEL": "scripted",
                "SWITCHBOARD_API_TOKENS": "w-token:C1001",
                "SWITCHBOARD_REDIS_URL": "",
            },
            workers=2,
            extra_args=("--no-dev-login",),
        ) as running,
    ):
        yield running


def answering_workers(url: str, probes: int = 40) -> set[int]:
    """Worker pids seen over ``probes`` fresh connections."""
    return {int(httpx.get(f"{url}/readyz", timeout=10).json()["worker"]) for _ in range(probes)}


def test_new_connections_reach_every_worker(server: ServerProcess) -> None:
    pids = set(server.worker_pids())
    assert len(pids) == 2
    assert answering_workers(server.url) == pids


def test_a_killed_worker_is_replaced_and_serves(server: ServerProcess) -> None:
    victim, survivor = server.worker_pids()
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 240
    seen: set[int] = set()
    while time.monotonic() < deadline:
        current = set(server.worker_pids())
        if victim not in current and len(current) == 2:
            seen = answering_workers(server.url, probes=10)
            if seen == current:
                break
        time.sleep(1)
    assert victim not in seen and survivor in seen and len(seen) == 2
    thread = httpx.post(
        f"{server.url}/v1/threads", headers={"Authorization": "Bearer w-token"}, timeout=30
    )
    assert thread.status_code == 201
