"""Offline trace tests: the run tree of a turn, its spans, metrics and JSON logs (no network)."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import Command, interrupt
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.observability.langsmith import langsmith_enabled
from app.observability.logs import json_handler
from app.observability.metrics import SupportMetrics, format_stats
from app.observability.otel import export_turn, traces_endpoint
from app.observability.runtree import RunTreeRecorder, TurnTrace
from app.observability.setup import Observability
from app.observability.turnfacts import turn_facts
from testing.scripted import ScriptedChatModel
from testing.scripted_policy import ToolSpec

node_log = logging.getLogger("tests.observability.node")


class ToyState(MessagesState, total=False):
    """A miniature of the support state: the fields the observers read."""

    turn: int
    intent: str
    agent: str
    phase: str
    stack: list[dict[str, Any]]
    ledger: list[dict[str, Any]]


@tool
def list_bills() -> str:
    """List the customer's bills."""
    return "B20002 overdue $109.20"


@tool
def make_payment(bill_id: str) -> str:
    """Pay a bill (asks for a confirmation first)."""
    answer = interrupt({"kind": "confirm", "summary": f"Pay {bill_id}?"})
    return f"Paid {bill_id}." if answer else "Nothing changed."


def responder(messages: list[BaseMessage], tools: list[ToolSpec]) -> AIMessage:
    """Call the tool the user names; answer from tool results."""
    last = messages[-1]
    if isinstance(last, ToolMessage):
        return AIMessage(content=f"Done: {last.content}")
    text = str(last.content)
    name = "make_payment" if "pay" in text else "list_bills"
    args = {"bill_id": "B20002"} if name == "make_payment" else {}
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call-{name}"}])


MODEL = ScriptedChatModel(responder=responder)


def guard_input(state: ToyState) -> dict[str, Any]:
    node_log.info("guard ran")
    turn = state.get("turn", 0) + 1
    return {"turn": turn, "ledger": [{"turn": turn, "guard": {"input": "ok"}}]}


def classify_intent(state: ToyState) -> dict[str, Any]:
    turn = state["turn"]
    entry = {"turn": turn, "intent": "billing", "classifier_path": "local", "agent": "billing"}
    return {
        "intent": "billing",
        "agent": "billing",
        "stack": [{"agent": "billing"}],
        "ledger": [{**entry, "events": ["push: billing"]}],
    }


def billing(state: ToyState) -> dict[str, Any]:
    reply = MODEL.bind_tools([list_bills, make_payment]).invoke(state["messages"])
    sections = {"system": 120, "facts": 30, "summary": 0, "passages": 0, "window": 40}
    return {"messages": [reply], "ledger": [{"turn": state["turn"], "sections": sections}]}


def summarize(state: ToyState) -> dict[str, Any]:
    return {"phase": "resolving", "ledger": [{"turn": state["turn"], "stack_depth": 1}]}


def after_agent(state: ToyState) -> str:
    last = state["messages"][-1]
    return "billing_tools" if isinstance(last, AIMessage) and last.tool_calls else "summarize"


def toy_graph() -> CompiledStateGraph:
    builder = StateGraph(ToyState)
    builder.add_node("guard_input", guard_input)
    builder.add_node("classify_intent", classify_intent)
    builder.add_node("billing", billing)
    builder.add_node("billing_tools", ToolNode([list_bills, make_payment]))
    builder.add_node("summarize", summarize)
    builder.add_edge(START, "guard_input")
    builder.add_edge("guard_input", "classify_intent")
    builder.add_edge("classify_intent", "billing")
    builder.add_conditional_edges("billing", after_agent, ["billing_tools", "summarize"])
    builder.add_edge("billing_tools", "billing")
    builder.add_edge("summarize", END)
    return builder.compile(checkpointer=InMemorySaver())


def run_turn(
    graph: CompiledStateGraph, payload: Any, recorder: RunTreeRecorder, thread: str = "t-obs"
) -> TurnTrace:
    config = {
        "configurable": {"thread_id": thread},
        "callbacks": [recorder],
        "run_name": "turn",
        "metadata": {"app": "switchboard"},
    }
    graph.invoke(payload, config)
    return recorder.traces[-1]


