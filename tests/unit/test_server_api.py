"""HTTP API over TestClient (SQLite, scripted model): threads, SSE turns, confirmations, errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.server.app import create_app
from app.server.settings import Rate, ServerSettings
from app.server.sse import parse_events
from tests.support_helpers import letters_ref

TOKENS = {"tok-1001": "C1001", "tok-1002": "C1002"}
ALICE = {"Authorization": "Bearer tok-1001"}
BOB = {"Authorization": "Bearer tok-1002"}
JSON = {"Accept": "application/json"}


def settings(**overrides: Any) -> ServerSettings:
    """Test settings: SQLite in the session's data dir, scripted model, no rate limits."""
    base: dict[str, Any] = {
        "model": "scripted",
        "api_tokens": TOKENS,
        "rate_customer": None,
        "rate_ip": None,
        "max_body_bytes": 16 * 1024,
        "max_message_chars": 4000,
    }
    base.update(overrides)
    return ServerSettings(**base)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(settings())) as test_client:
        yield test_client


def new_thread(client: TestClient, headers: dict[str, str] = ALICE) -> str:
    response = client.post("/v1/threads", headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["thread_id"])


def say(client: TestClient, thread: str, text: str, headers: dict[str, str] = ALICE) -> list:
    response = client.post(f"/v1/threads/{thread}/messages", headers=headers, json={"text": text})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_events(response.text)


def kinds(events: list) -> list[str]:
    return [kind for kind, _ in events]


def last(events: list, kind: str) -> dict[str, Any]:
    return [data for k, data in events if k == kind][-1]


def test_threads_are_created_listed_and_read(client: TestClient) -> None:
    thread = new_thread(client)
    listed = client.get("/v1/threads", headers=ALICE).json()["threads"]
    assert thread in [t["thread_id"] for t in listed]
    got = client.get(f"/v1/threads/{thread}", headers=ALICE).json()
    assert got["customer_id"] == "C1001" and got["graph"] == "support"


def test_message_streams_agent_tool_tokens_and_done(client: TestClient) -> None:
    thread = new_thread(client)
    events = say(client, thread, "show my bills")
    assert kinds(events)[0] == "accepted" and kinds(events)[-1] == "done"
    assert last(events, "agent")["agent"] == "billing"
    assert last(events, "tool")["name"] == "list_bills"
    streamed = "".join(data["text"] for kind, data in events if kind == "token")
    done = last(events, "done")
    assert done["reply"] and streamed == done["reply"]
    assert done["turn"] == 1 and done["seq"] == 1 and done["thread"] == thread


