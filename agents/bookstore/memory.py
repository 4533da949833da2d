"""What the bookstore bot remembers: the customer's name and the book they asked about.

Both live on the engine's fact sheet (``conversation.facts``) and go through its extractor, so
a correction ("sorry, I meant The Tin Violin") replaces the old value and records it, as for
the support bot. Code decides the book: the title the customer named, checked against the
catalogue — a title we do not carry is remembered as asked — and never a search hit the
customer did not name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, RemoveMessage, ToolMessage

from agents.bookstore.asking import BOOK_ASK, QUOTED, asked_value
from agents.bookstore.state import BOOK_SLOT, NAME_SLOT, BookstoreState
from conversation.facts import FactExtractor, FactSheet, SlotPattern, set_fact
from conversation.window import turn_boundaries
from tools.catalogue import Catalogue, names_title, open_catalogue

KEEP_TURNS = 6
"""User turns kept in the window; older ones are dropped (the fact sheet keeps what matters)."""

_NOT_A_NAME_TEXT = """
back later again now when if please instead here there anytime tomorrow today sometime anything
something looking interested after before about just not so
"""
_NOT_A_NAME = frozenset(_NOT_A_NAME_TEXT.split())


def _name(raw: str) -> str:
    """A first name, capitalized; '' for words that are not names ("call me back")."""
    word = raw.strip(" .,!?'\"")
    if not word or word.lower() in _NOT_A_NAME:
        return ""
    return word[:1].upper() + word[1:]


NAME_PATTERNS = (
    SlotPattern(
        NAME_SLOT,
        re.compile(r"\b(?i:my name is|my name's|call me|name's)\s+(?P<value>[A-Za-z][A-Za-z'-]*)"),
        _name,
    ),
    SlotPattern(
        NAME_SLOT, re.compile(r"\b(?i:i am|i'm|this is)\s+(?P<value>[A-Z][a-z'-]+)\b"), _name
    ),
)
"""How customers give their name: "I'm Alex", "my name is Alex", "call me Sam (instead)"."""

_RENAME_CUES = re.compile(r"\b(?:instead|now|from now on|rather|actually)\b", re.IGNORECASE)


def name_update(facts: FactSheet | None, text: str, turn: int) -> FactSheet:
    """The fact-sheet update for a name in ``text`` ("instead"/"actually" mark a correction)."""
    update: FactSheet = {}
    for item in FactExtractor(NAME_PATTERNS).extract(text, facts):
        correction = item.correction or bool(_RENAME_CUES.search(text))
        update.update(set_fact(facts, item.slot, item.value, turn, correction=correction))
    return update


def book_patterns(catalogue: Catalogue) -> tuple[SlotPattern, ...]:
    """How customers name a book: a quoted title, or a title after "do you have", "how much
    is", "I meant" …; the value is the ``last_book`` value the catalogue check gives."""
    return (
        SlotPattern(BOOK_SLOT, QUOTED, lambda raw: asked_value(catalogue, raw, quoted=True)),
        SlotPattern(BOOK_SLOT, BOOK_ASK, lambda raw: asked_value(catalogue, raw)),
    )


def ask_update(
    facts: FactSheet | None, text: str, turn: int, catalogue: Catalogue | None = None
) -> FactSheet:
    """The fact-sheet update for one customer message: a name they gave and a book they named.

    The book is checked against the catalogue here (``verified``: the catalogue answered,
    either with the book or with "not carried"); a correction cue marks the change.
    """
    update = name_update(facts, text, turn)
    extractor = FactExtractor((*NAME_PATTERNS, *book_patterns(catalogue or open_catalogue())))
    for item in extractor.extract(text, facts):
        if item.slot == BOOK_SLOT:
            update.update(
                set_fact(
                    facts, BOOK_SLOT, item.value, turn, verified=True, correction=item.correction
                )
            )
    return update


def current_turn(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The messages after the newest user message (this turn's calls, results and replies)."""
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], HumanMessage):
            return list(messages[index + 1 :])
    return list(messages)


def focused_book(messages: Sequence[BaseMessage]) -> dict[str, Any] | None:
    """The book this turn's tool results were about (the newest unambiguous one), if any."""
    for message in reversed(current_turn(messages)):
        if isinstance(message, ToolMessage) and isinstance(message.artifact, dict):
            focus = message.artifact.get("focus")
            if isinstance(focus, dict) and focus.get("label"):
                return focus
    return None


def newest_user_text(messages: Sequence[BaseMessage]) -> str:
    """The text of the newest user message ('' when there is none)."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return str(message.content)
    return ""


def book_update(facts: FactSheet | None, messages: Sequence[BaseMessage], turn: int) -> FactSheet:
    """The update that makes this turn's looked-up book the asked book — only when the
    customer's message named it (a search hit they never named does not become "it")."""
    focus = focused_book(messages)
    if focus is None or not names_title(newest_user_text(messages), str(focus.get("title", ""))):
        return {}
    current = (facts or {}).get(BOOK_SLOT)
    if current is not None and current["turn"] == turn:
        return {}
    return set_fact(facts, BOOK_SLOT, str(focus["label"]), turn, verified=True, source="tool")


def prune_window(messages: Sequence[BaseMessage], keep_turns: int = KEEP_TURNS) -> list[Any]:
    """``RemoveMessage``s for everything before the newest ``keep_turns`` user turns."""
    starts = turn_boundaries(messages)
    if len(starts) <= keep_turns:
        return []
    cut = starts[-keep_turns]
    return [RemoveMessage(id=m.id) for m in messages[:cut] if m.id]


def remember(state: BookstoreState) -> dict[str, Any]:
    """End of turn: note the book talked about, drop old turns, record it in the ledger."""
    messages = list(state.get("messages", []))
    turn = state.get("turn", 0)
    facts = book_update(state.get("facts"), messages, turn)
    removals = prune_window(messages)
    events = [f"last_book: {facts[BOOK_SLOT]['value']} (looked up)"] if facts else []
    asked = (state.get("facts") or {}).get(BOOK_SLOT)
    if not facts and asked is not None and asked["turn"] == turn:
        replaced = f" (replaces {asked['corrected_from']!r})" if "corrected_from" in asked else ""
        events.append(f"last_book: {asked['value']} (asked){replaced}")
    name = (state.get("facts") or {}).get(NAME_SLOT)
    if name is not None and name["turn"] == turn:
        replaced = f" (replaces {name['corrected_from']!r})" if "corrected_from" in name else ""
        events.insert(0, f"name: {name['value']}{replaced}")
    if removals:
        events.append(f"window: dropped {len(removals)} messages older than {KEEP_TURNS} turns")
    update: dict[str, Any] = {"ledger": {"turn": turn, "events": events}}
    if facts:
        update["facts"] = facts
    if removals:
        update["messages"] = removals
    return update
