"""State of a research run: question, plan, researcher findings and timings, analysis, report."""

from __future__ import annotations

import operator
import time
from typing import Annotated, Any, Literal, TypedDict

from conversation.state import ConversationState

Status = Literal["ok", "failed", "timeout"]
"""How a researcher's task ended."""


class Finding(TypedDict):
    """What one researcher reports back to the graph (its notes are in the notes store)."""

    run_id: str
    task_id: str
    company: str | None
    focus: str
    status: Status
    note_key: str
    """Key of the researcher's notes in the store (the task id)."""
    note_version: int
    """Version of the researcher's final note (0 when it posted none)."""
    sources: list[str]
    """Corpus document ids the note cites."""
    error: str
    """Why the task failed or timed out ('' when it succeeded)."""


class TraceEvent(TypedDict):
    """When one node of the run started and ended (Unix times; parallel researchers overlap)."""

    run_id: str
    node: str
    task_id: str
    started: float
    ended: float
    status: str


def trace_event(run_id: str, node: str, task_id: str, started: float, status: str) -> TraceEvent:
    """A trace entry for ``node`` that started at ``started`` and ends now."""
    return TraceEvent(
        run_id=run_id,
        node=node,
        task_id=task_id,
        started=started,
        ended=time.time(),
        status=status,
    )


class ResearchState(ConversationState, total=False):
    """What the research graph keeps per thread: the engine's state plus the run's results."""

    question: str
    """The research question (else the newest user message is used)."""
    deadline_s: float
    """Seconds the whole run may take (default ``$SWITCHBOARD_RESEARCH_DEADLINE`` or 300)."""
    run_id: str
    """Namespace of this run's notes in the notes store."""
    started_at: float
    deadline_at: float
    """Unix time by which the report must be written."""
    plan: dict[str, Any]
    """The validated plan (see ``agents.research.plan.Plan``)."""
    plan_events: list[str]
    """How the plan was obtained: valid, repaired, re-asked or the fallback."""
    findings: Annotated[list[Finding], operator.add]
    """One entry per researcher task (of every run on the thread; filter by ``run_id``)."""
    trace: Annotated[list[TraceEvent], operator.add]
    """Start and end times of the run's nodes."""
    analysis: str
    report: str
    """The final Markdown report."""
    gaps: list[str]
    """What the report is missing, one sentence per failed or late researcher."""


class ResearcherInput(TypedDict):
    """What each parallel researcher receives through ``Send``."""

    run_id: str
    question: str
    task: dict[str, Any]
    deadline_at: float
    """When the researcher must have posted its notes."""
