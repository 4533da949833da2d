"""Domain-free conversation state: messages, turn counter, summary, facts, stack, phase, ledger."""

from __future__ import annotations

from typing import Annotated, Final, Literal, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

from conversation.facts import FactSheet, merge_facts
from conversation.ledger import LedgerEntry, append_ledger
from conversation.stack import Frame

Phase = Literal[
    "greeting", "identifying", "gathering", "confirming", "resolving", "closing", "handed_off"
]
"""Where the conversation stands; derived from state and events after every turn."""


TURN_DURABILITY: Final = "exit"
"""LangGraph durability for running one turn: persist when the turn ends (or is interrupted,
or fails), not after every step. A turn is the unit of work: the state between its steps is
never resumed from, write tools are idempotent per tool-call id, and an interrupt or an
exception still persists the checkpoint with the user's message. With ``async`` every
superstep writes the whole state again, several times per turn."""


class ConversationState(TypedDict, total=False):
    """What every Switchboard graph keeps per thread (checkpointed)."""

    messages: Annotated[list[AnyMessage], add_messages]
    """The recent window; folded messages are removed (they live on in the transcript store)."""
    turn: int
    """Number of user turns received so far (the current turn's number while it runs)."""
    summary: str
    """Running summary of the folded turns: commitments, pending actions, unresolved issues."""
    facts: Annotated[FactSheet, merge_facts]
    """Fact sheet: slot → value with turn, provenance and verification; corrections win."""
    stack: list[Frame]
    """Dialog stack of open tasks, innermost last (replaced whole by the node that changes it)."""
    phase: Phase
    """Conversation phase, derived after each turn."""
    ledger: Annotated[list[LedgerEntry], append_ledger]
    """Context ledger, one entry per recent turn."""
