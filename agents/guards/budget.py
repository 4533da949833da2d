"""Tool-loop guard: a turn whose model keeps calling tools is stopped after a fixed budget."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage

from agents.guards.nodes import ledger_update

security_log = logging.getLogger("switchboard.security")

MAX_MODEL_CALLS = 8
"""Agent model calls one turn may make before further tool calls are refused."""
NOT_RUN = "Not run: this turn reached its limit of tool calls."
TOOL_LOOP_REPLY = (
    "I've stopped here so I don't go round in circles. Could you tell me in one sentence what "
    "you need, or would you like me to connect you with a colleague?"
)


def over_budget(state: Mapping[str, Any], limit: int = MAX_MODEL_CALLS) -> bool:
    """True when the turn's agent has used up its model calls (``model_calls`` in state)."""
    return int(state.get("model_calls", 0) or 0) >= limit


def stop_tool_loop(state: Mapping[str, Any]) -> dict[str, Any]:
    """Node: answer the pending tool calls with 'not run' and end the step with a short reply.

    Every tool call gets its tool message, so the history stays valid for any provider.
    """
    messages = state.get("messages") or []
    last = messages[-1] if messages else None
    calls = last.tool_calls if isinstance(last, AIMessage) else []
    security_log.warning(
        "tool loop stopped on turn %s after %s model calls",
        state.get("turn", 0),
        state.get("model_calls", 0),
    )
    replies: list[Any] = [
        ToolMessage(content=NOT_RUN, tool_call_id=call["id"] or "", name=call["name"])
        for call in calls
    ]
    replies.append(AIMessage(content=TOOL_LOOP_REPLY, name="guard"))
    return {
        "messages": replies,
        "ledger": ledger_update(state, {"loop": "stopped"}, ["tool_loop_stopped"]),
    }
