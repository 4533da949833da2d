"""Context ledger: per turn, what the model was shown, what was cut or folded, and why."""

from __future__ import annotations

from typing import TypedDict

LEDGER_KEEP = 10
"""How many turns of ledger the state keeps: enough for Studio, small enough that the
checkpoint stays bounded (every checkpoint carries the whole ledger)."""


class LedgerEntry(TypedDict, total=False):
    """What one turn's model calls saw and what the engine decided."""

    turn: int
    """User turn number (1-based)."""
    sections: dict[str, int]
    """Tokens per prompt section (system, facts, summary, passages, window) of the last call."""
    total_tokens: int
    """Prompt tokens of the last model call of the turn."""
    budget: int
    """The configured prompt budget."""
    cut: list[str]
    """What was cut from the prompt and why (``window: dropped 4 oldest messages``)."""
    folded: int
    """Messages folded into the running summary this turn."""
    stack_depth: int
    """Dialog-stack depth after the turn."""
    intent: str
    """Intent decided for the turn."""
    act: str
    """Dialogue act decided for the turn."""
    classifier_path: str
    """Which path decided the intent: ``local``, ``llm``, ``rule``, ``carry`` or ``identity`` (a
    message of identity details only, not classified)."""
    agent: str
    """Agent that answered."""
    model_calls: int
    """Model calls made during the turn."""
    prefix_reused_tokens: int
    """Prompt tokens shared with the previous call's prompt (cache reuse)."""
    guard: dict[str, str]
    """Guardrail verdicts (``input``, ``output``) for the turn."""
    events: list[str]
    """Notable events: stack push/pop, phase change, fallback, handoff."""


APPENDED_FIELDS = ("events", "cut")
"""List fields that accumulate over a turn's updates instead of being replaced."""


def merge_entry(old: LedgerEntry, new: LedgerEntry) -> LedgerEntry:
    """One turn's entry updated by a later node: lists in ``APPENDED_FIELDS`` accumulate."""
    merged: LedgerEntry = {**old, **new}
    for name in APPENDED_FIELDS:
        if name in old and name in new:
            merged[name] = [*old[name], *new[name]]  # type: ignore[literal-required]
    return merged


def append_ledger(
    left: list[LedgerEntry] | None, right: list[LedgerEntry] | LedgerEntry | None
) -> list[LedgerEntry]:
    """Reducer: append entries; an entry for an existing turn is merged into it; keep the newest."""
    entries = list(left or [])
    new = [right] if isinstance(right, dict) else list(right or [])
    for entry in new:
        if entries and entries[-1].get("turn") == entry.get("turn"):
            entries[-1] = merge_entry(entries[-1], entry)
        else:
            entries.append(entry)
    return entries[-LEDGER_KEEP:]
