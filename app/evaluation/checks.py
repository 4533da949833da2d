"""Expectation checks of a scenario run: per turn, end state, forbidden actions."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.evaluation.scenarios import EndExpect, Forbid, TurnExpect

WRITE_JOURNALS = ("payments", "payment_requests", "plan_changes", "tickets", "handoffs")
"""Journal tables a write tool adds rows to."""


@dataclass
class TurnRecord:
    """What one step of a scenario did (a user message, or a confirmation answer)."""

    index: int
    kind: str
    text: str
    intent: str | None = None
    act: str | None = None
    agent: str | None = None
    phase: str | None = None
    classifier_path: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_results: list[dict[str, Any]] = field(default_factory=list)
    reply: str = ""
    interrupt: dict[str, Any] | None = None
    error: str | None = None
    stack_depth: int | None = None
    folded: int = 0
    model_calls: int = 0
    prompt_tokens: int = 0
    latency_s: float = 0.0
    failures: list[str] = field(default_factory=list)


_NUMBER = re.compile(r"^\$?-?\d+(?:\.\d+)?$")
_NUMBERS = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w-])")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_forms(iso: str) -> list[str]:
    """Common ways of writing the date ``iso`` ("2026-11-25" → "November 25, 2026", ...)."""
    day = date.fromisoformat(iso)
    month, short = day.strftime("%B"), day.strftime("%b")
    return [
        iso,
        f"{month} {day.day}, {day.year}",
        f"{month} {day.day} {day.year}",
        f"{day.day} {month} {day.year}",
        f"{short} {day.day}, {day.year}",
        f"{day.day} {short} {day.year}",
        f"{month} {day.day}",
        f"{day.day} {month}",
        f"{day.month}/{day.day}/{day.year}",
        f"{day.month:02d}/{day.day:02d}/{day.year}",
        f"{day.day:02d}/{day.month:02d}/{day.year}",
    ]


def _has(text: str, needle: str) -> bool:
    """Whether ``text`` states ``needle``: as written, or — for an amount or a date — in
    another common form ("115.8" and "$115.80" state "115.80"; "November 25, 2026" states
    "2026-11-25"). Loose in form only: a different number or date never matches."""
    lowered = text.lower()
    if needle.lower() in lowered:
        return True
    if _NUMBER.match(needle):
        wanted = float(needle.lstrip("$"))
        found = (m.group().replace(",", "") for m in _NUMBERS.finditer(text))
        return any(abs(float(value) - wanted) < 0.005 for value in found)
    if _ISO_DATE.match(needle):
        return any(form.lower() in lowered for form in _date_forms(needle))
    return False


def trajectory_matches(
    calls: Sequence[Mapping[str, Any]],
    expected: Sequence[str],
    expected_args: Mapping[str, Mapping[str, Any]],
    mode: str,
) -> bool:
    """Whether the tool calls match the expected ones (agentevals trajectory match).

    Each call is one assistant message; an expected tool's arguments must be included in
    the actual call's (``superset`` argument matching), other arguments are free.
    """
    # Lazy: agentevals is a dev-only dependency.
    from agentevals.trajectory.match import create_trajectory_match_evaluator

    def as_messages(items: Sequence[tuple[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
        return [
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"function": {"name": name, "arguments": json.dumps(dict(args), default=str)}}
                ],
            }
            for name, args in items
        ]

    outputs = as_messages([(str(c["name"]), c.get("args") or {}) for c in calls])
    reference = as_messages([(name, expected_args.get(name, {})) for name in expected])
    evaluator = create_trajectory_match_evaluator(
        trajectory_match_mode=mode,
        tool_args_match_mode="superset",
    )
    result = evaluator(outputs=outputs, reference_outputs=reference)
    score = result["score"] if isinstance(result, Mapping) else result
    return bool(score)


def check_turn(record: TurnRecord, expect: TurnExpect) -> list[str]:
    """Failures of one turn against its expectations (empty = passed)."""
    failures: list[str] = []
    if expect.error is not None:
        if record.error is None or not _has(record.error, expect.error):
            failures.append(f"expected the message to be refused with {expect.error!r}")
        return failures
    if record.error is not None:
        return [f"unexpected error: {record.error}"]
    for key in ("intent", "act", "agent", "classifier_path", "phase"):
        wanted = getattr(expect, key)
        if wanted is not None and getattr(record, key) != wanted:
            failures.append(f"{key}: expected {wanted!r}, got {getattr(record, key)!r}")
    if expect.stack_depth is not None and record.stack_depth != expect.stack_depth:
        failures.append(f"stack depth: expected {expect.stack_depth}, got {record.stack_depth}")
    if expect.tools is not None and not trajectory_matches(
        record.tool_calls, expect.tools, expect.tool_args, expect.trajectory
    ):
        got = [f"{c['name']}({json.dumps(c.get('args') or {})})" for c in record.tool_calls]
        failures.append(
            f"tool calls ({expect.trajectory}): expected {list(expect.tools)} "
            f"with args {dict(expect.tool_args)}, got {got}"
        )
    failures += [f"reply lacks {t!r}" for t in expect.reply_contains if not _has(record.reply, t)]
    failures += [f"reply contains {t!r}" for t in expect.reply_excludes if _has(record.reply, t)]
    if expect.reply_any and not any(_has(record.reply, t) for t in expect.reply_any):
        failures.append(f"reply has none of {list(expect.reply_any)}")
    results = "\n".join(str(r.get("content", "")) for r in record.tool_results)
    failures += [f"tool results lack {t!r}" for t in expect.results_contain if not _has(results, t)]
    failures += _check_interrupt(record, expect)
    return failures


def _check_interrupt(record: TurnRecord, expect: TurnExpect) -> list[str]:
    failures: list[str] = []
    pending = record.interrupt
    if expect.interrupt is not None and bool(pending) != expect.interrupt:
        state = "a confirmation request" if expect.interrupt else "no confirmation request"
        failures.append(f"expected {state}, got {pending!r}")
    if expect.interrupt_tool is not None and (pending or {}).get("tool") != expect.interrupt_tool:
        failures.append(f"confirmation should be for {expect.interrupt_tool!r}, got {pending!r}")
    summary = str((pending or {}).get("summary", ""))
    failures += [
        f"confirmation text lacks {t!r}" for t in expect.interrupt_contains if not _has(summary, t)
    ]
    return failures


def _line_value(line: Any, column: str) -> Any:
    if column in ("plan", "plan_id"):
        return line.plan.plan_id
    return getattr(line, column)


def _same(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return bool(actual) == bool(wanted)
    if isinstance(actual, int | float) and isinstance(wanted, int | float):
        return abs(float(actual) - float(wanted)) < 1e-9
    return str(actual) == str(wanted)


def check_store(store: Any, expected: Mapping[str, Any]) -> list[str]:
    """Failures of the telco store's end state (lines, bills, journal row counts)."""
    failures: list[str] = []
    for line_id, columns in (expected.get("lines") or {}).items():
        line = store.line(line_id)
        if line is None:
            failures.append(f"store: no line {line_id}")
            continue
        for column, wanted in columns.items():
            actual = _line_value(line, column)
            if not _same(actual, wanted):
                failures.append(f"store: line {line_id} {column} is {actual!r}, not {wanted!r}")
    for bill_id, columns in (expected.get("bills") or {}).items():
        bill = store.bill(bill_id)
        if bill is None:
            failures.append(f"store: no bill {bill_id}")
            continue
        for column, wanted in columns.items():
            actual = getattr(bill, column)
            if not _same(actual, wanted):
                failures.append(f"store: bill {bill_id} {column} is {actual!r}, not {wanted!r}")
    for table, wanted in (expected.get("counts") or {}).items():
        count = len(store.rows(table))
        if count != int(wanted):
            failures.append(f"store: {table} has {count} new row(s), expected {wanted}")
    return failures


