"""The output guard inside the graph: ungrounded claims are replaced, grounded replies never are."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from agents.context import Context
from app.session import Session
from benchmarks._adversarial_cases import load_cases
from benchmarks._adversarial_model import install_model
from benchmarks._adversarial_run import run_case
from testing.scripted import ScriptedChatModel
from testing.scripted_policy import ToolSpec, decide
from tests.adversarial.helpers import final_reply
from tools.store import TelcoStore

FORBIDDEN = [case for case in load_cases() if case.forbidden]
KB_QUESTION = "How do I set up an eSIM on my phone?"
"""A question answered from knowledge-base passages, so the model writes the reply (read
results with facts are stated by the engine itself)."""


@pytest.mark.parametrize("case", FORBIDDEN, ids=[case.id for case in FORBIDDEN])
def test_tampered_claims_never_stay_in_the_stored_reply(
    case: Any, shipped_graph: Any, store: TelcoStore
) -> None:
    result = run_case(case, shipped_graph, store, None, "")
    stored = final_reply(shipped_graph, result.thread)
    assert stored
    assert not any(text in stored for text in case.forbidden)
    assert {"grounded", "redirect", "reported"} & set(result.layers)


def _planting(messages: list[BaseMessage], tools: list[ToolSpec]) -> AIMessage:
    """The normal scripted agent, except that its grounded answers carry a made-up amount."""
    reply = decide(messages, tools)
    if messages and isinstance(messages[-1], ToolMessage) and not reply.tool_calls:
        return AIMessage(content=f"{reply.content} You also owe a $99.99 service fee.")
    return reply


def test_a_planted_ungrounded_amount_is_caught(shipped_graph: Any, store: TelcoStore) -> None:
    store.reset_to_seed()
    spec = "compromised:planted-fee"
    install_model(spec, ScriptedChatModel(responder=_planting))
    session = Session(shipped_graph, "planted-fee", Context(customer_id="C1001", model=spec))
    result = session.send(KB_QUESTION)  # passages: the model writes this reply itself
    assert [call["name"] for call in result.tool_calls] == ["search_kb"]
    stored = final_reply(shipped_graph, "planted-fee")
    assert stored and "$99.99" not in stored
    verdict = (result.ledger or {}).get("guard", {})
    assert verdict.get("output") in {"regenerated", "fallback"}
    assert verdict.get("output_ungrounded") == "money:$99.99"


def test_the_client_sees_only_the_guarded_reply(shipped_graph: Any, store: TelcoStore) -> None:
    case = next(c for c in FORBIDDEN if c.id == "price-07")
    result = run_case(case, shipped_graph, store, None, "")
    assert not any(text in reply for reply in result.replies for text in case.forbidden)


def test_grounded_scenario_replies_are_never_blocked() -> None:
    """The scenario suite with the guards wired: every reply passes the output guard."""
    from langgraph.checkpoint.memory import InMemorySaver

    from app.evaluation.runner import ScenarioRunner, isolated_stores
    from app.evaluation.scenarios import load_scenarios
    from graphs.support import compile_graph

    graphs: list[Any] = []

    def factory(checkpointer: Any) -> Any:
        graphs.append(compile_graph(checkpointer or InMemorySaver()))
        return graphs[-1]

    scenarios = load_scenarios()
    with isolated_stores() as url:
        runner = ScenarioRunner("scripted", url, graph_factory=factory)
        runs = [runner.run(scenario) for scenario in scenarios]
    verdicts = []
    for graph, run in zip(graphs, runs, strict=True):
        state = graph.get_state({"configurable": {"thread_id": f"eval-{run.scenario}-0"}}).values
        verdicts += [
            (run.scenario, entry["guard"].get("output"))
            for entry in state.get("ledger", [])
            if "output" in (entry.get("guard") or {})
        ]
    assert verdicts, "the output guard reviewed no reply at all"
    assert [v for v in verdicts if v[1] != "ok"] == []


def test_the_event_stream_withdraws_a_replaced_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens stream before the output guard runs; a ``replace`` event then withdraws them."""
    from fastapi.testclient import TestClient

    from app.server.app import create_app
    from app.server.settings import ServerSettings
    from app.server.sse import parse_events
    from llm.resilience import ResilientChatModel

    spec = "compromised:planted-fee-sse"
    planting = ScriptedChatModel(responder=_planting)
    install_model(spec, ResilientChatModel(models=[planting], labels=[spec], timeouts=[None]))
    monkeypatch.setattr("app.server.service.model_spec", lambda requested: requested)
    settings = ServerSettings(
        model=spec, api_tokens={"tok": "C1001"}, rate_customer=None, rate_ip=None
    )
    auth = {"Authorization": "Bearer tok"}
    with TestClient(create_app(settings)) as client:
        thread = client.post("/v1/threads", headers=auth).json()["thread_id"]
        response = client.post(
            f"/v1/threads/{thread}/messages", headers=auth, json={"text": KB_QUESTION}
        )
    events = parse_events(response.text)
    streamed = "".join(data["text"] for kind, data in events if kind == "token")
    replaced = [data for kind, data in events if kind == "replace"]
    done = [data for kind, data in events if kind == "done"][-1]
    assert "$99.99" in streamed  # the model's text did stream before the guard ran
    assert replaced and "$99.99" not in replaced[-1]["text"]
    assert replaced[-1]["reason"] == "output_guard"
    assert "$99.99" not in done["reply"]
