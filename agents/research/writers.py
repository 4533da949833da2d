"""The analyst (compares the researchers' notes) and the synthesizer (writes the report)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from agents.context import Context
from agents.research import extractive
from agents.research.deadline import ANALYSIS_SHARE, cutoff, run_within, seconds_left
from agents.research.grounding import ground_report, unverified_section
from agents.research.markdown import without_unfinished_end
from agents.research.models import ModelFactory
from agents.research.plan import Plan
from agents.research.report import (
    citations,
    compose_report,
    gap_line,
    gaps_text,
    heading,
    keep_known_citations,
    notes_text,
    sources_section,
)
from agents.research.state import Finding, ResearchState, trace_event
from prompts.loader import render
from tools.notes_store import Note, NotesStore, open_notes_store
from tools.research_corpus import load_corpus

log = logging.getLogger(__name__)

ANALYSIS_WORDS = 250
REPORT_KEY = "report"
CUT_REASONS = frozenset({"length", "max_tokens"})
"""Finish reasons of a reply stopped by its token limit (OpenAI and llama.cpp; Anthropic)."""

Node = Callable[..., dict[str, Any]]
Fallback = Callable[[list[BaseMessage], list[Any]], AIMessage]


def run_findings(state: ResearchState) -> list[Finding]:
    """This run's researcher findings, in plan order."""
    run_id = state.get("run_id", "")
    order = {t["id"]: i for i, t in enumerate(state.get("plan", {}).get("tasks", []))}
    found = [f for f in state.get("findings", []) if f["run_id"] == run_id]
    return sorted(found, key=lambda f: order.get(f["task_id"], len(order)))


def analysis_key(state: ResearchState) -> str:
    """The plan's comparative-analysis task id (its notes key)."""
    plan = Plan.model_validate(state["plan"])
    return next(t.id for t in plan.tasks if t.kind == "comparative_analysis")


def completed_notes(store: NotesStore, run_id: str, findings: list[Finding]) -> list[Note]:
    """The newest note of every researcher that finished, in ``findings`` order (failed
    researchers posted only a gap note)."""
    done = [f["task_id"] for f in findings if f["status"] == "ok"]
    latest = {note.key: note for note in store.latest(run_id)}
    return [latest[key] for key in done if key in latest]


@dataclass(frozen=True)
class Written:
    """What a writer produced before its deadline."""

    text: str
    how: str
    """``model``, or ``extractive (why)`` when the model was late or failed."""
    left_out: str = ""
    """The unfinished last sentence left out (the model stopped at its length limit)."""


def write_with_deadline(
    model_call: Callable[[], Any], until: float, messages: list[BaseMessage], fallback: Fallback
) -> Written:
    """The model's answer before ``until`` (without an unfinished last sentence when it
    stopped at its length limit), else the extractive fallback's."""
    try:
        reply = run_within(model_call, until)
        text = str(getattr(reply, "content", reply)).strip()
        if text:
            metadata = getattr(reply, "response_metadata", None) or {}
            if (
                metadata.get("finish_reason") in CUT_REASONS
                or metadata.get("stop_reason") in CUT_REASONS
            ):
                text, left_out = without_unfinished_end(text)
                return Written(text, "model", left_out)
            return Written(text, "model")
        reason = "empty answer"
    except Exception as error:  # late or failing models get the fallback
        reason = f"{type(error).__name__}: {error}"
        log.warning("research writer fell back to the extractive text: %s", reason)
    return Written(str(fallback(messages, []).content), f"extractive ({reason})")


def make_analyst(models: ModelFactory, notes_url: str | None = None) -> Node:
    """The node that compares the notes and posts the analysis."""

    def analyze(state: ResearchState, runtime: Runtime[Context]) -> dict[str, Any]:
        context, started = runtime.context or Context(), time.time()
        run_id = state["run_id"]
        store = open_notes_store(notes_url)
        findings = run_findings(state)
        gaps = [gap_line(f) for f in findings if f["status"] != "ok"]
        notes = completed_notes(store, run_id, findings)
        subjects = {f["task_id"]: heading(f) for f in findings}
        messages: list[BaseMessage] = [
            SystemMessage(content=render("research_analyst", max_words=ANALYSIS_WORDS)),
            HumanMessage(
                content=render(
                    "research_analyst_input",
                    question=state["question"],
                    notes=notes_text(notes, subjects),
                    gaps=gaps_text(gaps),
                )
            ),
        ]
        until = cutoff(state["started_at"], state["deadline_s"], ANALYSIS_SHARE)
        written = write_with_deadline(
            lambda: models("analyst", context.model, seconds_left(until)).invoke(messages),
            until,
            messages,
            extractive.analyst,
        )
        text, how = written.text, written.how
        known = {source for note in notes for source in note.sources}
        text, removed = keep_known_citations(text, known)
        note = store.post(
            run_id,
            analysis_key(state),
            "analyst",
            text,
            citations(text),
            {"stage": "analysis", "how": how, "removed_citations": removed},
        )
        runtime.stream_writer(
            {"node": "analyst", "event": "finished", "how": how, "version": note.version}
        )
        return {
            "analysis": text,
            "gaps": gaps,
            "trace": [trace_event(run_id, "analyst", note.key, started, "ok")],
            "ledger": ledger_update(state, f"analysis: {how}"),
        }

    return analyze


