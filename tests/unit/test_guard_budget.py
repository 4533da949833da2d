"""Tool-loop guard: over budget, every pending call is answered and the step ends."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agents.guards.budget import (
    MAX_MODEL_CALLS,
    NOT_RUN,
    TOOL_LOOP_REPLY,
    over_budget,
    stop_tool_loop,
)


def test_budget_counts_model_calls_of_the_turn() -> None:
    assert not over_budget({})
    assert not over_budget({"model_calls": MAX_MODEL_CALLS - 1})
    assert over_budget({"model_calls": MAX_MODEL_CALLS})
    assert over_budget({"model_calls": 3}, limit=3)


def test_pending_calls_get_tool_messages_and_a_reply() -> None:
    calls = [
        {"name": "list_bills", "args": {}, "id": "c1", "type": "tool_call"},
        {"name": "line_status", "args": {}, "id": "c2", "type": "tool_call"},
    ]
    state = {
        "turn": 2,
        "model_calls": MAX_MODEL_CALLS,
        "messages": [
            HumanMessage(content="again", id="h"),
            AIMessage(content="", tool_calls=calls, id="a"),
        ],
        "ledger": [{"turn": 2, "guard": {"input": "ok"}}],
    }
    update = stop_tool_loop(state)
    answered = [m for m in update["messages"] if isinstance(m, ToolMessage)]
    assert [m.tool_call_id for m in answered] == ["c1", "c2"]
    assert all(m.content == NOT_RUN for m in answered)
    final = update["messages"][-1]
    assert (
        isinstance(final, AIMessage) and final.content == TOOL_LOOP_REPLY and not final.tool_calls
    )
    assert update["ledger"]["guard"] == {"input": "ok", "loop": "stopped"}
    assert update["ledger"]["events"] == ["tool_loop_stopped"]
