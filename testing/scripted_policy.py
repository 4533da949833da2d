"""Rules the scripted model follows: keyword tool choice, pattern arguments, grounded replies."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from pydantic import BaseModel

from testing.scripted_followup import (
    answer_call,
    conversation_slots,
    correction_call,
    fact_slots,
    is_resume,
    resume_call,
)
from testing.scripted_memory import Memory, read_memory
from testing.scripted_slots import ToolSpec, extract_slots, fill_call

__all__ = ["ToolSpec", "choose_tool", "decide", "extract_slots", "fill_structured", "next_call"]

INTENT_WORDS: dict[str, tuple[str, ...]] = {
    "billing": ("bill", "invoice", "charge", "pay", "overdue", "balance", "owe", "late fee"),
    "plan_change": ("plan", "upgrade", "downgrade", "refuel", "top up", "roaming", "more data"),
    "tech_support": (
        "no service",
        "signal",
        "slow",
        "mms",
        "picture message",
        "internet",
        "suspended",
        "resume",
        "reactivate",
        "apn",
        "sim",
        "not working",
        "ticket",
    ),
}

ACT_WORDS: list[tuple[str, tuple[str, ...]]] = [
    ("cancel", ("never mind", "nevermind", "cancel", "forget it", "stop that")),
    ("correction", ("sorry, my", "i meant", "correction", "actually my", "actually it's")),
    ("thanks", ("thank", "thanks", "thx", "cheers")),
    ("goodbye", ("bye", "goodbye", "that's all", "that is all")),
    ("greeting", ("hello", "hi ", "hey", "good morning", "good afternoon")),
    ("repeat", ("say that again", "repeat", "come again")),
    ("yes", ("yes", "yeah", "yep", "sure", "go ahead", "confirm")),
    ("no", ("no", "nope", "don't")),
]


def _last_human(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return str(message.content)
    return ""


def keyword_intent(text: str) -> str:
    """The intent whose keywords occur in ``text`` (``out_of_scope`` when none)."""
    lowered = f" {text.lower()} "
    best, hits = "out_of_scope", 0
    for intent, words in INTENT_WORDS.items():
        count = sum(1 for word in words if word in lowered)
        if count > hits:
            best, hits = intent, count
    return best


def keyword_act(text: str) -> str:
    """The dialogue act suggested by ``text`` (``request`` or ``question`` when none)."""
    lowered = f" {text.lower().strip()} "
    for act, words in ACT_WORDS:
        if any(re.search(rf"(?<![a-z]){re.escape(w.strip())}(?![a-z])", lowered) for w in words):
            return act
    return "question" if "?" in text else "request"


# (tool name, words any of which must occur in the lowered user text)
TOOL_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("transfer_to_human", ("human", "real person", "representative", "transfer me", "manager")),
    ("verify_customer", ("my number is", "my phone", "born", "date of birth")),
    ("send_payment_request", ("payment link", "payment request", "send me a link")),
    ("make_payment", ("pay ", "settle")),
    ("check_overdue", ("overdue", "late", "past due")),
    ("explain_bill", ("explain", "line item", "breakdown", "why is my bill", "charges")),
    ("list_bills", ("bill", "invoice", "balance", "owe")),
    (
        "refuel_data",
        ("refuel", "top up", "top-up", "more data", "extra data", "add ", "out of data"),
    ),
    ("toggle_roaming", ("roaming",)),
    ("price_plan_change", ("how much", "cost", "price")),
    ("change_plan", ("switch", "change", "upgrade", "downgrade", "move me", "move to", "onto")),
    ("list_plans", ("plans", "options")),
    ("resume_line", ("resume", "reactivate", "unsuspend", "turn my line back")),
    ("open_ticket", ("ticket",)),
    ("run_diagnostic", ("no service", "signal", "slow", "mms", "picture message", "not working")),
    ("line_status", ("status", "suspended", "my line")),
    ("search_kb", ("how do", "how does", "what is", "what's", "explain", "help with")),
]


def choose_tool(
    text: str,
    tools: Sequence[ToolSpec],
    forced: str | None = None,
    slots: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The first rule whose words occur in ``text`` and whose tool is bound and fillable.

    ``slots`` are the values to fill arguments with (default: those found in ``text``).
    """
    by_name = {tool.name: tool for tool in tools}
    values = extract_slots(text) if slots is None else slots
    if forced and forced in by_name:
        return fill_call(by_name[forced], values)
    lowered = f" {text.lower()} "
    for name, words in TOOL_RULES:
        if name == "verify_customer" and not ("phone" in values or "dob" in values):
            continue
        if name in by_name and any(word in lowered for word in words):
            call = fill_call(by_name[name], values)
            if call is not None:
                return call
    return None