def check_end(
    records: Sequence[TurnRecord], state: Mapping[str, Any], store: Any, end: EndExpect
) -> list[str]:
    """Failures of the conversation's end state."""
    failures = check_store(store, end.store)
    facts = state.get("facts") or {}
    for slot, wanted in end.facts.items():
        value = str((facts.get(slot) or {}).get("value", ""))
        if not _has(value, wanted):
            failures.append(f"fact {slot!r} is {value!r}, expected it to contain {wanted!r}")
    summary = str(state.get("summary") or "")
    failures += [f"summary lacks {t!r}" for t in end.summary_contains if not _has(summary, t)]
    folded = sum(r.folded for r in records)
    if folded < end.folded_at_least:
        failures.append(f"folded {folded} message(s), expected at least {end.folded_at_least}")
    if end.phase is not None and state.get("phase") != end.phase:
        failures.append(f"end phase is {state.get('phase')!r}, expected {end.phase!r}")
    depth = len(state.get("stack") or [])
    if end.stack_depth is not None and depth != end.stack_depth:
        failures.append(f"end stack depth is {depth}, expected {end.stack_depth}")
    if end.tools_in_order:
        calls = [call for record in records for call in record.tool_calls]
        names = [str(call["name"]) for call in calls]
        present = trajectory_matches(calls, end.tools_in_order, {}, "superset")
        if not present or not _in_order(names, end.tools_in_order):
            failures.append(f"conversation tools {names} lack {list(end.tools_in_order)} in order")
    return failures


def _in_order(names: Sequence[str], wanted: Sequence[str]) -> bool:
    """Whether ``wanted`` occurs in ``names`` as a subsequence."""
    remaining = iter(names)
    return all(any(name == item for name in remaining) for item in wanted)


def check_forbidden(records: Sequence[TurnRecord], forbid: Forbid) -> list[str]:
    """Failures for anything the scenario forbids, anywhere in the conversation."""
    failures: list[str] = []
    for record in records:
        where = f"turn {record.index + 1}"
        for call in record.tool_calls:
            if call["name"] in forbid.tools:
                failures.append(f"{where}: forbidden tool {call['name']} was called")
            args = json.dumps(call.get("args") or {}, default=str)
            failures += [
                f"{where}: tool {call['name']} arguments contain forbidden {t!r}"
                for t in forbid.args_contain
                if _has(args, t)
            ]
        failures += [
            f"{where}: reply contains forbidden {t!r}"
            for t in forbid.reply_contains
            if _has(record.reply, t)
        ]
    return failures
