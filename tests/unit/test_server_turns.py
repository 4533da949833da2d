"""One turn at a time per thread: queueing, the reject and interrupt policies, crash recovery."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.server.app import create_app
from app.server.service import Service
from app.server.sse import parse_events
from app.session import Session
from tests.unit.test_server_api import ALICE, new_thread, settings


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(settings())) as test_client:
        yield test_client


def service_of(client: TestClient) -> Service:
    service: Service = client.app.state.service  # type: ignore[attr-defined]
    return service


def post(client: TestClient, thread: str, text: str) -> list[tuple[str, dict[str, Any]]]:
    response = client.post(f"/v1/threads/{thread}/messages", headers=ALICE, json={"text": text})
    return parse_events(response.text)


class CountingLocks:
    """Wraps the service's locks and counts refused attempts (the request found it busy)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.refused = threading.Event()

    def try_acquire(self, thread_id: str) -> Any:
        lease = self.inner.try_acquire(thread_id)
        if lease is None:
            self.refused.set()
        return lease

    def close(self) -> None:
        self.inner.close()


def test_message_waits_while_another_process_holds_the_thread(client: TestClient) -> None:
    service = service_of(client)
    thread = new_thread(client)
    lease = service.locks.try_acquire(thread)  # stands in for a turn running elsewhere
    assert lease is not None
    counting = CountingLocks(service.runner.locks)
    service.runner.locks = counting
    events: list[tuple[str, dict[str, Any]]] = []
    worker = threading.Thread(target=lambda: events.extend(post(client, thread, "show my bills")))
    worker.start()
    try:
        assert counting.refused.wait(timeout=60)  # the request tried and found the thread busy
        assert [e.status for e in service.inbox.pending(thread)] == ["queued"]
    finally:
        lease.release()
        service.runner.locks = counting.inner
    worker.join(timeout=60)
    kinds = [kind for kind, _ in events]
    assert kinds[:2] == ["accepted", "queued"] and kinds[-1] == "done"
    assert events[-1][1]["turn"] == 1


def test_queued_messages_run_in_arrival_order_exactly_once(client: TestClient) -> None:
    service = service_of(client)
    thread = new_thread(client)
    owner = "C1001"
    texts = [f"what plans are there (storm {i})" for i in range(5)]
    lease = service.locks.try_acquire(thread)
    assert lease is not None
    seqs = [service.inbox.enqueue(thread, "message", {"text": t})[0].seq for t in texts]
    lease.release()
    final = service.runner.attempt(thread, owner, seqs[-1])  # drains all five, in order
    assert final is not None and final.status == "done"
    entries = service.inbox.history(thread)
    assert [e.seq for e in entries] == seqs == sorted(seqs)
    assert [e.result["turn"] for e in entries if e.result] == [1, 2, 3, 4, 5]
    history = client.get(f"/v1/threads/{thread}/history", headers=ALICE).json()
    users = [m for m in history["messages"] if m["role"] == "user"]
    assert history["turn"] == 5 and [m["content"] for m in users] == texts
    assert [m["id"] for m in users] == [f"{thread}:{seq}" for seq in seqs]


def test_reject_policy_answers_409_while_busy() -> None:
    with TestClient(create_app(settings(busy_policy="reject"))) as client:
        service = service_of(client)
        thread = new_thread(client)
        lease = service.locks.try_acquire(thread)
        assert lease is not None
        busy = client.post(f"/v1/threads/{thread}/messages", headers=ALICE, json={"text": "hi"})
        lease.release()
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "thread_busy"
        assert [e.status for e in service.inbox.history(thread)] == ["rejected"]
        ok = post(client, thread, "show my bills")
        assert ok[-1][0] == "done" and ok[-1][1]["turn"] == 1


def test_interrupt_policy_cuts_the_running_turn_at_a_safe_point() -> None:
    with TestClient(create_app(settings(busy_policy="interrupt"))) as client:
        service = service_of(client)
        thread = new_thread(client)
        first, _ = service.inbox.enqueue(thread, "message", {"text": "show my bills"})
        service.inbox.claim_next(thread, first.seq)  # a worker started it
        assert service.inbox.request_cancel(thread) == 1  # a newer message asked it to stop
        service.runner.attempt(thread, "C1001", first.seq)
        cut = service.inbox.get(thread, first.seq)
        assert cut is not None and cut.result is not None and cut.result["cut_short"] is True
        assert cut.result["tool_calls"] == []  # stopped before the agent ran
        events = post(client, thread, "what plans are there")
        done = events[-1][1]
        assert done["cut_short"] is False and done["turn"] == 2
        assert done["tool_calls"][0]["name"] == "list_plans"


class Crash(Exception):
    """Stands in for a worker killed mid-turn."""


def test_a_turn_cut_by_a_crash_is_finished_not_rerun(client: TestClient) -> None:
    service = service_of(client)
    thread = new_thread(client)
    entry, _ = service.inbox.enqueue(thread, "message", {"text": "show my bills"})
    service.inbox.claim_next(thread, entry.seq)  # a worker started it
    session = Session(
        service.graph, thread, service.context_for("C1001"), metadata={"sb_seq": entry.seq}
    )

    def crash_after_classify(node: str, _update: Any) -> None:
        if node == "classify_intent":
            raise Crash

    with pytest.raises(Crash):
        session.send("show my bills", on_update=crash_after_classify, message_id=f"{thread}:1")
    assert service.graph.get_state(session.config).next  # the checkpoint has work left

    final = service.runner.attempt(thread, "C1001", entry.seq)
    assert final is not None and final.result is not None
    assert final.result["recovered"] is True and final.attempts == 2
    assert final.result["turn"] == 1  # the message counted once
    assert final.result["tool_calls"][0]["name"] == "list_bills"
    state = client.get(f"/v1/threads/{thread}/state", headers=ALICE).json()
    assert [m["id"] for m in state["messages"] if m["role"] == "user"] == [f"{thread}:1"]


def test_a_message_accepted_but_never_started_runs_once(client: TestClient) -> None:
    service = service_of(client)
    thread = new_thread(client)
    entry, _ = service.inbox.enqueue(thread, "message", {"text": "what plans are there"})
    service.inbox.claim_next(thread, entry.seq)  # the worker died before the graph started
    final = service.runner.attempt(thread, "C1001", None)  # the sweeper's call
    assert final is None
    done = service.inbox.get(thread, entry.seq)
    assert done is not None and done.status == "done" and done.result is not None
    assert done.result["turn"] == 1 and done.result["recovered"] is False
