"""Typed state of the support graph: the engine's conversation state plus support fields."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from conversation.state import ConversationState


class QueuedTask(TypedDict):
    """A request waiting for the current task to finish."""

    text: str
    """What the customer asked."""
    intent: str
    """Its intent, when known (``""`` = classify it when it is taken up)."""
    kind: Literal["split", "deferred", "asked", "identity"]
    """``split``: another request of a multi-intent message (taken up without repeating it);
    ``deferred``: a message that arrived while a task waited for the customer (repeated as
    the newest message when it is taken up); ``asked``: such a message, while the customer is
    asked whether to take it up now (the front of the queue only); ``identity``: a request
    that needs the account, kept until the customer is verified."""


class HeldCall(TypedDict):
    """A tool call the engine held back to ask the customer for one argument it needs."""

    tool: str
    """The tool to call once the value is known."""
    args: dict[str, Any]
    """The arguments the call already has."""
    slot: str
    """The argument the customer was asked for."""
    agent: str
    """The agent whose call it is."""


class SupportState(ConversationState, total=False):
    """State of one support conversation (one thread)."""

    intent: str
    """Intent decided for the current turn (a label of the triage classifier)."""
    act: str
    """Dialogue act of the current user message (greeting, yes, cancel, correction, ...)."""
    agent: str
    """Agent handling the current turn (a name from the graph's roster)."""
    verified_customer_id: str | None
    """Customer verified by the lookup flow (unauthenticated sessions only); set by a tool."""
    pending_input: str | None
    """The user's message when every model failed on it, kept so nothing is lost."""
    queued_tasks: list[QueuedTask]
    """Requests waiting for the current task to end, taken up in order (replaced whole)."""
    direct_reply: str | None
    """A reply decided without a model call this turn (cancel, hand-off notice), if any."""
    held_call: HeldCall | None
    """The call waiting for the value the last reply asked for; the next message completes
    it when it gives that value (set by the agent or the results report, cleared each turn)."""
    guard: dict[str, Any]
    """Input-guard verdict for the current turn (``ok``, ``reason``)."""
    model_calls: int
    """Model calls made in the current turn."""
