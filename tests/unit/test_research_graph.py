"""The research graph with scripted models: parallel researchers, versioned notes, cited
reports, and a partial report when a researcher fails or runs out of time."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage

from agents.context import Context
from agents.research.models import WRITE_TOKENS, default_models
from graphs.research import compile_graph
from testing import research_policies as scripted
from testing.scripted import ScriptedChatModel
from tools.notes_store import open_notes_store
from tools.research_corpus import load_corpus

QUESTION = (
    "Compare the market positioning of Northwind Mobile and Contoso Telecom, focusing on AI "
    "strategy"
)
CONTEXT = Context(model="scripted")
Responder = Callable[[list[BaseMessage], list], AIMessage]


def factory(researcher: Responder) -> Callable[[str, str, float | None], BaseChatModel]:
    """Scripted models for every role, with ``researcher`` replacing the researchers' policy."""

    def make(role: str, spec: str, timeout_s: float | None) -> BaseChatModel:
        responder = researcher if role == "researcher" else scripted.RESPONDERS[role]
        return ScriptedChatModel(responder=responder)

    return make


def about(messages: list[BaseMessage], company: str) -> bool:
    """Whether the researcher's own system prompt assigns it ``company``."""
    return any(isinstance(m, SystemMessage) and company in str(m.content) for m in messages)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Lets a deliberately slow researcher finish once the test is over."""
    event = threading.Event()
    yield event
    event.set()


def run(
    graph_models: Callable[[str, str, float | None], BaseChatModel] | None, deadline: float = 60
) -> dict:
    graph = compile_graph(models=graph_models)
    return graph.invoke({"question": QUESTION, "deadline_s": deadline}, context=CONTEXT)


def test_researchers_run_in_parallel() -> None:
    barrier = threading.Barrier(3, timeout=20)

    def waits_for_the_others(messages: list[BaseMessage], tools: list) -> AIMessage:
        barrier.wait()  # breaks (and the researcher fails) unless all three run at once
        return scripted.researcher(messages, tools)

    state = run(factory(waits_for_the_others))
    researchers = [t for t in state["trace"] if t["node"] == "researcher"]
    assert len(researchers) == 3
    assert all(t["status"] == "ok" for t in researchers)
    latest_start = max(t["started"] for t in researchers)
    earliest_end = min(t["ended"] for t in researchers)
    assert latest_start < earliest_end, "researcher intervals must overlap"
    planner = next(t for t in state["trace"] if t["node"] == "planner")
    analyst = next(t for t in state["trace"] if t["node"] == "analyst")
    assert planner["ended"] <= latest_start and analyst["started"] >= max(
        t["ended"] for t in researchers
    )


def test_the_store_holds_versioned_notes_from_every_role() -> None:
    state = run(None)
    store = open_notes_store()
    run_id = state["run_id"]
    keys = store.keys(run_id)
    assert set(keys[:3]) == {"research_company_a", "research_company_b", "research_market"}
    assert keys[3:] == ["comparative_analysis", "report"]
    northwind = store.history(run_id, "research_company_a")
    assert [n.version for n in northwind] == [1, 2]
    assert [n.meta["stage"] for n in northwind] == ["draft", "findings"]
    assert {n.author for n in northwind} == {"researcher:Northwind Mobile"}
    assert northwind[1].sources and set(northwind[1].sources) <= set(northwind[0].sources)
    assert store.history(run_id, "comparative_analysis")[0].author == "analyst"


def test_the_report_cites_corpus_documents_that_exist() -> None:
    state = run(None)
    report = state["report"]
    corpus = load_corpus()
    cited = set(re.findall(r"\[([a-z0-9-]+)\]", report))
    assert cited and cited <= set(corpus.documents)
    assert {"northwind-ai-strategy", "contoso-ai-strategy"} <= cited
    assert "## Sources" in report and "data/research/northwind/ai-strategy.md" in report
    assert "(partial)" not in report and state["gaps"] == []
    assert state["messages"][-1].content == report


def test_a_failing_researcher_yields_a_partial_report_naming_the_gap() -> None:
    def contoso_breaks(messages: list[BaseMessage], tools: list) -> AIMessage:
        if about(messages, "Contoso Telecom"):
            raise RuntimeError("corpus shard unavailable")
        return scripted.researcher(messages, tools)

    state = run(factory(contoso_breaks))
    statuses = {f["company"]: f["status"] for f in state["findings"]}
    assert statuses["Contoso Telecom"] == "failed"
    assert statuses["Northwind Mobile"] == "ok"
    report = state["report"]
    assert report.startswith("# Research report (partial)")
    gaps = report.split("## Gaps", 1)[1].split("## Sources", 1)[0]
    assert "Contoso Telecom" in gaps and "failed" in gaps and "corpus shard unavailable" in gaps
    assert "[northwind-ai-strategy]" in report
    history = open_notes_store().history(state["run_id"], "research_company_b")
    assert history[-1].meta == {"stage": "gap", "status": "failed"}


def test_a_researcher_past_the_deadline_yields_a_partial_report(release: threading.Event) -> None:
    def contoso_hangs(messages: list[BaseMessage], tools: list) -> AIMessage:
        if about(messages, "Contoso Telecom"):
            release.wait(timeout=60)
        return scripted.researcher(messages, tools)

    state = run(factory(contoso_hangs), deadline=3)
    timed_out = [f for f in state["findings"] if f["status"] == "timeout"]
    assert [f["company"] for f in timed_out] == ["Contoso Telecom"]
    assert "research deadline" in timed_out[0]["error"]
    assert "timed out" in state["report"].split("## Gaps", 1)[1]
    assert "Northwind Mobile" in state["report"]


def test_a_question_can_arrive_as_a_chat_message() -> None:
    graph = compile_graph()
    state = graph.invoke(
        {"messages": [{"role": "user", "content": "How do Fabrikam and Tailspin price plans?"}]},
        context=CONTEXT,
    )
    companies = {t["company"] for t in state["plan"]["tasks"]}
    assert {"Fabrikam Wireless", "Tailspin Networks"} <= companies
    assert "[fabrikam-pricing]" in state["report"]


def test_graph_is_exported_without_a_checkpointer_and_draws_offline() -> None:
    from graphs import research

    assert research.graph.checkpointer is None
    mermaid = research.graph.get_graph().draw_mermaid()
    assert "research" in mermaid and "synthesize" in mermaid


def test_cli_writes_the_report_and_signals_a_partial_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    out = tmp_path / "report.md"
    code = main(
        ["research", QUESTION, "--model", "scripted", "--deadline", "60", "--out", str(out)]
    )
    progress = capsys.readouterr().err
    assert code == 0
    assert out.read_text().startswith("# Research report")
    assert "[research_company_a] started: Northwind Mobile" in progress
    assert "[research_company_b] done in" in progress
    assert f"report written to {out}" in progress
    assert main(["research", "  ", "--model", "scripted"]) == 2


def test_the_synthesizer_may_write_a_longer_answer_than_the_other_roles() -> None:
    def limits_of(role: str) -> list[object]:
        resilient = default_models(role, "local", 60.0)
        return [getattr(m, "max_tokens", None) for m in getattr(resilient, "models", [])]

    limits = {role: limits_of(role) for role in ("analyst", "synthesizer")}
    assert limits == {"analyst": [512], "synthesizer": [WRITE_TOKENS["synthesizer"]]}
    assert WRITE_TOKENS["synthesizer"] > 512
