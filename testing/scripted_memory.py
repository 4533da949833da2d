"""What the scripted model reads from its prompt besides the newest message."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage

FACTS_HEADER = "Known facts"
"""How the fact sheet section of a system prompt starts."""
_FACT_LINE = re.compile(r"^- (?P<slot>[a-z_]+): (?P<value>.+?) \(turn \d+[^)]*\)\s*$", re.M)
_METHOD = re.compile(r"\b(?P<id>PM\d{3,}-\d+)\s*\((?P<label>[^)]*)\)")
_WORD = re.compile(r"[a-z]{3,}|\d{4}")
_FILLER = frozenset({"ending", "the", "and", "with", "card", "account"})
"""Label words too common to tell payment methods apart on their own."""


@dataclass(frozen=True)
class PastCall:
    """A tool call the model made earlier in the conversation (still in its window)."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Memory:
    """The conversation so far, as the prompt shows it."""

    calls: tuple[PastCall, ...] = ()
    """Earlier tool calls, oldest first."""
    results: tuple[str, ...] = ()
    """Earlier tool results, oldest first."""
    facts: tuple[tuple[str, str], ...] = ()
    """Fact-sheet entries (slot, value) from the system prompt."""

    def fact(self, slot: str) -> str | None:
        """The fact sheet's value for ``slot``, if it has one."""
        return next((value for name, value in self.facts if name == slot), None)


def read_memory(messages: Sequence[BaseMessage]) -> Memory:
    """Earlier tool calls and results in the window, and the fact sheet of the system prompt."""
    calls: list[PastCall] = []
    results: list[str] = []
    facts: list[tuple[str, str]] = []
    for message in messages:
        if isinstance(message, AIMessage):
            calls.extend(PastCall(c["name"], dict(c["args"])) for c in message.tool_calls)
        elif isinstance(message, ToolMessage):
            results.append(str(message.content))
        elif isinstance(message, SystemMessage):
            facts.extend(_facts_of(str(message.content)))
    return Memory(tuple(calls), tuple(results), tuple(facts))


def _facts_of(system_text: str) -> list[tuple[str, str]]:
    """The ``- slot: value (turn N, ...)`` lines that follow the fact-sheet header."""
    start = system_text.find(FACTS_HEADER)
    if start < 0:
        return []
    return [(m["slot"], m["value"]) for m in _FACT_LINE.finditer(system_text, start)]


def payment_method_named(text: str, results: Sequence[str]) -> str | None:
    """The payment-method id whose label (as an earlier tool result gave it) ``text`` names.

    ``"pay with the bank debit"`` after a result listing ``PM1010-2 (bank debit ... ending
    6547)`` gives ``PM1010-2``; ``None`` when no label matches or two match equally well.
    """
    said = set(_WORD.findall(text.lower())) - _FILLER
    scores: dict[str, int] = {}
    for result in results:
        for match in _METHOD.finditer(result):
            label_words = set(_WORD.findall(match["label"].lower())) - _FILLER
            scores[match["id"].upper()] = len(said & label_words)
    if not scores:
        return None
    best = max(scores.values())
    winners = [method for method, score in scores.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None