def test_run_tree_shows_node_order_tool_runs_and_metadata() -> None:
    recorder = RunTreeRecorder(keep=True)
    trace = run_turn(toy_graph(), {"messages": [HumanMessage("show my bills")]}, recorder)

    assert trace.root.name == "turn"
    assert trace.root.metadata["thread_id"] == "t-obs"
    assert trace.node_names() == [
        "guard_input",
        "classify_intent",
        "billing",
        "billing_tools",
        "billing",
        "summarize",
    ]
    tools = trace.tool_runs()
    assert [t.name for t in tools] == ["list_bills"]
    assert tools[0].node == "billing_tools"
    assert tools[0].metadata["tool_call_id"] == "call-list_bills"
    assert tools[0].outputs == "B20002 overdue $109.20"
    models = trace.model_runs()
    assert len(models) == 2
    assert all(m.node == "billing" for m in models)
    assert all(m.usage["input_tokens"] > 0 for m in models)
    assert not trace.interrupted and not trace.resumed


def test_turn_facts_read_intent_agent_sections_guard_and_stack_events() -> None:
    recorder = RunTreeRecorder(keep=True)
    trace = run_turn(toy_graph(), {"messages": [HumanMessage("show my bills")]}, recorder)
    facts = turn_facts(trace)

    assert (facts.thread, facts.turn) == ("t-obs", 1)
    assert (facts.intent, facts.agent, facts.phase) == ("billing", "billing", "resolving")
    assert facts.classifier_path == "local"
    assert facts.stack_depth == 1
    assert facts.sections == {"system": 120, "facts": 30, "summary": 0, "passages": 0, "window": 40}
    assert facts.guard == {"input": "ok"}
    assert facts.stack_events == ["push: billing"]
    assert facts.model_calls == 2
    assert facts.tools == ["list_bills"]
    assert facts.metadata()["intent"] == "billing"
    assert "agent:billing" in facts.tags()


def test_interrupt_and_resume_are_two_invocations_of_the_same_turn() -> None:
    graph = toy_graph()
    recorder = RunTreeRecorder(keep=True)
    paused = run_turn(graph, {"messages": [HumanMessage("pay B20002")]}, recorder)
    assert paused.interrupted
    assert [t.name for t in paused.tool_runs()] == ["make_payment"]
    assert paused.tool_runs()[0].interrupted and paused.tool_runs()[0].error is None
    assert "awaiting-confirmation" in turn_facts(paused).tags()

    resumed = run_turn(graph, Command(resume=True), recorder)
    assert resumed.resumed and not resumed.interrupted
    assert resumed.node_names() == ["billing_tools", "billing", "summarize"]
    assert resumed.tool_runs()[0].outputs == "Paid B20002."
    assert turn_facts(resumed).turn == turn_facts(paused).turn == 1


def spans_by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, list[ReadableSpan]]:
    named: dict[str, list[ReadableSpan]] = {}
    for span in spans:
        named.setdefault(span.name, []).append(span)
    return named


def test_spans_nest_turn_node_tool_and_model_call_with_conversation_attributes() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    recorder = RunTreeRecorder(keep=True)
    trace = run_turn(toy_graph(), {"messages": [HumanMessage("show my bills")]}, recorder)

    export_turn(provider.get_tracer("test"), trace)
    spans = spans_by_name(exporter.get_finished_spans())

    turn = spans["turn 1"][0]
    attrs = dict(turn.attributes or {})
    assert attrs["switchboard.thread_id"] == "t-obs"
    assert attrs["switchboard.intent"] == "billing"
    assert attrs["switchboard.agent"] == "billing"
    assert attrs["switchboard.classifier_path"] == "local"
    assert attrs["switchboard.stack.depth"] == 1
    assert attrs["switchboard.tokens.section.system"] == 120
    assert attrs["switchboard.guard.input"] == "ok"
    assert attrs["switchboard.model_calls"] == 2
    assert [e.name for e in turn.events] == ["stack.push"]

    assert len(spans["node billing"]) == 2
    tools_node = spans["node billing_tools"][0]
    tool_span = spans["tool list_bills"][0]
    assert tool_span.parent is not None and tool_span.parent.span_id == tools_node.context.span_id
    assert tools_node.parent is not None and tools_node.parent.span_id == turn.context.span_id
    chat = spans["chat scripted"]
    agent_ids = {s.context.span_id for s in spans["node billing"]}
    assert len(chat) == 2 and all(c.parent and c.parent.span_id in agent_ids for c in chat)
    assert dict(chat[0].attributes or {})["gen_ai.usage.input_tokens"] > 0
    assert all(s.context.trace_id == turn.context.trace_id for s in exporter.get_finished_spans())
    # Routers are folded into their node: no span per conditional edge.
    assert not any(name.startswith("node after_agent") for name in spans)


