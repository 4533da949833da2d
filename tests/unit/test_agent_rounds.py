"""An agent answers after its tool rounds for one user message are used up."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agents.base import TOOL_ROUNDS_BEFORE_ANSWER, bound_model, tool_rounds
from agents.billing import billing_agent
from agents.context import Context


def _round(agent: str, n: int) -> list[Any]:
    call = {"name": "list_bills", "args": {}, "id": f"c{n}", "type": "tool_call"}
    return [
        AIMessage(content="", tool_calls=[call], name=agent),
        ToolMessage(content="Bills ...", tool_call_id=f"c{n}", name="list_bills"),
    ]


def test_rounds_count_only_this_agent_since_the_newest_user_message() -> None:
    old = [HumanMessage(content="hi"), *_round("billing", 1)]
    new = [HumanMessage(content="my bill?"), *_round("tech_support", 2), *_round("billing", 3)]
    assert tool_rounds({"messages": [*old, *new]}, "billing") == 1  # type: ignore[typeddict-item]


def test_the_model_may_only_answer_once_the_rounds_are_used() -> None:
    spec, context = billing_agent(), Context(customer_id="C1001", model="scripted")
    fresh: dict[str, Any] = {"messages": [HumanMessage(content="my bill?")]}
    busy: dict[str, Any] = {"messages": [*fresh["messages"]]}
    for n in range(TOOL_ROUNDS_BEFORE_ANSWER):
        busy["messages"] += _round("billing", n)
    free = bound_model(spec, fresh, context)._runnables[0]  # type: ignore[arg-type]
    answer_only = bound_model(spec, busy, context)._runnables[0]  # type: ignore[arg-type]
    assert free.tool_choice is None and free.tools
    assert answer_only.tool_choice == "none"
