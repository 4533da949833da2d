"""Conversation phases: a pure function of previous phase, stack and turn events."""

from __future__ import annotations

from conversation.phases import TurnEvents, asks_anything_else, derive_phase
from conversation.stack import Frame, new_frame


def _frame(step: str = "gathering", pending: bool = False) -> Frame:
    frame = new_frame("billing", "bill", 1)
    frame["step"] = step
    frame["pending_action"] = {"summary": "x"} if pending else None
    return frame


def test_start_is_greeting() -> None:
    assert derive_phase(None, [], TurnEvents(act="greeting")) == "greeting"


def test_open_task_phases() -> None:
    assert derive_phase("greeting", [_frame()], TurnEvents()) == "gathering"
    assert derive_phase("gathering", [_frame()], TurnEvents(needs_identity=True)) == "identifying"
    assert derive_phase("gathering", [_frame()], TurnEvents(acting=True)) == "resolving"
    assert derive_phase("resolving", [_frame(pending=True)], TurnEvents()) == "confirming"


def test_resolved_task_closes_and_asks_anything_else() -> None:
    phase = derive_phase("resolving", [], TurnEvents(resolved=True))
    assert phase == "closing"
    assert asks_anything_else("resolving", phase)
    assert not asks_anything_else("closing", phase)


def test_handed_off_is_terminal() -> None:
    assert derive_phase("gathering", [_frame()], TurnEvents(handed_off=True)) == "handed_off"
    assert derive_phase("handed_off", [_frame()], TurnEvents(act="greeting")) == "handed_off"
