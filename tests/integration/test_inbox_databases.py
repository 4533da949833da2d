"""The per-thread inbox on SQLite and on Postgres: order, idempotent resends, claims, results."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from app.server.inbox import Inbox
from app.server.launcher import scratch_database
from data_access import open_database


@pytest.fixture(params=["sqlite", "postgres"])
def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Inbox]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'inbox.sqlite'}"
        with closing(open_database(url)) as db:
            box = Inbox(db)
            box.setup()
            yield box
        return
    postgres_url = request.getfixturevalue("postgres_url")
    with (
        scratch_database(postgres_url, "switchboard_inbox") as url,
        closing(open_database(url)) as db,
    ):
        box = Inbox(db)
        box.setup()
        yield box


def test_a_resent_client_id_returns_the_first_entry(inbox: Inbox) -> None:
    thread = uuid.uuid4().hex
    first, created = inbox.enqueue(thread, "message", {"text": "hi"}, "c-1")
    again, created_again = inbox.enqueue(thread, "message", {"text": "hi (resent)"}, "c-1")
    other, _ = inbox.enqueue(thread, "message", {"text": "next"}, "c-2")
    assert created and not created_again
    assert again.seq == first.seq and again.payload == {"text": "hi"}
    assert other.seq > first.seq
    assert [e.payload["text"] for e in inbox.history(thread)] == ["hi", "next"]


def test_concurrent_enqueues_get_distinct_increasing_numbers(inbox: Inbox) -> None:
    thread = uuid.uuid4().hex
    seqs: list[int] = []
    lock = threading.Lock()

    def send(i: int) -> None:
        entry, _ = inbox.enqueue(thread, "message", {"text": str(i)}, f"c-{i}")
        with lock:
            seqs.append(entry.seq)

    workers = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(set(seqs)) == 8
    assert [e.seq for e in inbox.history(thread)] == sorted(seqs)


def test_claims_go_oldest_first_and_count_attempts(inbox: Inbox) -> None:
    thread = uuid.uuid4().hex
    first, _ = inbox.enqueue(thread, "message", {"text": "one"})
    second, _ = inbox.enqueue(thread, "message", {"text": "two"})
    claimed = inbox.claim_next(thread, second.seq)
    assert claimed is not None and claimed.seq == first.seq
    assert claimed.status == "running" and claimed.attempts == 1
    again = inbox.claim_next(thread, second.seq)  # a crash left it running: claimed again
    assert again is not None and again.seq == first.seq and again.attempts == 2
    done = inbox.finish(thread, first.seq, "done", result={"reply": "ok"})
    assert done is not None and done.final and done.result == {"reply": "ok"}
    assert inbox.claim_next(thread, first.seq) is None  # nothing unfinished up to seq 1
    following = inbox.claim_next(thread)
    assert following is not None and following.seq == second.seq


def test_unfinished_or_sent_sees_queued_entries_and_known_client_ids(inbox: Inbox) -> None:
    thread = uuid.uuid4().hex
    assert not inbox.unfinished_or_sent(thread, "c-1")
    entry, _ = inbox.enqueue(thread, "answer", {"approve": True}, "c-1")
    assert inbox.unfinished_or_sent(thread, None)
    inbox.finish(thread, entry.seq, "done", result={})
    assert inbox.unfinished_or_sent(thread, "c-1") and not inbox.unfinished_or_sent(thread, "c-2")
