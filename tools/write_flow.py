"""The one path every write tool takes: run once, quote, confirm, re-check, execute."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tools.auth import Session
from tools.confirm import confirm
from tools.store import StoreWriter, WriteConflict

MISSING_CALL_ID = (
    "This write tool must be called as a model tool call (it has no tool_call_id), so it "
    "cannot guarantee running once; nothing was changed."
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


def confirmed_write(session: Session, quote: QuoteFn, execute: ExecuteFn) -> str:
    """Run a write at most once per tool-call id, only after an explicit yes.

    1. a tool-call id that already ran returns its stored result (no new interrupt);
    2. ``quote()`` says what will happen (a ``str`` is a refusal: nothing to confirm) and
       is stored, so a resumed run asks about exactly what was shown;
    3. the customer confirms it (LangGraph interrupt);
    4. ``quote()`` runs again: if anything differs from what was confirmed, abort;
    5. ``execute`` runs and the call is recorded in the same transaction.
    """
    if not session.tool_call_id:
        return MISSING_CALL_ID
    call_id, store = session.tool_call_id, session.store
    done = store.tool_run(call_id)
    if done is not None:
        return done.result
    shown = store.confirmation(call_id)  # set when this is the resume of an asked question
    if shown is None:
        first = quote()
        if isinstance(first, str):
            return first
        shown = store.save_confirmation(
            call_id, session.tool, session.customer_id, first.summary, first.details
        )
    if not confirm(shown.summary, shown.details, tool=session.tool):
        return _finish(
            session,
            f"Declined: the customer did not confirm ({shown.summary}). Nothing was changed.",
        )
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
    try:
        return store.run_write(
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
