"""Conversation phases, derived from state and the turn's events by one pure function."""

from __future__ import annotations

from dataclasses import dataclass

from conversation.stack import Frame
from conversation.state import Phase

CLOSING_ACTS = frozenset({"thanks", "goodbye"})
"""Dialogue acts that move a conversation with no open task to ``closing``."""


@dataclass(frozen=True)
class TurnEvents:
    """What happened in one turn, as far as the phase is concerned."""

    act: str = ""
    """Dialogue act of the user message (``greeting``, ``yes``, ``cancel``, ``thanks``, ...)."""
    handed_off: bool = False
    """The conversation was handed to a human this turn."""
    needs_identity: bool = False
    """The open task needs a verified identity that the conversation does not have yet."""
    resolved: bool = False
    """A task was completed this turn (its frame popped as done)."""
    acting: bool = False
    """The agent is carrying out the task this turn (tools running, answer being given)."""


def derive_phase(previous: Phase | None, stack: list[Frame], events: TurnEvents) -> Phase:
    """The phase after a turn. Transitions, first rule that applies wins:

    1. ``handed_off`` is terminal: once handed off, stays handed off.
    2. A hand-off event → ``handed_off``.
    3. An open frame with a pending confirmation → ``confirming``.
    4. An open frame whose task needs an identity not yet verified → ``identifying``.
    5. An open frame in step ``resolving``, or the agent acting on it → ``resolving``.
    6. Any other open frame → ``gathering``.
    7. No open frame: a task just resolved, thanks/goodbye, or already ``closing`` /
       ``resolving`` → ``closing`` (the bot asks whether anything else is needed).
    8. Otherwise (nothing asked yet, or small talk) → ``greeting``.
    """
    if previous == "handed_off" or events.handed_off:
        return "handed_off"
    current = stack[-1] if stack else None
    if current is not None and current["step"] != "done":
        if current["pending_action"] is not None or current["step"] == "confirming":
            return "confirming"
        if events.needs_identity:
            return "identifying"
        if current["step"] == "resolving" or events.acting:
            return "resolving"
        return "gathering"
    if events.resolved or events.act in CLOSING_ACTS or previous in ("closing", "resolving"):
        return "closing"
    return "greeting"


def asks_anything_else(previous: Phase | None, phase: Phase) -> bool:
    """Whether the reply should end with "anything else?": on entering ``closing``."""
    return phase == "closing" and previous != "closing"
