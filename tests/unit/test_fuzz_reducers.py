"""Property-based fuzzing of the state reducers: no exception escapes, stored state stays valid."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, RemoveMessage, ToolMessage
from langgraph.graph.message import add_messages

from conversation.facts import Fact, FactSheet, merge_facts
from conversation.ledger import (
    APPENDED_FIELDS,
    LEDGER_KEEP,
    LedgerEntry,
    append_ledger,
    merge_entry,
)

FUZZ = settings(max_examples=200, deadline=None)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
SLOTS = st.sampled_from(["name", "phone", "line", "plan", "device", "issue", "x", ""])

FACTS = st.builds(
    lambda value, turn, verified, source: Fact(
        value=value, turn=turn, verified=verified, source=source
    ),
    value=TEXT,
    turn=st.integers(0, 10_000),
    verified=st.booleans(),
    source=st.sampled_from(["user", "tool", "context"]),
)
SHEETS = st.dictionaries(SLOTS, FACTS, max_size=6)


@FUZZ
@given(left=st.none() | SHEETS, updates=st.lists(st.none() | SHEETS, max_size=8))
def test_merge_facts_keeps_a_valid_sheet(
    left: FactSheet | None, updates: list[FactSheet | None]
) -> None:
    sheet = merge_facts(None, left)
    for update in updates:
        sheet = merge_facts(sheet, update)
        assert all(fact["value"] != "" for fact in sheet.values())
        for slot, fact in (update or {}).items():
            if fact["value"]:
                assert sheet[slot] == fact
            else:
                assert slot not in sheet


ENTRIES = st.builds(
    lambda turn, tokens, events, guard: LedgerEntry(
        turn=turn, total_tokens=tokens, events=events, guard=guard
    ),
    turn=st.integers(0, 60),
    tokens=st.integers(0, 10_000),
    events=st.lists(TEXT, max_size=3),
    guard=st.dictionaries(st.sampled_from(["input", "output"]), TEXT, max_size=2),
)


@FUZZ
@given(updates=st.lists(st.none() | ENTRIES | st.lists(ENTRIES, max_size=4), max_size=80))
def test_append_ledger_stays_bounded_and_merges_same_turn(updates: list[Any]) -> None:
    ledger: list[LedgerEntry] = []
    for update in updates:
        before = ledger[-1] if ledger else None
        ledger = append_ledger(ledger, update)
        assert len(ledger) <= LEDGER_KEEP
        assert all(isinstance(entry, dict) for entry in ledger)
        if isinstance(update, dict) and before is not None and before.get("turn") == update["turn"]:
            entry: Any = update
            newest: Any = ledger[-1]
            earlier: Any = before
            assert newest == merge_entry(earlier, entry)
            for name in APPENDED_FIELDS:  # list fields accumulate over the turn's updates
                if name in earlier and name in entry:
                    assert newest[name] == [*earlier[name], *entry[name]]
        if isinstance(update, dict):
            assert ledger[-1]["turn"] == update["turn"]


IDS = st.sampled_from([f"m{i}" for i in range(12)]) | st.none()


def _message(kind: str, text: str, message_id: str | None) -> AnyMessage:
    if kind == "human":
        return HumanMessage(content=text, id=message_id)
    if kind == "tool":
        return ToolMessage(content=text, tool_call_id="call", id=message_id)
    return AIMessage(content=text, id=message_id)


MESSAGES = st.builds(_message, st.sampled_from(["human", "ai", "tool"]), TEXT, IDS)


@FUZZ
@given(batches=st.lists(st.lists(MESSAGES, max_size=5), max_size=10), removals=st.data())
def test_add_messages_keeps_unique_ids_and_honours_removals(
    batches: list[list[AnyMessage]], removals: st.DataObject
) -> None:
    window: Any = []
    for batch in batches:
        existing = [m.id for m in window if m.id]
        doomed = (
            removals.draw(st.lists(st.sampled_from(existing), max_size=2, unique=True))
            if existing
            else []
        )
        update: Any = [*batch, *(RemoveMessage(id=i) for i in doomed)]
        window = add_messages(window, update)
        ids = [m.id for m in window]
        assert all(ids), "every stored message gets an id"
        assert len(ids) == len(set(ids)), "ids stay unique"
        assert not any(isinstance(m, RemoveMessage) for m in window)
        for removed in doomed:
            if all(m.id != removed for m in batch):
                assert removed not in ids
