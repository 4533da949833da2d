"""Build each agent's prompt: stable policy first, then facts and summary, the window last."""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.messages import BaseMessage

from agents.context import Context
from agents.models import chat_model
from agents.state import SupportState
from conversation.assembly import Budgets, assemble
from conversation.facts import render_facts
from conversation.stack import describe_slots, top
from conversation.tokens import get_counter
from prompts.loader import placeholders, render

BRAND = "Bluebell Mobile"
FACT_PRIORITY = (
    "verified_customer",
    "name",
    "phone_number",
    "line",
    "plan",
    "requested_plan",
    "bill",
    "device",
    "issue",
    "agreed_actions",
    "pending_confirmation",
)
"""Fact-sheet slots, most important first (kept longest when the budget is tight)."""


def policy_text(prompt: str) -> str:
    """The agent's system prompt (no per-turn values, so it is a stable prefix)."""
    values = {"base": render("support_base", brand=BRAND), "brand": BRAND}
    return render(prompt, **{k: v for k, v in values.items() if k in placeholders(prompt)})


@dataclass
class Prompt:
    """An assembled prompt and what went into it."""

    messages: list[BaseMessage]
    sections: dict[str, int] = field(default_factory=dict)
    cut: list[str] = field(default_factory=list)
    total: int = 0


def task_line(state: SupportState) -> str:
    """The open task and its slots, for the prompt (empty when no task is open)."""
    frame = top(state.get("stack") or [])
    if frame is None:
        return ""
    slots = describe_slots({k: v for k, v in frame["slots"].items() if k != "request"})
    return f"Current task: {frame['task']}" + (f" ({slots})" if slots else "") + "."


def facts_text(state: SupportState) -> str:
    """The fact sheet and the current task, rendered for the prompt."""
    parts = [render_facts(state.get("facts", {}), FACT_PRIORITY), task_line(state)]
    return "\n".join(part for part in parts if part)


def build_prompt(
    prompt: str,
    state: SupportState,
    context: Context,
    passages: list[str] | None = None,
    model_spec: str = "",
    system: str | None = None,
) -> Prompt:
    """Assemble the prompt for one model call under the context's budgets."""
    assembled = assemble(
        system=system or policy_text(prompt),
        window=list(state.get("messages", [])),
        counter=get_counter(chat_model(model_spec or context.model)),
        budgets=Budgets(
            total=context.token_budget,
            facts=context.facts_budget,
            summary=context.summary_budget,
            passages=context.passages_budget,
            window=context.window_budget,
        ),
        facts=facts_text(state),
        summary=state.get("summary", ""),
        passages=passages or [],
    )
    return Prompt(
        messages=list(assembled.messages),
        sections=dict(assembled.sections),
        cut=list(assembled.cut),
        total=assembled.total,
    )
