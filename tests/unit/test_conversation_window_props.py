"""Property tests over random histories: tool-call pairs are never split, budgets hold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from conversation.assembly import BudgetError, Budgets, assemble
from conversation.summary import plan_fold
from conversation.tokens import ApproxCounter
from conversation.window import splits_tool_pair

COUNTER = ApproxCounter()
WORDS = st.lists(
    st.sampled_from(["alpha", "bill", "router", "42", "confirm", "ok", "international"]),
    min_size=1,
    max_size=40,
).map(" ".join)


@st.composite
def histories(draw: st.DrawFn) -> list[BaseMessage]:
    """Turns of: user message, 0-3 tool rounds (1-3 calls each), a reply; ids unique."""
    messages: list[BaseMessage] = []
    turns = draw(st.integers(min_value=1, max_value=12))
    for t in range(turns):
        messages.append(HumanMessage(draw(WORDS), id=f"h{t}"))
        for r in range(draw(st.integers(min_value=0, max_value=3))):
            ids = [f"c{t}-{r}-{k}" for k in range(draw(st.integers(min_value=1, max_value=3)))]
            messages.append(
                AIMessage(
                    draw(st.sampled_from(["", "checking"])),
                    id=f"a{t}-{r}",
                    tool_calls=[{"id": i, "name": "tool", "args": {"q": draw(WORDS)}} for i in ids],
                )
            )
            for i in draw(st.permutations(ids)):
                messages.append(ToolMessage(draw(WORDS), tool_call_id=i, id=f"t{i}"))
        if draw(st.booleans()) or t == turns - 1:
            messages.append(AIMessage(draw(WORDS), id=f"r{t}"))
    return messages


@settings(max_examples=150, deadline=None)
@given(
    history=histories(),
    start=st.integers(min_value=0, max_value=40),
    total=st.integers(min_value=60, max_value=1500),
    window_budget=st.integers(min_value=30, max_value=800),
)
def test_assembled_window_never_splits_a_pair_and_total_fits(
    history: list[BaseMessage], start: int, total: int, window_budget: int
) -> None:
    window = history[start:]  # may start with orphan tool results
    try:
        result = assemble(
            system="You are a support assistant.",
            window=window,
            counter=COUNTER,
            budgets=Budgets(total=total, window=window_budget, facts=50, summary=80, passages=80),
            summary="Pending actions:\n- confirm the plan switch",
            passages=["reference text " * 10],
        )
    except BudgetError:
        return
    sent = result.messages[1:]
    assert result.total <= total
    assert result.sections["window"] <= total - result.sections["system"]
    assert not splits_tool_pair(sent)
    assert not sent or not isinstance(sent[0], ToolMessage)


@settings(max_examples=150, deadline=None)
@given(history=histories(), window_budget=st.integers(min_value=20, max_value=600))
def test_fold_never_splits_a_pair_and_brings_the_window_within_its_budget(
    history: list[BaseMessage], window_budget: int
) -> None:
    plan = plan_fold(history, window_budget, COUNTER)
    assert plan.to_fold + plan.keep == history
    assert not splits_tool_pair(plan.keep)
    assert not splits_tool_pair(plan.to_fold)
    latest_turn = max(i for i, m in enumerate(history) if isinstance(m, HumanMessage))
    if COUNTER.count_messages(history[latest_turn:]) <= window_budget:
        assert COUNTER.count_messages(plan.keep) <= window_budget
    if plan.to_fold:
        assert isinstance(plan.keep[0], HumanMessage)
        assert [r.id for r in plan.removals] == [m.id for m in plan.to_fold]