def test_json_mode_returns_the_turn_result(client: TestClient) -> None:
    thread = new_thread(client)
    response = client.post(
        f"/v1/threads/{thread}/messages", headers={**ALICE, **JSON}, json={"text": "what plans"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["agent"] == "plan_change" and body["tool_calls"][0]["name"] == "list_plans"


def test_confirmation_flow_pending_then_approved(client: TestClient) -> None:
    thread = new_thread(client)
    ref = letters_ref()
    events = say(client, thread, f"please open a ticket, my data is slow (ref {ref})")
    confirm = last(events, "confirm")
    assert confirm["kind"] == "confirm" and confirm["tool"] == "open_ticket"
    assert last(events, "done")["interrupt"]["summary"] == confirm["summary"]
    state = client.get(f"/v1/threads/{thread}/state", headers=ALICE).json()
    assert state["pending_confirmation"]["tool"] == "open_ticket"

    response = client.post(f"/v1/threads/{thread}/confirm", headers=ALICE, json={"approve": True})
    done = last(parse_events(response.text), "done")
    assert "Ticket" in done["tool_results"][0]["content"] and done["interrupt"] is None
    state = client.get(f"/v1/threads/{thread}/state", headers=ALICE).json()
    assert state["pending_confirmation"] is None
    assert [e["kind"] for e in state["inbox"]] == ["message", "answer"]

    again = client.post(f"/v1/threads/{thread}/confirm", headers=ALICE, json={"approve": True})
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_confirm"


def test_declined_confirmation_changes_nothing(client: TestClient) -> None:
    thread = new_thread(client)
    say(client, thread, f"please open a ticket, no signal (ref {letters_ref()})")
    response = client.post(
        f"/v1/threads/{thread}/confirm", headers={**ALICE, **JSON}, json={"approve": False}
    )
    result = response.json()
    assert response.status_code == 200
    assert "Ticket" not in " ".join(r["content"] for r in result["tool_results"])


def test_state_has_messages_ledger_and_inbox(client: TestClient) -> None:
    thread = new_thread(client)
    say(client, thread, "show my bills")
    state = client.get(f"/v1/threads/{thread}/state", headers=ALICE).json()
    assert state["turn"] == 1 and state["agent"] == "billing"
    assert state["messages"][0] == {
        "id": f"{thread}:1",
        "role": "user",
        "content": "show my bills",
        "name": None,
        "tool_calls": [],
    }
    assert state["ledger"][-1]["turn"] == 1 and "sections" in state["ledger"][-1]
    assert state["inbox"][0]["status"] == "done" and state["inbox"][0]["turn"] == 1


def test_other_customers_get_403_everywhere(client: TestClient) -> None:
    thread = new_thread(client)
    for method, path, body in [
        ("GET", f"/v1/threads/{thread}", None),
        ("GET", f"/v1/threads/{thread}/state", None),
        ("POST", f"/v1/threads/{thread}/messages", {"text": "show my bills"}),
        ("POST", f"/v1/threads/{thread}/confirm", {"approve": True}),
    ]:
        response = client.request(method, path, headers=BOB, json=body)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "forbidden"
    assert thread not in [
        t["thread_id"] for t in client.get("/v1/threads", headers=BOB).json()["threads"]
    ]
    state = client.get(f"/v1/threads/{thread}/state", headers=ALICE).json()
    assert state["inbox"] == []  # Bob's message was never accepted


def test_unknown_thread_is_404(client: TestClient) -> None:
    for method, path, body in [
        ("GET", "/v1/threads/nosuchthread", None),
        ("GET", "/v1/threads/nosuchthread/state", None),
        ("POST", "/v1/threads/nosuchthread/messages", {"text": "hi"}),
    ]:
        response = client.request(method, path, headers=ALICE, json=body)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "thread_not_found"


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "Missing"),
        ({"Authorization": "Bearer nope"}, "Unknown"),
        ({"Authorization": "Basic x"}, "Bearer"),
    ],
)
def test_missing_or_bad_tokens_are_401(
    client: TestClient, headers: dict[str, str], fragment: str
) -> None:
    response = client.get("/v1/threads", headers=headers)
    assert response.status_code == 401
    assert fragment in response.json()["error"]["message"]
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b"{bad json", 400, "malformed_json", "body"),
        (b'{"text": 5}', 422, "invalid_request", "body.text"),
        (b'{"text": "hi", "extra": 1}', 422, "invalid_request", "body.extra"),
        (b"{}", 422, "invalid_request", "body.text"),
        (b"[]", 422, "invalid_request", "body"),
        (b'{"text": "   "}', 422, "invalid_message", "body.text"),
        (b'{"text": "a\\u0000b"}', 422, "invalid_message", "body.text"),
        (b'{"text": "' + b"x" * 4001 + b'"}', 413, "message_too_long", "body.text"),
        (b'{"text": "' + b"x" * 17000 + b'"}', 413, "payload_too_large", "body"),
    ],
)
def test_bad_message_bodies_get_clear_4xx(
    client: TestClient, body: bytes, status: int, code: str, field: str
) -> None:
    thread = new_thread(client)
    response = client.post(
        f"/v1/threads/{thread}/messages",
        headers={**ALICE, "Content-Type": "application/json"},
        content=body,
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert any(f.startswith(field) for f in error["fields"]), error
    assert client.get(f"/v1/threads/{thread}/state", headers=ALICE).json()["inbox"] == []


def test_confirm_body_is_strict(client: TestClient) -> None:
    thread = new_thread(client)
    response = client.post(f"/v1/threads/{thread}/confirm", headers=ALICE, json={"approve": "yes"})
    assert response.status_code == 422
    assert "body.approve" in response.json()["error"]["fields"]


def test_non_json_content_type_is_415(client: TestClient) -> None:
    thread = new_thread(client)
    response = client.post(
        f"/v1/threads/{thread}/messages",
        headers={**ALICE, "Content-Type": "text/plain"},
        content=b"hello",
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]["message"]


def test_bad_thread_id_and_unknown_route(client: TestClient) -> None:
    response = client.get("/v1/threads/bad%20id!/state", headers=ALICE)
    assert response.status_code == 422 and "path.thread_id" in response.json()["error"]["fields"]
    missing = client.get("/v1/nothing", headers=ALICE)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_resending_a_client_message_id_runs_it_once(client: TestClient) -> None:
    thread = new_thread(client)
    body = {"text": "show my bills", "client_message_id": "m-1"}
    first = parse_events(
        client.post(f"/v1/threads/{thread}/messages", headers=ALICE, json=body).text
    )
    second = parse_events(
        client.post(f"/v1/threads/{thread}/messages", headers=ALICE, json=body).text
    )
    assert last(second, "accepted")["duplicate"] is True
    assert last(first, "done")["seq"] == last(second, "done")["seq"] == 1
    state = client.get(f"/v1/threads/{thread}/state", headers=ALICE).json()
    assert state["turn"] == 1 and len(state["inbox"]) == 1


def test_health_readiness_and_page(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "checks": {}, "worker": os.getpid()}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ok" and ready["checks"]["database"] == "ok"
    assert ready["worker"] == os.getpid()  # TestClient serves in this process
    page = client.get("/")
    assert page.status_code == 200 and "Switchboard" in page.text
    assert client.get("/static/app.js").status_code == 200


def test_openapi_documents_models_errors_and_streams(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"ErrorBody", "TurnResultOut", "StateOut", "MessageRequest"} <= set(schemas)
    assert "HTTPValidationError" not in schemas
    for path, operations in spec["paths"].items():
        if not path.startswith("/v1/threads"):
            continue
        for operation in operations.values():
            codes = set(operation["responses"])
            assert {"401", "429"} <= codes, path
            for code in codes - {"200", "201"}:
                ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (path, code)
            assert operation.get("security"), path
    stream = spec["paths"]["/v1/threads/{thread_id}/messages"]["post"]["responses"]["200"]
    assert {"text/event-stream", "application/json"} <= set(stream["content"])


def test_dev_login_is_off_unless_enabled(client: TestClient) -> None:
    response = client.post("/v1/dev/login", json={"customer_id": "C1001"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "dev_login_disabled"


def test_dev_login_issues_working_tokens() -> None:
    app = create_app(settings(dev_login=True, dev_secret="s3cret", api_tokens={}))
    with TestClient(app) as client:
        customers = client.get("/v1/dev/customers").json()
        assert {"customer_id": "C1001"}.items() <= customers[0].items()
        token = client.post("/v1/dev/login", json={"customer_id": "C1002"}).json()["token"]
        created = client.post("/v1/threads", headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201 and created.json()["customer_id"] == "C1002"
        forged = token[:-1] + ("0" if token[-1] != "0" else "1")
        assert (
            client.get("/v1/threads", headers={"Authorization": f"Bearer {forged}"}).status_code
            == 401
        )
        unknown = client.post("/v1/dev/login", json={"customer_id": "C9999"})
        assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_customer"


def test_rate_limits_answer_429_with_retry_after() -> None:
    tiny = Rate(burst=2, per_second=0.001)
    with TestClient(create_app(settings(rate_customer=tiny))) as client:
        statuses = [client.get("/v1/threads", headers=ALICE).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = client.get("/v1/threads", headers=ALICE)
        assert limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        assert client.get("/v1/threads", headers=BOB).status_code == 200  # per customer
    with TestClient(create_app(settings(rate_ip=tiny))) as client:
        statuses = [client.get("/v1/threads", headers=h).status_code for h in (ALICE, BOB, ALICE)]
        assert statuses == [200, 200, 429]  # one address, whoever the customer
        assert client.get("/healthz").status_code == 200  # health checks are never limited


def test_resending_a_confirmation_reports_its_first_outcome(client: TestClient) -> None:
    thread = new_thread(client)
    say(client, thread, f"please open a ticket, my data is slow (ref {letters_ref()})")
    body = {"approve": True, "client_message_id": "yes-1"}
    first = client.post(f"/v1/threads/{thread}/confirm", headers={**ALICE, **JSON}, json=body)
    again = client.post(f"/v1/threads/{thread}/confirm", headers={**ALICE, **JSON}, json=body)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and "Ticket" in again.json()["tool_results"][0]["content"]
    inbox = client.get(f"/v1/threads/{thread}/state", headers=ALICE).json()["inbox"]
    assert [e["kind"] for e in inbox] == ["message", "answer"]


def test_a_yes_message_answers_the_pending_confirmation(client: TestClient) -> None:
    thread = new_thread(client)
    say(client, thread, f"please open a ticket, my data is slow (ref {letters_ref()})")
    done = last(say(client, thread, "yes"), "done")
    assert "Ticket" in " ".join(r["content"] for r in done["tool_results"])
    assert done["interrupt"] is None and done["turn"] == 2  # the yes is the next message


def test_metrics_count_the_served_turns(client: TestClient) -> None:
    thread = new_thread(client)
    say(client, thread, "show my bills")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    lines = [
        line for line in response.text.splitlines() if line.startswith("switchboard_turns_total")
    ]
    billing = [line for line in lines if 'agent="billing"' in line and 'kind="message"' in line]
    assert billing and float(billing[0].rsplit(" ", 1)[1]) >= 1
    assert "switchboard_node_latency_seconds_bucket" in response.text
