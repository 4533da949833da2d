"""The one path every write tool takes: quote and ask, then act once on the customer's answer.

A write runs in two tool calls. The model's call (id ``X``) only quotes: the quote is stored and
the tool returns an *awaiting* tool message, so the history never holds a call without its
result and nothing waits inside a tool. The conversation engine asks the customer; their yes or
no comes back as a second call of the same tool with id ``X:yes`` or ``X:no`` (ids a model
cannot produce: every model call id is rewritten per thread), which re-checks the stored quote
and executes, or records the decline — at most once per id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import ToolMessage

from tools.auth import Session
from tools.store import Confirmation, StoreWriter, WriteConflict

MISSING_CALL_ID = (
    "This write tool must be called as a model tool call (it has no tool_call_id), so it "
    "cannot guarantee running once; nothing was changed."
)
AWAITING_KIND = "confirm"
"""``ToolMessage.artifact["kind"]`` of a quote waiting for the customer's yes or no."""
ANSWERS = {"yes": True, "no": False}
"""Suffix of an answer call's id → whether the customer approved."""
NO_QUOTE = (
    "There is no quote to answer for this call: the customer was never asked. Nothing was "
    "changed; call the tool again to quote it."
)


@dataclass(frozen=True)
class Quote:
    """What a write will do: a summary with the exact amounts, and the facts re-checked later."""

    summary: str
    details: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Canonical JSON of the details (tuples and lists compare equal)."""
        return json.dumps(self.details, sort_keys=True)


QuoteFn = Callable[[], "Quote | str"]
ExecuteFn = Callable[[StoreWriter, Quote], str]


def answer_call_id(call_id: str, approved: bool) -> str:
    """The id of the call that carries the customer's answer to the quote of ``call_id``."""
    return f"{call_id}:{'yes' if approved else 'no'}"


def parse_answer_id(call_id: str) -> tuple[str, bool] | None:
    """``(quoted call id, approved)`` for an answer call's id, ``None`` for a model's call."""
    quoted, _, suffix = call_id.rpartition(":")
    if not quoted or suffix not in ANSWERS:
        return None
    return quoted, ANSWERS[suffix]


def awaiting(session: Session, shown: Confirmation) -> ToolMessage:
    """The tool message of a quote: what will happen, and that nothing happened yet."""
    return ToolMessage(
        content=(
            f"Quoted, not done: waiting for the customer's yes or no. {shown.summary} "
            "Nothing was changed yet."
        ),
        name=session.tool,
        tool_call_id=session.tool_call_id or "",
        artifact={
            "kind": AWAITING_KIND,
            "tool": session.tool,
            "call_id": session.tool_call_id,
            "summary": shown.summary,
            "details": shown.details,
        },
    )


def confirmed_write(session: Session, quote: QuoteFn, execute: ExecuteFn) -> str | ToolMessage:
    """Quote a write (the model's call), or act on the customer's answer (an answer call).

    1. a tool-call id that already ran returns its stored result;
    2. a model's call: ``quote()`` says what will happen (a ``str`` is a refusal), it is
       stored, and an awaiting tool message is returned — nothing runs;
    3. an answer call (``X:yes`` / ``X:no``) reads the quote stored for ``X``: a no records
       the decline; a yes re-runs ``quote()`` and, if nothing differs from what was shown,
       executes and records the call in the same transaction.
    """
    if not session.tool_call_id:
        return MISSING_CALL_ID
    call_id, store = session.tool_call_id, session.store
    done = store.tool_run(call_id)
    if done is not None:
        return done.result
    answer = parse_answer_id(call_id)
    if answer is None:
        first = quote()
        if isinstance(first, str):
            return first
        shown = store.save_confirmation(
            call_id, session.tool, session.customer_id, first.summary, first.details
        )
        return awaiting(session, shown)
    quoted, approved = answer
    asked = store.confirmation(quoted)
    if asked is None:
        return NO_QUOTE
    other = store.tool_run(answer_call_id(quoted, not approved))
    if other is not None:  # the quote was already answered the other way
        return other.result
    if not approved:
        return _finish(
            session,
            f"Declined: the customer did not confirm ({asked.summary}). Nothing was changed.",
        )
    return _execute(session, asked, quote, execute)


def _execute(session: Session, shown: Confirmation, quote: QuoteFn, execute: ExecuteFn) -> str:
    """Run a confirmed write if its terms still hold (re-quoted now), recording it once."""
    current = quote()
    confirmed = Quote(shown.summary, shown.details)
    if isinstance(current, str):
        return _finish(session, f"Aborted after confirmation: {current} Nothing was changed.")
    if current.fingerprint() != confirmed.fingerprint():
        return _finish(
            session,
            f"Aborted: the terms changed after the customer confirmed. Confirmed: "
            f"{shown.summary} Now: {current.summary} Nothing was changed; ask the customer to "
            "confirm the new terms.",
        )
    call_id = session.tool_call_id or ""
    try:
        return session.store.run_write(
            call_id, session.tool, session.customer_id, lambda w: execute(w, current)
        )
    except WriteConflict:
        return _finish(
            session,
            f"Aborted: the account changed while this was being done ({shown.summary}). "
            "Nothing was changed; check the current state and try again.",
        )


def _finish(session: Session, message: str) -> str:
    """Record a write that ended without executing, so a replay returns the same answer."""
    call_id = session.tool_call_id or ""
    return session.store.record_outcome(call_id, session.tool, session.customer_id, message)
