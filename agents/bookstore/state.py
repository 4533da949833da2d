"""State of one bookstore conversation: the engine's conversation state plus a turn counter."""

from __future__ import annotations

from conversation.state import ConversationState

NAME_SLOT = "name"
"""Fact-sheet slot: what the customer wants to be called."""
BOOK_SLOT = "last_book"
"""Fact-sheet slot: the book last talked about, as ``<id>: <title> by <author>``."""
FACT_PRIORITY = (NAME_SLOT, BOOK_SLOT)
"""Fact order in the prompt (most important first)."""


class BookstoreState(ConversationState, total=False):
    """What the bookstore graph keeps per thread (checkpointed)."""

    model_calls: int
    """Model calls made in the current turn (bounds the tool loop)."""
    agent: str
    """Agent that answered the turn (always ``bookstore``; the CLI shows it)."""
    refused: bool
    """True when the turn's input was refused (empty, too long, binary)."""
