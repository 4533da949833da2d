"""Grounded replies after tools: the engine states what the tools found, no model needed.

A tool result of the support tools is written to be read to the customer (ids, amounts, dates,
plan names, line items). After a round of such results the engine replies with them itself,
so every fact in the reply is the tool's own, and the model is spared a call. Results that
need understanding to become an answer (knowledge-base passages) still go to the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from agents.roster import Roster
from agents.slots import ACTION_LABELS, RESULT_QUESTIONS
from agents.state import HeldCall, SupportState

Node = Callable[..., Any]
MODEL_READS = frozenset({"search_kb"})
"""Tools whose results the model must turn into an answer (passages, not facts)."""
_TOOL_HINT = re.compile(r"\s*\((?:[a-z]+_)+[a-z]+\)")
"""A tool name in parentheses, a hint for the model ("can now be resumed (resume_line)")."""
_TO_ASSISTANT = re.compile(
    r"(?:(?<=[.!?])\s+|^)(?:Ask|Do not|Don't|Tell|Offer|Check them with)\b[^.!?]*[.!?]", re.M
)
"""A sentence addressed to the assistant rather than the customer."""
_DECLINED = re.compile(r"^Declined: ")


def call_args(messages: Sequence[BaseMessage], call_id: str) -> dict[str, Any]:
    """The arguments of the tool call ``call_id`` among ``messages``."""
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                if call.get("id") == call_id:
                    return dict(call.get("args") or {})
    return {}


def held_by(
    results: Sequence[ToolMessage], messages: Sequence[BaseMessage], agent: str
) -> HeldCall | None:
    """The call a result held back by asking the customer for one of its arguments ("Which
    line? This account has 2 lines: …"), to be completed by the customer's answer."""
    for result in results:
        for slot, asks in RESULT_QUESTIONS.items():
            if result.name and asks.match(str(result.content)):
                args = call_args(messages, result.tool_call_id)
                return HeldCall(tool=result.name, args=args, slot=slot, agent=agent)
    return None


def round_results(messages: Sequence[BaseMessage]) -> list[ToolMessage]:
    """The tool messages that end the history (the last round's results)."""
    results: list[ToolMessage] = []
    for message in reversed(messages):
        if not isinstance(message, ToolMessage):
            break
        results.insert(0, message)
    return results


def speakable(results: Sequence[ToolMessage]) -> bool:
    """Whether the engine can reply with these results as they are."""
    return bool(results) and all(
        r.name not in MODEL_READS and r.status != "error" and str(r.content).strip()
        for r in results
    )


def spoken(result: ToolMessage) -> str:
    """One tool result as said to the customer."""
    text = str(result.content).strip()
    if _DECLINED.match(text):
        label = ACTION_LABELS.get(result.name or "", "change")
        return f"Okay, I haven't made the {label}: nothing was changed."
    text = _TOOL_HINT.sub("", text)
    return _TO_ASSISTANT.sub("", text).strip()


def report_text(results: Sequence[ToolMessage]) -> str:
    """The reply that states what a round of tools found."""
    parts = [spoken(r) for r in results]
    body = "\n".join(part for part in parts if part)
    if all(_DECLINED.match(str(r.content)) for r in results):
        return body
    return f"Here is what I found:\n{body}" if len(results) > 1 or "\n" in body else body


def model_must_answer(state: SupportState) -> bool:
    """Whether the round's results need the model (passages, errors, nothing to say)."""
    return not speakable(round_results(list(state.get("messages") or [])))


def make_report_results(roster: Roster) -> Node:
    """The node that replies with the round's tool results (grounded by construction)."""

    def report_results(state: SupportState) -> dict[str, Any]:
        results = round_results(list(state.get("messages") or []))
        agent = roster.spec(state.get("agent")).name
        reply = AIMessage(content=report_text(results), name=agent)
        names = ", ".join(r.name or "tool" for r in results)
        ledger = {"turn": state.get("turn", 0), "events": [f"reply from results: {names}"]}
        held = held_by(results, list(state.get("messages") or []), agent)
        return {"messages": [reply], "ledger": ledger, "held_call": held}

    return report_results
