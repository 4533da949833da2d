"""Follow-ups the scripted model reads from the conversation: corrections, resumes, answers.

A competent agent does not start over when the customer says "Sorry, I meant B20003", "Back to
my bill" or just "+12025550110" after being asked which line: it repeats the task it was doing
(an earlier tool call still in the prompt) with the new value. These rules only look at the
prompt: the newest message's values, the earlier tool calls and the fact sheet.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from testing.scripted_memory import Memory, payment_method_named
from testing.scripted_slots import ToolSpec, extract_slots, slot_args, tool_call

CONVERSATION_TOOLS = frozenset({"verify_customer", "search_kb", "transfer_to_human"})
"""Tools that serve the conversation rather than a task (never the task a resume goes back to)."""
ANSWER_SLOTS = ("bill", "plan", "gb", "line", "phone", "payment_method")
"""Values that, given on their own, answer the open task's question (which bill, line, plan)."""
CORRECTABLE_SLOTS = (*ANSWER_SLOTS, "problem", "name", "dob")
"""Values a correction may replace in the call it corrects."""
FACT_SLOTS = {"bill": "bill", "line": "line", "requested_plan": "plan", "phone_number": "phone"}
"""Fact-sheet slots → the message slots they stand in for (``plan`` is the line's current plan,
``requested_plan`` the one the customer asked about: only the latter is a target)."""
_RESUME = re.compile(
    r"(?:^|[.!?,]\s*)(?:ok(?:ay)?[.,!]?\s*)?(?:let'?s\s+)?(?:go\s+|get\s+)?"
    r"(?:back to (?:my|the|our|that)\b|where were we\b)",
    re.IGNORECASE,
)
_NOT_RESUME = re.compile(r"\b(?:old|previous|former|original)\b", re.IGNORECASE)
MAX_RESUME_WORDS = 8
_PLAN_NAMED = re.compile(
    r"\b(?:plan|unlimited|plus[ _]40|everyday[ _]15|basic[ _]5)\b", re.IGNORECASE
)
"""A plan clearly named: a bare "max" or "basic" in a sentence is not a plan on its own."""


def conversation_slots(text: str, memory: Memory) -> dict[str, Any]:
    """The newest message's values, plus a payment method it names by an earlier result's label."""
    slots = extract_slots(text)
    if "payment_method" not in slots:
        method = payment_method_named(text, memory.results)
        if method is not None:
            slots["payment_method"] = method
    return slots


def fact_slots(memory: Memory) -> dict[str, Any]:
    """Task values the fact sheet holds, as message slots (bill, line, plan, phone)."""
    found: dict[str, Any] = {}
    for fact, slot in FACT_SLOTS.items():
        value = memory.fact(fact)
        if value:
            found[slot] = value
    return found


def given_values(slots: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The values among ``names`` that the message clearly gives (a plan only when named)."""
    values = {name: slots[name] for name in names if name in slots}
    if "plan" in values and not _PLAN_NAMED.search(str(slots.get("text", ""))):
        del values["plan"]
    return values


def is_resume(text: str) -> bool:
    """A short "back to my bill" / "where were we" that returns to the earlier task."""
    short = len(text.split()) <= MAX_RESUME_WORDS
    return short and bool(_RESUME.search(text)) and not _NOT_RESUME.search(text)


def repeat_call(
    memory: Memory,
    tools: Sequence[ToolSpec],
    values: Mapping[str, Any],
    *,
    needs_value: bool,
    skip: Collection[str] = CONVERSATION_TOOLS,
) -> dict[str, Any] | None:
    """The newest earlier call of a bound tool, repeated with ``values`` in place of its old ones.

    With ``needs_value`` only a call that takes one of ``values`` counts (a correction or an
    answer must change something); otherwise the newest task call is repeated as it was, with
    any given value applied. Tools in ``skip`` are passed over.
    """
    by_name = {tool.name: tool for tool in tools}
    for past in reversed(memory.calls):
        spec = by_name.get(past.name)
        if spec is None or past.name in skip:
            continue
        changed = slot_args(spec, values)
        if needs_value and not changed:
            continue
        call = tool_call(spec, {**past.args, **changed})
        if call is not None:
            return call
    return None


def correction_call(
    slots: Mapping[str, Any], memory: Memory, tools: Sequence[ToolSpec]
) -> dict[str, Any] | None:
    """A correction ("Sorry, I meant X"): the newest call that takes X, repeated with X."""
    values = given_values(slots, CORRECTABLE_SLOTS)
    if not values:
        return None
    return repeat_call(memory, tools, values, needs_value=True, skip=())


def resume_call(
    slots: Mapping[str, Any], memory: Memory, tools: Sequence[ToolSpec]
) -> dict[str, Any] | None:
    """A return such as "back to my bill": the newest task call, with any value the message adds."""
    values = given_values(slots, ANSWER_SLOTS)
    return repeat_call(memory, tools, values, needs_value=False)


def answer_call(
    slots: Mapping[str, Any], memory: Memory, tools: Sequence[ToolSpec]
) -> dict[str, Any] | None:
    """A bare value ("+12025550110", "B20003"): the newest task call that takes it, repeated."""
    values = given_values(slots, ANSWER_SLOTS)
    if not values:
        return None
    return repeat_call(memory, tools, values, needs_value=True)
