"""End of turn: fold old turns into the running summary, update facts, phase and ledger."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.runtime import Runtime

from agents.context import Context
from agents.models import chat_model
from agents.state import SupportState
from conversation.summary import fold
from conversation.tokens import get_counter
from llm.factory import is_stand_in

log = logging.getLogger(__name__)


def summarize(state: SupportState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Fold the oldest turns into the running summary when the window is over its budget."""
    context = runtime.context or Context()
    turn = state.get("turn", 0)
    result = fold(
        list(state.get("messages", [])),
        summary=state.get("summary", ""),
        counter=get_counter(chat_model(context.model)),
        window_budget=context.window_budget,
        summary_budget=context.summary_budget,
        facts=state.get("facts", {}),
        summarize=summarizer(context.model),
    )
    if result is None:
        return {"ledger": {"turn": turn, "folded": 0}}
    events = [f"fold: {result.folded} messages ({result.method})"]
    if result.error:
        log.warning("summary model failed, used the extractive summary: %s", result.error)
        events.append(f"summary_fallback: {result.error}")
    return {
        "summary": result.summary,
        "messages": result.removals,
        "ledger": {"turn": turn, "folded": result.folded, "events": events},
    }


def summarizer(model_spec: str) -> Callable[[list[BaseMessage]], str] | None:
    """The model call that writes summaries (``None`` = the extractive summarizer)."""
    if is_stand_in(model_spec):
        return None

    def run(prompt: list[BaseMessage]) -> str:
        return str(chat_model(model_spec).invoke(prompt).content)

    return run
