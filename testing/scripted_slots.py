"""Values the scripted model finds in a message, and how they fill a bound tool's arguments."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from llm.stand_in import ToolSpec

PLAN_WORDS = {
    "unlimited max": "unlimited_max",
    "unlimited_max": "unlimited_max",
    "max": "unlimited_max",
    "unlimited": "unlimited",
    "plus 40": "plus_40",
    "plus_40": "plus_40",
    "plus": "plus_40",
    "everyday 15": "everyday_15",
    "everyday_15": "everyday_15",
    "everyday": "everyday_15",
    "basic 5": "basic_5",
    "basic_5": "basic_5",
    "basic": "basic_5",
}

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
DATE = re.compile(
    rf"\b(\d{{4}}[-/]\d{{2}}[-/]\d{{2}}|\d{{1,2}} (?:{_MONTHS}) \d{{4}}|"
    rf"(?:{_MONTHS}) \d{{1,2}},? \d{{4}})\b",
    re.IGNORECASE,
)
"""Dates as customers write them (ISO, ``14 March 1988``, ``March 14, 1988``)."""
PHONE = re.compile(r"(\+?\d[\d\s().-]{6,}\d)")
LINE_ID = re.compile(r"\b(L\d{4}-\d+)\b", re.IGNORECASE)
METHOD_ID = re.compile(r"\b(PM\d{3,}-\d+)\b", re.IGNORECASE)


def extract_slots(text: str) -> dict[str, Any]:
    """Values a support request may carry: bill, plan, GB, line, phone, payment method, ..."""
    lowered = text.lower()
    slots: dict[str, Any] = {}
    if match := re.search(r"\b(B[-_]?\d{3,})\b", text, re.IGNORECASE):
        slots["bill"] = match.group(1).upper()
    for words, plan_id in PLAN_WORDS.items():
        if re.search(rf"\b{re.escape(words)}\b", lowered):
            slots["plan"] = plan_id
            break
    if match := re.search(r"(\d+(?:\.\d+)?)\s*(?:gb|gig)", lowered):
        slots["gb"] = float(match.group(1))
    if match := LINE_ID.search(text):
        slots["line"] = match.group(1).upper()
    if match := METHOD_ID.search(text):
        slots["payment_method"] = match.group(1).upper()
    if match := PHONE.search(DATE.sub(" ", METHOD_ID.sub(" ", LINE_ID.sub(" ", text)))):
        slots["phone"] = re.sub(r"[^\d+]", "", match.group(1))
    if match := re.search(r"\b(C\d{4})\b", text):
        slots["customer"] = match.group(1)
    if re.search(r"\b(on|enable|activate|turn on)\b", lowered):
        slots["enabled"] = True
    if re.search(r"\b(off|disable|deactivate|turn off)\b", lowered):
        slots["enabled"] = False
    if "mms" in lowered or "picture" in lowered:
        slots["problem"] = "mms"
    elif "slow" in lowered or ("data" in lowered and "not" in lowered):
        slots["problem"] = "slow_data"
    elif "service" in lowered or "signal" in lowered:
        slots["problem"] = "no_service"
    if match := DATE.search(text):
        slots["dob"] = match.group(1)
    if match := re.search(r"(?:name is|i am|i'm)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)", text):
        slots["name"] = match.group(1)
    slots["text"] = text
    return slots


ARG_SLOTS: list[tuple[frozenset[str], tuple[str, ...]]] = [
    (frozenset({"bill"}), ("bill",)),
    (frozenset({"plan"}), ("plan",)),
    (frozenset({"gb", "amount"}), ("gb",)),
    (frozenset({"method"}), ("payment_method",)),
    (frozenset({"line"}), ("line", "phone")),
    (frozenset({"phone"}), ("phone",)),
    (frozenset({"enable", "enabled", "on"}), ("enabled",)),
    (frozenset({"problem", "issue"}), ("problem",)),
    (frozenset({"birth", "dob"}), ("dob",)),
    (frozenset({"name"}), ("name",)),
    (frozenset({"customer"}), ("customer",)),
]
"""Argument-name words → the slots that fill them, best first."""
TEXT_ARGS = frozenset({"summary", "reason", "query", "question", "description", "note"})


def slot_arg(prop: str, schema: Mapping[str, Any], slots: Mapping[str, Any]) -> Any:
    """The slot value for the tool argument ``prop``, by the words of its name and its type."""
    words = set(prop.lower().split("_"))
    kind = schema.get("type")
    for names, candidates in ARG_SLOTS:
        if not words & names:
            continue
        for slot in candidates:
            value = slots.get(slot)
            if value is None or isinstance(value, bool) != (kind == "boolean"):
                continue
            if kind == "integer" and isinstance(value, float):
                return int(value)
            return value
    return None


def arg_for(prop: str, schema: Mapping[str, Any], slots: Mapping[str, Any]) -> Any:
    """A value for ``prop``: a slot, the message text for free-text arguments, or an enum slot."""
    value = slot_arg(prop, schema, slots)
    if value is not None:
        return value
    if set(prop.lower().split("_")) & TEXT_ARGS and "text" in slots:
        return str(slots["text"])[:300]
    if "enum" in schema and slots.get("problem") in schema["enum"]:
        return slots["problem"]
    return None


def slot_args(spec: ToolSpec, slots: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments of ``spec`` that ``slots`` fill (slot values only, no free text)."""
    args: dict[str, Any] = {}
    for prop, schema in spec.properties.items():
        value = slot_arg(prop, schema if isinstance(schema, dict) else {}, slots)
        if value is not None:
            args[prop] = value
    return args


def tool_call(spec: ToolSpec, args: Mapping[str, Any]) -> dict[str, Any] | None:
    """A tool call of ``spec`` with ``args``, or ``None`` when a required argument is missing."""
    if any(name not in args for name in spec.required):
        return None
    return {"name": spec.name, "args": dict(args), "id": "", "type": "tool_call"}


def fill_call(spec: ToolSpec, slots: Mapping[str, Any]) -> dict[str, Any] | None:
    """A call of ``spec`` with every argument ``slots`` can fill (``None`` if one is missing)."""
    args: dict[str, Any] = {}
    for prop, schema in spec.properties.items():
        value = arg_for(prop, schema if isinstance(schema, dict) else {}, slots)
        if value is not None:
            args[prop] = value
    return tool_call(spec, args)
