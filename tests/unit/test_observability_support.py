"""The run tree of real support-graph turns (scripted model): nodes, tools, metadata, spans."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agents.context import Context
from app.evaluation.runner import FactCollector, ObservedSession, isolated_stores
from app.observability.runtree import RunTreeRecorder, TurnTrace
from app.observability.setup import Observability
from app.observability.turnfacts import TurnFacts
from graphs.support import compile_graph
from tools.store import open_store


class Keep:
    """A sink keeping traces and facts."""

    def __init__(self) -> None:
        self.items: list[tuple[TurnTrace, TurnFacts]] = []

    def __call__(self, trace: TurnTrace, facts: TurnFacts) -> None:
        self.items.append((trace, facts))


@pytest.fixture
def session() -> Iterator[ObservedSession]:
    with isolated_stores() as url:
        open_store(url).reset_to_seed()
        context = Context(customer_id="C1001", model="scripted", database_url=url)
        yield ObservedSession(compile_graph(InMemorySaver()), "t-support", context)


def contains_run(names: list[str], run: list[str]) -> bool:
    return any(names[i : i + len(run)] == run for i in range(len(names) - len(run) + 1))


def test_billing_turn_run_tree_and_facts(session: ObservedSession) -> None:
    keep = Keep()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    obs = Observability(tracer_provider=provider, env={}, extra_sinks=[keep])
    with obs.scope(session.thread_id, 1), session.observed(obs.run_config(session.thread_id, 1)):
        session.send("Is any of my bills overdue?")

    trace, facts = keep.items[-1]
    names = trace.node_names()
    assert names[:3] == ["guard_input", "screen_input", "classify_intent"]
    assert contains_run(names, ["billing", "billing_tools", "report_results"])
    assert [t.name for t in trace.tool_runs()] == ["check_overdue"]
    assert trace.root.metadata["thread_id"] == "t-support"
    assert trace.root.metadata["turn"] == 1
    assert all(run.metadata.get("thread_id") == "t-support" for run in trace.runs())
    assert (facts.intent, facts.agent, facts.classifier_path) == ("billing", "billing", "local")
    assert facts.model_calls == len(trace.model_runs()) >= 1  # the engine states the result
    assert facts.sections.get("system", 0) > 0 and facts.guard.get("input") == "ok"
    spans = {span.name for span in exporter.get_finished_spans()}
    assert {"turn 1", "node guard_input", "node billing_tools", "tool check_overdue"} <= spans


def test_a_confirmation_splits_the_turn_into_a_paused_and_a_resumed_invocation(
    session: ObservedSession,
) -> None:
    collector = FactCollector()
    obs = Observability(env={}, extra_sinks=[collector])
    with session.observed(obs.run_config(session.thread_id)):
        session.send("Please switch me to the Plus 40 plan")
        session.answer("yes")
    paused, resumed = collector.take()
    assert paused.interrupted and not paused.resumed
    assert resumed.resumed and not resumed.interrupted
    assert (paused.turn, resumed.turn) == (1, 2)  # the answer is the customer's next message
    assert paused.tools == ["change_plan"] and resumed.tools == ["change_plan"]
    summary = obs.metrics.summary()
    assert summary["invocations"] == 2 and summary["tool_calls"] == {"change_plan": 2}


def test_recorder_alone_sees_every_graph_run(session: ObservedSession) -> None:
    recorder = RunTreeRecorder(keep=True)
    extra = {"callbacks": [recorder], "run_name": "turn"}
    with session.observed(extra):
        session.send("Hello!")
        session.send("What plans do you have?")
    assert len(recorder.traces) == 2
    assert [t.name for t in recorder.traces[1].tool_runs()] == ["list_plans"]
