"""One bot in every runtime: the scenario suite through the CLI path, the bare compiled graph,
``langgraph dev`` (through ``langgraph_sdk``) and ``switchboard serve`` (over HTTP).

Each runtime runs a scenario from the seeded store and reports, turn by turn, the replies, the
tool calls and the confirmation it waits on, then the telco store's end state. The four must
agree. Tool-call ids (and the record ids derived from them) are per thread, so they are masked.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from agents.context import Context
from app.commands.chat import run_script
from app.devserver import langgraph_dev
from app.evaluation.scenarios import Scenario, load_scenarios
from app.server.launcher import ServerProcess, serve_subprocess
from app.server.sse import parse_events
from app.session import Session
from graphs.support import compile_graph
from tools.store import TelcoStore, close_store, open_store

pytestmark = pytest.mark.timeout(1500)

SERVER_SCENARIOS = (
    "billing-pay-overdue-confirmed",  # confirm
    "billing-pay-declined",  # decline
    "flow-correction-target-plan",  # a correction during a confirmation
    "flow-digression-during-plan-change-is-answered-then-resumed",  # digression (allow)
    "flow-policy-ask-first-during-payment",  # digression (ask first)
    "flow-policy-defer-during-ticket",  # digression (defer)
    "flow-cancel-pending-plan-change",  # cancel
    "flow-multi-intent-pay-and-slow-data",  # multi-intent
    "flow-multi-intent-plans-and-line-status",
    "flow-no-then-yes-different-plan",
    "flow-digression-and-resume",
    "billing-list-bills",
)
"""At least ten scenarios for the two servers, covering each kind of turn the issue names."""
JOURNALS = ("payments", "payment_requests", "plan_changes", "tickets", "handoffs", "tool_runs")
_RECORD_ID = re.compile(r"\b[A-Z]{1,3}-[0-9A-F]{8}\b")
TOKEN = "parity-token"
Record = dict[str, Any]


def masked(text: str) -> str:
    """``text`` with per-thread record ids (``P-6B6FD181``, ``TK-…``) masked."""
    return _RECORD_ID.sub("<id>", text)


def record(reply: str, calls: list[dict[str, Any]], interrupt: Any) -> Record:
    """What one turn showed, in a form every runtime can produce."""
    waiting = None
    if isinstance(interrupt, dict) and interrupt.get("kind") == "confirm":
        waiting = (interrupt.get("tool"), masked(str(interrupt.get("summary"))))
    return {
        "reply": masked(reply),
        "calls": [(c["name"], json.dumps(c.get("args") or {}, sort_keys=True)) for c in calls],
        "waiting": waiting,
    }


def steps(scenario: Scenario) -> list[tuple[str, str]]:
    """``(kind, text)`` for each turn a client would send (refused messages are left out)."""
    return [
        ("confirm" if turn.confirm is not None else "user", turn.text)
        for turn in scenario.turns
        if turn.expect.error is None
    ]


def end_state(store: TelcoStore) -> dict[str, Any]:
    """The store facts a conversation can change."""
    lines = {
        line.line_id: (line.plan.plan_id, line.status, line.roaming_enabled, line.data_limit_gb)
        for customer in store.customers()
        for line in store.lines(customer.customer_id)
    }
    bills = {
        bill.bill_id: bill.status
        for customer in store.customers()
        for bill in store.bills(customer.customer_id)
    }
    return {"lines": lines, "bills": bills, **{t: len(store.rows(t)) for t in JOURNALS}}


def context_of(scenario: Scenario, url: str) -> Context:
    return Context(
        customer_id=scenario.customer, model="scripted", database_url=url, **scenario.context
    )


# --- the four runtimes ------------------------------------------------------------------------


def via_cli(scenario: Scenario, url: str) -> list[Record]:
    """``switchboard chat --script - --json``'s loop: every line is sent as a message."""
    session = Session(
        compile_graph(InMemorySaver()), f"cli-{scenario.name}", context_of(scenario, url)
    )
    out = io.StringIO()
    run_script(session, [text for _, text in steps(scenario)], out, as_json=True)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    return [record(r["reply"], r["tool_calls"], r["interrupt"]) for r in results]


def via_graph(scenario: Scenario, url: str) -> list[Record]:
    """The compiled graph: message inputs, and ``Command(resume=...)`` where it paused."""
    graph = compile_graph(InMemorySaver())
    config: RunnableConfig = {"configurable": {"thread_id": f"graph-{scenario.name}"}}
    context = context_of(scenario, url)
    records = []
    for kind, text in steps(scenario):
        paused = any(task.interrupts for task in graph.get_state(config).tasks)
        payload: Any = (
            Command(resume=text)
            if kind == "confirm" and paused
            else {"messages": [HumanMessage(content=text)]}
        )
        replies: dict[str, str] = {}
        calls: list[dict[str, Any]] = []
        for update in graph.stream(payload, config, context=context, stream_mode="updates"):
            for node_update in update.values():
                messages = node_update.get("messages", []) if isinstance(node_update, dict) else []
                for message in messages if isinstance(messages, list) else [messages]:
                    if isinstance(message, AIMessage):
                        calls.extend(message.tool_calls)
                        if message.content and not message.tool_calls:
                            replies[message.id or str(len(replies))] = str(message.content)
        waiting = [i.value for task in graph.get_state(config).tasks for i in task.interrupts]
        records.append(record("\n".join(replies.values()), calls, waiting[0] if waiting else None))
    return records