def test_json_logs_carry_thread_and_turn_on_every_line_including_node_threads() -> None:
    stream = io.StringIO()
    handler = json_handler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    obs = Observability(env={})
    try:
        with obs.scope("t-logs", 1):
            config = {"configurable": {"thread_id": "t-logs"}, **obs.run_config("t-logs", 1)}
            toy_graph().invoke({"messages": [HumanMessage("show my bills")]}, config)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(line["msg"] == "guard ran" for line in lines)
    assert any(line["msg"] == "turn finished" for line in lines)
    assert lines and all(line["thread"] == "t-logs" and line["turn"] == 1 for line in lines)
    finished = next(line for line in lines if line["msg"] == "turn finished")
    assert finished["nodes"][0] == "guard_input" and finished["tools"] == ["list_bills"]


def test_metrics_count_turns_nodes_calls_tokens_and_render_prometheus_text() -> None:
    metrics = SupportMetrics()
    obs = Observability(metrics=metrics, env={})
    graph = toy_graph()
    for thread in ("m1", "m2"):
        config = {"configurable": {"thread_id": thread}, **obs.run_config(thread)}
        graph.invoke({"messages": [HumanMessage("show my bills")]}, config)

    text = metrics.prometheus_text().decode()
    assert 'switchboard_turns_total{agent="billing",intent="billing",kind="message"} 2.0' in text
    assert 'switchboard_node_latency_seconds_count{node="billing"} 4.0' in text
    assert "switchboard_model_calls_per_turn_sum 4.0" in text
    assert 'switchboard_prompt_section_tokens_total{section="system"} 240.0' in text
    assert 'switchboard_classifier_decisions_total{path="local"} 2.0' in text
    assert 'switchboard_tool_calls_total{tool="list_bills"} 2.0' in text
    summary = metrics.summary()
    assert summary["invocations"] == 2
    assert summary["model_calls_per_turn"] == 2.0
    assert summary["classifier_paths"] == {"local": 2}
    assert "model calls per invocation: 2.0" in format_stats(summary)


def test_langsmith_is_silent_without_a_key_and_on_with_one() -> None:
    assert not langsmith_enabled({})
    assert not langsmith_enabled({"LANGSMITH_TRACING": "true"})
    assert langsmith_enabled({"LANGSMITH_API_KEY": "k"})
    assert not langsmith_enabled({"LANGSMITH_API_KEY": "k", "LANGSMITH_TRACING": "false"})
    quiet = Observability.from_env({"LANGSMITH_TRACING": "true"})
    assert not quiet.langsmith
    assert [type(h).__name__ for h in quiet.callbacks()] == ["RunTreeRecorder"]
    # The traced side (a real LangChainTracer) is checked against a loopback receiver in
    # tests/integration/test_otlp_receivers.py, so no test here can reach the network.
    assert Observability.from_env({"LANGSMITH_API_KEY": "k"}).langsmith


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
            "http://127.0.0.1:4318/v1/traces",
        ),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://h:1/x"}, "http://h:1/x"),
    ],
)
def test_otlp_endpoint_comes_from_the_standard_variables(
    env: dict[str, str], expected: str | None
) -> None:
    assert traces_endpoint(env) == expected
    assert (Observability.from_env(env).tracer_provider is None) == (expected is None)


def test_a_failing_sink_never_breaks_the_turn() -> None:
    def broken(trace: TurnTrace) -> None:
        raise RuntimeError("exporter down")

    recorder = RunTreeRecorder([broken], keep=True)
    trace = run_turn(toy_graph(), {"messages": [HumanMessage("show my bills")]}, recorder)
    assert trace.node_names()[-1] == "summarize"
