"""Typed state of the support graph: the engine's conversation state plus support fields."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from conversation.state import ConversationState

Intent = Literal["billing", "plan_change", "tech_support", "out_of_scope", "none"]
"""Topics the triage step can choose."""

AgentName = Literal["billing", "plan_change", "tech_support", "general"]
"""Agents that can answer a turn (``general`` handles small talk, off-topic and handoff)."""


class QueuedTask(TypedDict):
    """A request waiting for the current task to finish."""

    text: str
    """What the customer asked."""
    intent: str
    """Its intent, when known (``""`` = classify it when it is taken up)."""
    kind: Literal["split", "deferred"]
    """``split``: another request of a multi-intent message (already in the history);
    ``deferred``: a message sent while a confirmation was pending (added to the history
    when it is taken up)."""


class SupportState(ConversationState, total=False):
    """State of one support conversation (one thread)."""

    intent: Intent
    """Intent decided for the current turn."""
    act: str
    """Dialogue act of the current user message (greeting, yes, cancel, correction, ...)."""
    agent: AgentName
    """Agent handling the current turn."""
    verified_customer_id: str | None
    """Customer verified by the lookup flow (unauthenticated sessions only); set by a tool."""
    pending_input: str | None
    """The user's message when every model failed on it, kept so nothing is lost."""
    queued_tasks: list[QueuedTask]
    """Requests waiting for the current task to end, taken up in order (replaced whole)."""
    direct_reply: str | None
    """A reply decided without a model call this turn (cancel, hand-off notice), if any."""
    guard: dict[str, Any]
    """Input-guard verdict for the current turn (``ok``, ``reason``)."""
    model_calls: int
    """Model calls made in the current turn."""


class InputState(ConversationState, total=False):
    """What a caller sends: one or more new messages."""