def next_call(
    text: str, tools: Sequence[ToolSpec], memory: Memory, forced: str | None = None
) -> dict[str, Any] | None:
    """The tool call for the newest message, read in the light of the conversation so far.

    A correction repeats the call it corrects with the new value; "back to my bill" repeats
    the earlier task; otherwise keywords choose; a bare value answers the open task.
    """
    slots = conversation_slots(text, memory)
    if forced:
        return choose_tool(text, tools, forced, slots)
    if keyword_act(text) == "correction":
        call = correction_call(slots, memory, tools)
        if call is not None:
            return call
    if is_resume(text):
        call = resume_call(slots, memory, tools)
        if call is not None:
            return call
        slots = {**fact_slots(memory), **slots}
    call = choose_tool(text, tools, None, slots)
    if call is not None:
        return call
    return answer_call(slots, memory, tools)


def grounded_reply(results: Sequence[ToolMessage]) -> str:
    """A reply that states the tool results verbatim (so every figure is grounded)."""
    parts = [str(result.content).strip() for result in results if str(result.content).strip()]
    if not parts:
        return "I checked, but found nothing to report."
    return "Here is what I found: " + " ".join(parts)


def decide(
    messages: Sequence[BaseMessage], tools: Sequence[ToolSpec], forced: str | None = None
) -> AIMessage:
    """The scripted agent's next message."""
    trailing: list[ToolMessage] = []
    for message in reversed(messages):
        if not isinstance(message, ToolMessage):
            break
        trailing.insert(0, message)
    if trailing:
        return AIMessage(content=grounded_reply(trailing))
    text = _last_human(messages)
    if tools:
        call = next_call(text, tools, read_memory(messages), forced)
        if call is not None:
            return AIMessage(content="", tool_calls=[call])
    return AIMessage(content=_plain_reply(text, bool(tools)))


def _plain_reply(text: str, has_tools: bool) -> str:
    """A short reply when no tool applies."""
    act = keyword_act(text)
    if act == "greeting":
        return "Hello! How can I help you with your Bluebell Mobile account today?"
    if act == "thanks":
        return "You're welcome! Is there anything else I can help with?"
    if act == "goodbye":
        return "Thanks for contacting Bluebell Mobile. Goodbye!"
    if has_tools and keyword_intent(text) != "out_of_scope":
        return "Could you tell me a bit more, for example which bill, line or plan you mean?"
    if has_tools:
        return (
            "I'm sorry, I can only help with your Bluebell Mobile account: bills, plans and "
            "technical problems with your line. What can I do for you?"
        )
    return (
        "I'm the Bluebell Mobile support assistant: I can help with bills, plan changes and "
        "technical problems with your line."
    )


def fill_structured(schema: Any, messages: Sequence[BaseMessage]) -> dict[str, Any]:
    """Fill a structured-output schema from the newest user message."""
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        json_schema = schema.model_json_schema()
    elif isinstance(schema, dict):
        json_schema = schema.get("parameters", schema)
    else:
        json_schema = {}
    text = _last_human(messages)
    data: dict[str, Any] = {}
    for prop, spec in json_schema.get("properties", {}).items():
        data[prop] = _fill_value(prop, spec, text, json_schema)
    return data


def _fill_value(prop: str, spec: dict[str, Any], text: str, root: dict[str, Any]) -> Any:
    """One structured-output field: intents and acts by keywords, others by type."""
    if "$ref" in spec:
        ref = spec["$ref"].rsplit("/", 1)[-1]
        spec = root.get("$defs", {}).get(ref, spec)
    enum = spec.get("enum")
    if prop == "intent" or (enum and "billing" in enum):
        return keyword_intent(text)
    if prop == "act":
        act = keyword_act(text)
        return act if not enum or act in enum else enum[0]
    if enum:
        return enum[0]
    kind = spec.get("type")
    if kind == "number":
        return 0.9
    if kind == "integer":
        return 1
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return text[:200]