def make_synthesizer(models: ModelFactory, notes_url: str | None = None) -> Node:
    """The node that writes the final report from the aggregated notes store."""

    def synthesize(state: ResearchState, runtime: Runtime[Context]) -> dict[str, Any]:
        context, started = runtime.context or Context(), time.time()
        run_id = state["run_id"]
        store = open_notes_store(notes_url)
        corpus = load_corpus()
        findings = run_findings(state)
        gaps = list(state.get("gaps", []))
        notes = completed_notes(store, run_id, findings)
        analysis = next(
            (n.content for n in store.latest(run_id) if n.key == analysis_key(state)), ""
        )
        subjects = {f["task_id"]: heading(f) for f in findings}
        messages: list[BaseMessage] = [
            SystemMessage(
                content=render("research_synthesizer", example_id=_example_id(notes, corpus))
            ),
            HumanMessage(
                content=render(
                    "research_synthesizer_input",
                    question=state["question"],
                    notes=notes_text(notes, subjects),
                    analysis=analysis or "(none)",
                    gaps=gaps_text(gaps),
                )
            ),
        ]
        written = write_with_deadline(
            lambda: models("synthesizer", context.model, seconds_left(state["deadline_at"])).invoke(
                messages
            ),
            state["deadline_at"],
            messages,
            extractive.synthesizer,
        )
        body, how = written.text, written.how
        known = set(corpus.documents) | {s for note in notes for s in note.sources}
        body, removed = keep_known_citations(body, known)
        companies = [str(t["company"]) for t in state["plan"]["tasks"] if t.get("company")]
        grounded = ground_report(body, corpus, companies, (s for n in notes for s in n.sources))
        body = "\n\n".join(p for p in (grounded.body, unverified_section(grounded)) if p)
        checked = grounded.counts()
        cited = list(dict.fromkeys([*citations(body), *(s for n in notes for s in n.sources)]))
        done = sum(1 for f in findings if f["status"] == "ok")
        cut = "; stopped at its length limit, unfinished end left out" if written.left_out else ""
        footer = (
            f"Run {run_id}: {done} of {len(findings)} researchers finished; "
            f"report written by the synthesizer ({how.split(' (')[0]}{cut}) "
            f"in {time.time() - state['started_at']:.1f} s."
        )
        report = compose_report(
            state["question"], body, gaps, sources_section(cited, corpus), footer
        )
        note = store.post(
            run_id,
            REPORT_KEY,
            "synthesizer",
            report,
            cited,
            {"stage": "report", "how": how, "removed_citations": removed, "grounding": checked},
        )
        runtime.stream_writer(
            {"node": "synthesizer", "event": "finished", "how": how, "version": note.version}
        )
        return {
            "report": report,
            "messages": [AIMessage(content=report, name="synthesizer")],
            "trace": [trace_event(run_id, "synthesizer", REPORT_KEY, started, "ok")],
            "ledger": ledger_update(
                state,
                f"report: {how}",
                *([f"unfinished end left out: {written.left_out!r}"] if written.left_out else []),
                f"gaps: {len(gaps)}",
                grounding_event(checked),
            ),
        }

    return synthesize


def grounding_event(counts: dict[str, int]) -> str:
    """The ledger line for the report's claim check."""
    changed = ", ".join(
        f"{counts.get(k, 0)} {k}" for k in ("ok", "recited", "corrected", "removed")
    )
    return f"grounding: {changed}; {counts.get('cited', 0)}/{counts.get('factual', 0)} cited"


def ledger_update(state: ResearchState, *events: str) -> dict[str, Any]:
    """This turn's ledger entry with ``events`` appended to the ones already recorded."""
    turn = state.get("turn", 0)
    entries = state.get("ledger") or []
    earlier = entries[-1].get("events", []) if entries and entries[-1].get("turn") == turn else []
    return {"turn": turn, "events": [*earlier, *events]}


def _example_id(notes: list[Note], corpus: Any) -> str:
    """A document id to show in the citation example (one the notes cite, if any)."""
    for note in notes:
        if note.sources:
            return note.sources[0]
    return next(iter(corpus.documents), "doc-id")
