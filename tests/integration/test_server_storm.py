"""Two uvicorn workers on Postgres: a storm of messages to one thread runs in order, once each."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest

from app.server.launcher import ServerProcess, scratch_database, serve_subprocess
from app.server.sse import parse_events

pytestmark = [pytest.mark.services, pytest.mark.timeout(900)]

TOKEN = {"Authorization": "Bearer storm-token"}
STORM = 30


@pytest.fixture(params=["postgres", "redis"])
def server(request: pytest.FixtureRequest, postgres_url: str) -> Iterator[ServerProcess]:
    """Two workers sharing Postgres; turn locks from Postgres advisory locks or Redis."""
    from agents.intent_classifier import IntentClassifier

    IntentClassifier.load()  # train once here; the workers read the cached model
    with ExitStack() as stack:
        database = stack.enter_context(scratch_database(postgres_url, "switchboard_storm"))
        env = {
            "SWITCHBOARD_DATABASE_URL": database,
            "SWITCHBOARD_MODEL": "scripted",
            "SWITCHBOARD_API_TOKENS": "storm-token:C1003",
            "SWITCHBOARD_RATE_LIMIT_CUSTOMER": "off",
            "SWITCHBOARD_RATE_LIMIT_IP": "off",
            "SWITCHBOARD_REDIS_URL": "",
        }
        if request.param == "redis":
            env["SWITCHBOARD_REDIS_URL"] = request.getfixturevalue("redis_url")
        running = stack.enter_context(
            serve_subprocess(env, workers=2, extra_args=("--no-dev-login",))
        )
        assert len(running.worker_pids()) == 2
        yield running


def _post(url: str, thread: str, index: int) -> list[tuple[str, dict]]:
    response = httpx.post(
        f"{url}/v1/threads/{thread}/messages",
        headers=TOKEN,
        json={"text": f"what plans are there (storm message {index})"},
        timeout=300,
    )
    assert response.status_code == 200, response.text
    return parse_events(response.text)


def test_a_storm_on_one_thread_is_processed_in_order_exactly_once(server: ServerProcess) -> None:
    thread = httpx.post(f"{server.url}/v1/threads", headers=TOKEN).json()["thread_id"]
    with ThreadPoolExecutor(max_workers=STORM) as pool:
        results = list(pool.map(lambda i: _post(server.url, thread, i), range(STORM)))

    seq_of_text: dict[int, int] = {}
    for index, events in enumerate(results):
        assert events[0][0] == "accepted" and events[-1][0] == "done", events[-1]
        seq_of_text[index] = events[0][1]["seq"]
        assert events[-1][1]["seq"] == events[0][1]["seq"]
    assert sorted(seq_of_text.values()) == list(range(1, STORM + 1))

    history = httpx.get(f"{server.url}/v1/threads/{thread}/history", headers=TOKEN).json()
    users = [m for m in history["messages"] if m["role"] == "user"]
    by_seq = sorted(seq_of_text, key=seq_of_text.__getitem__)
    assert [m["content"] for m in users] == [
        f"what plans are there (storm message {i})" for i in by_seq
    ]
    assert [m["id"] for m in users] == [f"{thread}:{seq}" for seq in range(1, STORM + 1)]
    assert history["turn"] == STORM
    turns = sorted(events[-1][1]["turn"] for events in results)
    assert turns == list(range(1, STORM + 1))  # each turn number exactly once