def via_langgraph_dev(client: Any, scenario: Scenario, url: str) -> list[Record]:
    """``langgraph dev`` through ``langgraph_sdk``, as Studio drives it."""
    thread = client.threads.create()["thread_id"]
    context = {"customer_id": scenario.customer, "model": "scripted", "database_url": url}
    records = []
    seen: set[str] = set()
    for kind, text in steps(scenario):
        state = client.threads.get_state(thread)
        paused = any(task.get("interrupts") for task in state.get("tasks") or [])
        if kind == "confirm" and paused:
            client.runs.wait(thread, "support", command={"resume": text}, context=context)
        else:
            message = {"role": "user", "content": text}
            client.runs.wait(thread, "support", input={"messages": [message]}, context=context)
        state = client.threads.get_state(thread)
        new = [m for m in state["values"]["messages"] if m["id"] not in seen]
        seen |= {m["id"] for m in state["values"]["messages"]}
        ai = [m for m in new if m["type"] == "ai"]
        reply = "\n".join(str(m["content"]) for m in ai if m["content"] and not m["tool_calls"])
        calls = [c for m in ai for c in m["tool_calls"]]
        waiting = [i["value"] for task in state.get("tasks") or [] for i in task["interrupts"]]
        records.append(record(reply, calls, waiting[0] if waiting else None))
    return records


def via_http(server: ServerProcess, scenario: Scenario) -> list[Record]:
    """``switchboard serve``: a message per turn, ``/confirm`` for a yes/no where it paused."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=120) as http:
        thread = http.post("/v1/threads").json()["thread_id"]
        records = []
        for kind, text in steps(scenario):
            pending = http.get(f"/v1/threads/{thread}/state").json()["pending_confirmation"]
            if kind == "confirm" and pending and text in ("yes", "no"):
                response = http.post(
                    f"/v1/threads/{thread}/confirm", json={"approve": text == "yes"}
                )
            else:
                response = http.post(f"/v1/threads/{thread}/messages", json={"text": text})
            assert response.status_code == 200, response.text
            events = parse_events(response.text)
            assert events[-1][0] == "done", events[-1]
            done = events[-1][1]
            records.append(record(done["reply"], done["tool_calls"], done["interrupt"]))
    return records


# --- fixtures and tests ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenarios() -> dict[str, Scenario]:
    return {scenario.name: scenario for scenario in load_scenarios()}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TelcoStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'telco.sqlite3'}")
    yield opened
    close_store(opened.url)


def run_fresh(store: TelcoStore, drive: Any) -> tuple[list[Record], dict[str, Any]]:
    """Drive one scenario from the seeded store; its records and the store's end state."""
    store.reset_to_seed()
    records = drive()
    return records, end_state(store)


def test_the_cli_path_and_the_bare_graph_agree_on_every_scenario(
    scenarios: dict[str, Scenario], store: TelcoStore
) -> None:
    assert len(scenarios) >= 60
    waited: set[str] = set()
    for name, scenario in scenarios.items():
        cli = run_fresh(store, lambda s=scenario: via_cli(s, store.url))
        graph = run_fresh(store, lambda s=scenario: via_graph(s, store.url))
        assert cli == graph, name
        waited.update(name for step in cli[0] if step["waiting"])
    assert len(waited) >= 20  # many scenarios paused for a confirmation on the way


def test_langgraph_dev_agrees_with_the_bare_graph(
    scenarios: dict[str, Scenario], store: TelcoStore
) -> None:
    from langgraph_sdk import get_sync_client

    with langgraph_dev() as url:
        client = get_sync_client(url=url)
        for name in SERVER_SCENARIOS:
            scenario = scenarios[name]
            served = run_fresh(store, lambda s=scenario: via_langgraph_dev(client, s, store.url))
            graph = run_fresh(store, lambda s=scenario: via_graph(s, store.url))
            assert served == graph, name
            assert all(step["reply"] or step["calls"] for step in served[0]), name


@pytest.mark.services
def test_switchboard_serve_agrees_with_the_bare_graph(
    scenarios: dict[str, Scenario], store: TelcoStore
) -> None:
    env = {
        "SWITCHBOARD_DATABASE_URL": store.url,
        "SWITCHBOARD_MODEL": "scripted",
        "SWITCHBOARD_API_TOKENS": f"{TOKEN}:C1001",
        "SWITCHBOARD_RATE_LIMIT_CUSTOMER": "off",
        "SWITCHBOARD_RATE_LIMIT_IP": "off",
        "SWITCHBOARD_REDIS_URL": "",
    }
    with ExitStack() as stack:
        server = stack.enter_context(serve_subprocess(env, extra_args=("--no-dev-login",)))
        for name in SERVER_SCENARIOS:
            scenario = scenarios[name]
            assert scenario.customer == "C1001" and not scenario.context, name
            served = run_fresh(store, lambda s=scenario: via_http(server, s))
            graph = run_fresh(store, lambda s=scenario: via_graph(s, store.url))
            assert served == graph, name
            assert all(step["reply"] or step["calls"] for step in served[0]), name
