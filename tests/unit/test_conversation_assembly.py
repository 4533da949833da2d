"""Budgeted assembly: layout, stable prefix, per-section caps and the documented cut order."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from conversation.assembly import (
    FACTS_HEADER,
    PASSAGES_HEADER,
    SUMMARY_HEADER,
    BudgetError,
    Budgets,
    assemble,
    truncate_middle,
)
from conversation.facts import FactSheet, merge_facts, set_fact
from conversation.tokens import ApproxCounter

COUNTER = ApproxCounter()
SYSTEM = "You are a helpful support assistant. Be brief."


def _facts() -> FactSheet:
    sheet: FactSheet = {}
    for turn, (slot, value) in enumerate([("name", "Ana"), ("phone", "5550142"), ("note", "x")]):
        sheet = merge_facts(sheet, set_fact(sheet, slot, value, turn + 1))
    return sheet


def _history(turns: int, words: int = 10) -> list[BaseMessage]:
    messages: list[BaseMessage] = []
    for n in range(turns):
        messages.append(HumanMessage(f"user turn {n} " + "word " * words, id=f"h{n}"))
        messages.append(AIMessage(f"reply {n} " + "word " * words, id=f"a{n}"))
    return messages


def test_layout_is_one_system_message_then_the_window() -> None:
    window = _history(2)
    result = assemble(
        system=SYSTEM,
        window=window,
        counter=COUNTER,
        facts=_facts(),
        fact_priority=["phone"],
        summary="Pending actions:\n- confirm the switch",
        passages=["Passage one.", "Passage two."],
    )
    head = result.messages[0]
    assert isinstance(head, SystemMessage)
    text = str(head.content)
    order = [text.index(s) for s in (SYSTEM, FACTS_HEADER, SUMMARY_HEADER, PASSAGES_HEADER)]
    assert order == sorted(order)
    assert text.index("- phone:") < text.index("- name:")
    assert result.messages[1:] == window
    assert set(result.sections) == {"system", "facts", "summary", "passages", "window"}
    assert result.total == COUNTER.count_messages(result.messages) <= result.budget
    assert result.cut == []


def test_consecutive_prompts_share_the_prefix() -> None:
    history = _history(6)
    first = assemble(system=SYSTEM, window=history[:10], counter=COUNTER, facts=_facts())
    second = assemble(system=SYSTEM, window=history, counter=COUNTER, facts=_facts())
    assert first.messages[0] == second.messages[0]
    assert second.messages[: len(first.messages)] == first.messages


def test_facts_may_be_pre_rendered_text() -> None:
    text = f"{FACTS_HEADER}\n- name: Ana (turn 1, unverified)\n- plan: Max (turn 2, verified)"
    room = COUNTER.count("\n".join(text.splitlines()[:2]))
    result = assemble(
        system=SYSTEM, window=_history(1), counter=COUNTER, facts=text, budgets=Budgets(facts=room)
    )
    assert result.cut == [f"facts: dropped plan (over facts budget {room})"]
    assert "- name: Ana" in str(result.messages[0].content)


def test_sections_are_capped_at_their_own_budgets() -> None:
    result = assemble(
        system=SYSTEM,
        window=_history(1),
        counter=COUNTER,
        facts=_facts(),
        fact_priority=["name", "phone"],
        summary="\n".join(f"- item {i} " + "word " * 10 for i in range(40)),
        passages=["alpha " * 100, "beta " * 100, "gamma " * 100],
        budgets=Budgets(total=3000, facts=30, summary=60, passages=130),
    )
    assert result.sections["facts"] <= 30
    assert result.sections["summary"] <= 60
    assert result.sections["passages"] <= 130
    assert "facts: dropped note (over facts budget 30)" in result.cut
    assert any(c.startswith("summary: cut") for c in result.cut)
    assert any(c.startswith("passages: dropped passage 3") for c in result.cut)
    assert "- name: Ana" in str(result.messages[0].content)


def test_cut_order_passages_then_window_then_summary_then_facts() -> None:
    window = _history(30)
    kwargs = dict(
        system=SYSTEM,
        window=window,
        counter=COUNTER,
        facts=_facts(),
        fact_priority=["name", "phone", "note"],
        summary="Pending actions:\n- confirm the plan switch\nContext:\n" + "- chat " * 50,
        passages=["alpha " * 50],
    )
    roomy = assemble(**kwargs, budgets=Budgets(total=5000))  # type: ignore[arg-type]
    assert roomy.cut == []
    need = roomy.total
    # A little over: only the passage goes.
    small = assemble(**kwargs, budgets=Budgets(total=need - 10))  # type: ignore[arg-type]
    assert small.cut == ["passages: dropped passage 1 (over total budget)"]
    # Much tighter: passages, then the oldest window messages; summary and facts stay.
    tighter = assemble(**kwargs, budgets=Budgets(total=need - 400))  # type: ignore[arg-type]
    assert tighter.cut[0].startswith("passages")
    assert tighter.cut[1].startswith("window: dropped")
    assert len(tighter.cut) == 2
    assert isinstance(tighter.messages[1], HumanMessage)
    assert tighter.messages[-1] == window[-1]
    # Only the current turn left to keep: the summary tail goes, then facts by priority.
    tight = assemble(**kwargs, budgets=Budgets(total=90))  # type: ignore[arg-type]
    kinds = [c.split(":")[0] for c in tight.cut]
    assert kinds.index("passages") < kinds.index("window") < kinds.index("summary")
    assert kinds.index("summary") < kinds.index("facts")
    assert tight.cut[kinds.index("facts")] == "facts: dropped note (over total budget)"
    assert tight.total <= 90
    assert str(tight.messages[0].content).startswith(SYSTEM)
    assert tight.messages[-2:] == window[-2:]


def test_system_prompt_and_latest_user_message_are_kept_user_truncated_last() -> None:
    long_user = HumanMessage("start " + "blah " * 400 + " end", id="u")
    result = assemble(system=SYSTEM, window=[long_user], counter=COUNTER, budgets=Budgets(total=80))
    assert result.total <= 80
    text = str(result.messages[-1].content)
    assert text.startswith("start") and text.endswith("end") and "tokens cut" in text
    assert str(result.messages[0].content) == SYSTEM


def test_system_prompt_over_budget_is_an_error() -> None:
    with pytest.raises(BudgetError, match="system prompt alone"):
        assemble(system="word " * 500, window=[], counter=COUNTER, budgets=Budgets(total=100))


def test_orphan_tool_results_and_unanswered_calls_are_left_out() -> None:
    orphan = ToolMessage("stale", tool_call_id="gone", id="t0")
    dangling = AIMessage("", id="a0", tool_calls=[{"id": "c9", "name": "x", "args": {}}])
    window = [orphan, HumanMessage("hi", id="h1"), dangling, AIMessage("hello", id="a1")]
    result = assemble(system=SYSTEM, window=window, counter=COUNTER)
    assert result.messages[1:] == [window[1], window[3]]
    assert len(result.cut) == 2


def test_current_turn_tool_results_are_truncated_not_dropped() -> None:
    call = AIMessage("", id="a1", tool_calls=[{"id": "c1", "name": "search", "args": {"q": "x"}}])
    window = [
        HumanMessage("question", id="h1"),
        call,
        ToolMessage("result " * 600, tool_call_id="c1", id="t1"),
    ]
    result = assemble(system=SYSTEM, window=window, counter=COUNTER, budgets=Budgets(total=300))
    assert result.total <= 300
    assert [type(m) for m in result.messages[1:]] == [HumanMessage, AIMessage, ToolMessage]
    assert "tokens cut" in str(result.messages[-1].content)


def test_truncate_middle_keeps_both_ends() -> None:
    text = "head " + "x " * 300 + "tail"
    short = truncate_middle(text, COUNTER, 40)
    assert COUNTER.count(short) <= 40
    assert short.startswith("head") and short.endswith("tail")
    assert truncate_middle("short", COUNTER, 40) == "short"
