"""Turn entry: guard the input, classify it and choose the agent (the graph's routers live here)."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from langgraph.runtime import Runtime

from agents.base import last_user_text
from agents.context import Context
from agents.dialog import AGENT_FOR_INTENT, plan_turn, with_task_slots
from agents.guards.budget import over_budget
from agents.input_guard import InvalidMessage, check_message
from agents.slots import support_extractor
from agents.state import SupportState
from agents.triage import triage
from conversation.stack import top

AgentNode = Literal["billing", "plan_change", "tech_support", "general"]


def guard_input(state: SupportState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Start the turn: count it, reset per-turn fields, and refuse unusable input."""
    context = runtime.context or Context()
    turn = state.get("turn", 0) + 1
    messages = state.get("messages", [])
    newest = messages[-1] if messages else None
    update: dict[str, Any] = {"turn": turn, "model_calls": 0, "pending_input": None}
    try:
        if not isinstance(newest, HumanMessage):
            raise InvalidMessage("The turn has no user message. Send the customer's message.")
        cleaned = check_message(newest.content, context.max_message_chars)
    except InvalidMessage as problem:
        update["guard"] = {"ok": False, "reason": str(problem)}
        update["ledger"] = {"turn": turn, "guard": {"input": f"refused: {problem}"}}
        update["messages"] = [AIMessage(content=str(problem), name="guard")]
        if isinstance(newest, HumanMessage):
            update["messages"].insert(0, RemoveMessage(id=newest.id or ""))
        return update
    if cleaned != newest.content:
        update["messages"] = [HumanMessage(content=cleaned, id=newest.id)]
    update["guard"] = {"ok": True, "reason": ""}
    update["ledger"] = {"turn": turn, "guard": {"input": "ok"}}
    return update


def route_after_guard(state: SupportState) -> Literal["screen_input", "__end__"]:
    """Refused input ends the turn; anything else is screened for hostile content."""
    return "screen_input" if state.get("guard", {}).get("ok") else "__end__"


def classify_intent(state: SupportState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Decide the intent and act, update the fact sheet, and plan the dialog stack."""
    context = runtime.context or Context()
    text = last_user_text(state)
    current = top(state.get("stack") or [])
    verdicts = triage(
        text, context.model, context.classifier_threshold, current["task"] if current else ""
    )
    first = verdicts[0]
    turn = state.get("turn", 0)
    facts = support_extractor().apply(state.get("facts"), text, turn)
    plan = plan_turn(state, verdicts)
    plan.stack = with_task_slots(plan.stack, facts)
    events = list(plan.events)
    events += [f"correction: {slot}" for slot, fact in facts.items() if "corrected_from" in fact]
    return {
        **plan.update(),
        "intent": first.intent,
        "act": first.act,
        "facts": facts,
        "ledger": {
            "turn": turn,
            "intent": first.intent,
            "act": first.act,
            "classifier_path": first.path,
            "agent": plan.agent,
            "events": events,
        },
    }


def route_intent(state: SupportState) -> AgentNode | Literal["reply_directly"]:
    """The agent chosen by ``classify_intent``, or a direct reply decided without a model."""
    if state.get("direct_reply"):
        return "reply_directly"
    agent = state.get("agent", "general")
    return agent if agent in AGENT_FOR_INTENT.values() else "general"


def reply_directly(state: SupportState) -> dict[str, Any]:
    """Say the reply that ``classify_intent`` decided (a cancel, a hand-off notice)."""
    return {
        "messages": [AIMessage(content=state.get("direct_reply") or "", name="general")],
        "direct_reply": None,
    }


ToolsNode = Literal["billing_tools", "plan_change_tools", "tech_support_tools", "general_tools"]


def route_after_agent(
    state: SupportState,
) -> ToolsNode | Literal["guard_output", "stop_tool_loop"]:
    """Run the agent's tools when its reply calls any (within the turn's model-call budget);
    otherwise the reply goes through the output guard."""
    messages = state.get("messages", [])
    last = messages[-1] if messages else None
    if isinstance(last, AIMessage) and last.tool_calls:
        if over_budget(state):
            return "stop_tool_loop"
        agent = state.get("agent", "general")
        return f"{agent}_tools"  # type: ignore[return-value]
    return "guard_output"
