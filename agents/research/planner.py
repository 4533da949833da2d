"""Start a research run and plan it: ask for a JSON plan, repair or re-ask, never crash."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime
from langgraph.types import Send

from agents.context import Context
from agents.research.deadline import (
    PLAN_SHARE,
    RESEARCH_SHARE,
    cutoff,
    default_deadline,
    run_within,
    seconds_left,
)
from agents.research.models import ModelFactory
from agents.research.plan import (
    MAX_RESEARCHERS,
    Plan,
    PlanError,
    fallback_plan,
    parse_plan,
    plan_schema,
    repair_plan,
)
from agents.research.state import ResearcherInput, ResearchState, trace_event
from prompts.loader import render
from tools.research_corpus import load_corpus

log = logging.getLogger(__name__)

PLAN_ATTEMPTS = 2
"""Model answers the planner asks for before it falls back to the question-derived plan."""

Node = Callable[..., dict[str, Any]]


def newest_question(state: ResearchState) -> str:
    """The question of this run: the newest user message when it ends the window, else
    ``question``."""
    messages = state.get("messages", [])
    if messages and isinstance(messages[-1], HumanMessage):
        return str(messages[-1].content).strip()
    return str(state.get("question", "")).strip()


def start_run(state: ResearchState) -> dict[str, Any]:
    """Open a run: its id, question, start time and deadline."""
    question = newest_question(state)
    if not question:
        raise ValueError("The research run has no question: send {'question': '...'} or a message.")
    deadline = float(state.get("deadline_s") or default_deadline())
    started = time.time()
    return {
        "question": question,
        "run_id": uuid.uuid4().hex[:16],
        "started_at": started,
        "deadline_s": deadline,
        "deadline_at": started + deadline,
        "turn": state.get("turn", 0) + 1,
        "analysis": "",
        "report": "",
        "gaps": [],
    }


def _ask(model: Any, messages: list[BaseMessage]) -> str:
    """The model's text answer."""
    reply = model.invoke(messages)
    return str(getattr(reply, "content", reply))


def obtain_plan(
    model: Callable[[], Any], question: str, companies: list[str], until: float | None = None
) -> tuple[Plan, list[str]]:
    """A valid plan and how it was obtained (strict → repaired → re-asked → fallback).

    ``model`` makes the planner's model for the next attempt; ``until`` (Unix time) bounds
    the attempts: when it has passed, the fallback plan is used.
    """
    prompt = render(
        "research_planner",
        companies=", ".join(companies),
        max_researchers=MAX_RESEARCHERS,
        schema=plan_schema(),
        question=question,
    )
    messages: list[BaseMessage] = [SystemMessage(content=prompt), HumanMessage(content=question)]
    events: list[str] = []
    for attempt in range(1, PLAN_ATTEMPTS + 1):
        if until is not None and seconds_left(until) <= 0:
            events.append(f"attempt {attempt}: skipped, the planning time is up")
            break
        asked = list(messages)
        try:
            if until is None:
                answer = _ask(model(), asked)
            else:
                answer = run_within(lambda: _ask(model(), asked), until)  # noqa: B023 - runs now
        except Exception as error:  # a failing planner must not end the run
            events.append(f"attempt {attempt}: model failed ({type(error).__name__}: {error})")
            continue
        try:
            plan = parse_plan(answer, companies)
            events.append(f"attempt {attempt}: valid plan")
            return plan, events
        except PlanError as problem:
            events.append(f"attempt {attempt}: invalid plan ({problem})")
            try:
                plan = repair_plan(answer, question, companies)
                events.append(f"attempt {attempt}: repaired")
                return plan, events
            except PlanError as unrepairable:
                events.append(f"attempt {attempt}: repair failed ({unrepairable}); re-asking")
            retry = render("research_planner_retry", error=str(problem), previous=answer[:1500])
            messages = [*messages, AIMessage(content=answer), HumanMessage(content=retry)]
    events.append("fallback: plan derived from the question")
    return fallback_plan(question, companies), events


def make_planner(models: ModelFactory) -> Node:
    """The planning node for models made by ``models``."""

    def plan(state: ResearchState, runtime: Runtime[Context]) -> dict[str, Any]:
        context = runtime.context or Context()
        started = time.time()
        companies = load_corpus().companies
        question = state.get("question", "")
        until = cutoff(state["started_at"], state["deadline_s"], PLAN_SHARE)
        chosen, events = obtain_plan(
            lambda: models("planner", context.model, seconds_left(until)),
            question,
            companies,
            until,
        )
        runtime.stream_writer(
            {
                "node": "planner",
                "event": "planned",
                "tasks": [t.model_dump() for t in chosen.tasks],
                "how": events[-1],
                "events": events,
            }
        )
        return {
            "plan": chosen.model_dump(),
            "plan_events": events,
            "trace": [trace_event(state.get("run_id", ""), "planner", "plan", started, "ok")],
            "ledger": {"turn": state.get("turn", 0), "events": [f"plan: {e}" for e in events]},
        }

    return plan


def dispatch(state: ResearchState) -> list[Send]:
    """One ``Send`` per research task: the researchers run in parallel."""
    plan = Plan.model_validate(state["plan"])
    return [
        Send(
            "research",
            ResearcherInput(
                run_id=state["run_id"],
                question=state["question"],
                task=task.model_dump(),
                deadline_at=cutoff(state["started_at"], state["deadline_s"], RESEARCH_SHARE),
            ),
        )
        for task in plan.research_tasks
    ]
