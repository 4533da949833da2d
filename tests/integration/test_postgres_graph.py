"""The served support graph on SQLite and Postgres: checkpoints, telco store and inbox persist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.server.app import create_app
from app.server.launcher import scratch_database
from app.server.settings import ServerSettings
from app.server.sse import parse_events
from tests.support_helpers import letters_ref
from tools.store import open_store
from tools.write_flow import answer_call_id

pytestmark = [pytest.mark.services, pytest.mark.timeout(600)]

ALICE = {"Authorization": "Bearer tok-1001"}


def _settings(database_url: str) -> ServerSettings:
    return ServerSettings(
        database_url=database_url,
        model="scripted",
        api_tokens={"tok-1001": "C1001"},
        rate_customer=None,
        rate_ip=None,
    )


@pytest.fixture
def scratch_url(postgres_url: str) -> Iterator[str]:
    """A private database on the test server (other suites may reset the shared one)."""
    with scratch_database(postgres_url, "switchboard_it") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return ""
    url: str = request.getfixturevalue("scratch_url")
    return url


def _events(response: Any) -> list[tuple[str, dict[str, Any]]]:
    assert response.status_code == 200, response.text
    return parse_events(response.text)


def test_a_confirmed_write_and_its_checkpoints_persist_across_restarts(database_url: str) -> None:
    ref = letters_ref()
    with TestClient(create_app(_settings(database_url))) as client:
        thread = client.post("/v1/threads", headers=ALICE).json()["thread_id"]
        first = _events(
            client.post(
                f"/v1/threads/{thread}/messages",
                headers=ALICE,
                json={"text": f"please open a ticket, my data is slow (ref {ref})"},
            )
        )
        assert (first[-1][1].get("interrupt") or {}).get("tool") == "open_ticket", first[-1]
        done = _events(
            client.post(f"/v1/threads/{thread}/confirm", headers=ALICE, json={"approve": True})
        )[-1][1]
        assert "Ticket" in done["tool_results"][0]["content"]
        service = client.app.state.service  # type: ignore[attr-defined]
        checkpoints = len(list(service.graph.get_state_history(_config(thread))))
        assert checkpoints >= 2  # the confirmation pause and the end of the turn (durability exit)

    store = open_store(database_url or None)
    assert store.dialect == ("postgres" if database_url else "sqlite")
    tickets = store.rows("tickets", "description LIKE ?", (f"%(ref {ref})%",))
    assert len(tickets) == 1 and tickets[0]["customer_id"] == "C1001"
    call_id = answer_call_id(first[-1][1]["tool_calls"][0]["id"], approved=True)
    assert len(store.rows("tool_runs", "tool_call_id = ?", (call_id,))) == 1

    with TestClient(create_app(_settings(database_url))) as client:  # a fresh "process"
        state = client.get(f"/v1/threads/{thread}/state", headers=ALICE).json()
        assert state["turn"] == 2 and state["pending_confirmation"] is None
        assert [e["status"] for e in state["inbox"]] == ["done", "done"]
        history = client.get(f"/v1/threads/{thread}/history", headers=ALICE).json()
        assert history["checkpoints"] == checkpoints
        assert history["messages"][0]["content"].endswith(f"(ref {ref})")


def _config(thread: str) -> Any:
    return {"configurable": {"thread_id": thread}}


def test_checkpoints_live_in_postgres_tables(scratch_url: str) -> None:
    import psycopg

    with TestClient(create_app(_settings(scratch_url))) as client:
        thread = client.post("/v1/threads", headers=ALICE).json()["thread_id"]
        _events(
            client.post(
                f"/v1/threads/{thread}/messages", headers=ALICE, json={"text": "show my bills"}
            )
        )
    with psycopg.connect(scratch_url) as conn:
        stored = conn.execute(
            "SELECT COUNT(*) FROM checkpoints WHERE thread_id = %s", (thread,)
        ).fetchone()
        inbox = conn.execute(
            "SELECT status FROM sb_inbox WHERE thread_id = %s", (thread,)
        ).fetchall()
        owner = conn.execute(
            "SELECT customer_id FROM sb_threads WHERE thread_id = %s", (thread,)
        ).fetchone()
    assert stored is not None and stored[0] >= 1
    assert [row[0] for row in inbox] == ["done"]
    assert owner == ("C1001",)


SETUP = """
import sys
from app.stores import open_checkpointer
with open_checkpointer(sys.argv[1]) as saver:
    print(type(saver).__name__)
"""


def test_workers_starting_together_set_up_a_fresh_database(scratch_url: str) -> None:
    import os
    import subprocess
    import sys

    from conversation.paths import repo_root

    env = {**os.environ, "PYTHONPATH": str(repo_root())}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", SETUP, scratch_url],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0, 0], outputs
    assert all(out.strip() == b"PooledPostgresSaver" for out, _ in outputs)
