"""Baseline for the model-calls benchmark: a supervisor graph where an LLM decides every handoff.

Same sub-agents, prompts and tools as the support graph, wired the common "supervisor" way:
each turn the supervisor model picks a specialist; the specialist runs its tool loop over the
whole message history; control returns to the supervisor, whose model decides again whether
another specialist is needed or the turn is finished. No local classifier, no budgeted
context, no summary.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from agents.context import Context

AGENT_FOR_ROUTE = {
    "billing": "billing",
    "plan_change": "plan_change",
    "tech_support": "tech_support",
    "out_of_scope": "general",
}
MAX_HANDOFFS = 3
"""Specialists the supervisor may call in one turn (a guard against routing loops)."""

SUPERVISOR_PROMPT = (
    "You are the supervisor of a telco support team. Specialists: billing (bills, payments), "
    "plan_change (plans, data refuels, roaming), tech_support (line status, diagnostics, "
    "resuming lines, tickets) and out_of_scope (small talk, off-topic, identity checks, "
    "hand-off to a human). Read the conversation and choose who handles the customer's newest "
    "request. If a specialist has already answered the newest request, answer FINISH."
)


class Route(BaseModel):
    """The supervisor's decision."""

    next: Literal["billing", "plan_change", "tech_support", "out_of_scope", "FINISH"] = Field(
        description="The specialist for the newest request, or FINISH when it is answered."
    )


class SupervisorState(MessagesState, total=False):
    """State of the baseline graph."""

    turn: int
    intent: str
    agent: str
    handoffs: int
    verified_customer_id: str | None


def _model(context: Context) -> Any:
    from agents.models import chat_model

    return chat_model(context.model)


def start_turn(state: SupervisorState) -> dict[str, Any]:
    """Count the turn and reset the per-turn handoff counter."""
    return {"turn": state.get("turn", 0) + 1, "handoffs": 0}


def supervisor(state: SupervisorState, runtime: Runtime[Context]) -> dict[str, Any]:
    """One model call: which specialist next, or finish."""
    context = runtime.context or Context()
    messages: list[BaseMessage] = [SystemMessage(content=SUPERVISOR_PROMPT), *state["messages"]]
    decision = _model(context).with_structured_output(Route).invoke(messages)
    route = decision.next if isinstance(decision, Route) else Route.model_validate(decision).next
    last = state["messages"][-1] if state["messages"] else None
    answered = isinstance(last, AIMessage) and not last.tool_calls
    agent = AGENT_FOR_ROUTE.get(route)
    if route == "FINISH" or agent is None or (answered and agent == state.get("agent")):
        return {"agent": "__finish__" if answered else "general"}
    if state.get("handoffs", 0) >= MAX_HANDOFFS:
        return {"agent": "__finish__"}
    return {"agent": agent, "intent": route, "handoffs": state.get("handoffs", 0) + 1}


def route_from_supervisor(state: SupervisorState) -> str:
    """The chosen specialist, or the end of the turn."""
    agent = state.get("agent", "general")
    return END if agent == "__finish__" else agent


def make_specialist(name: str, prompt: str, tools: list[Any]) -> Any:
    """A specialist node: its policy plus the whole history, with its tools bound."""

    def specialist(state: SupervisorState, runtime: Runtime[Context]) -> dict[str, Any]:
        from agents.prompting import policy_text

        context = runtime.context or Context()
        messages = [SystemMessage(content=policy_text(prompt)), *state["messages"]]
        reply = _model(context).bind_tools(tools).invoke(messages)
        if not isinstance(reply, AIMessage):
            reply = AIMessage(content=str(getattr(reply, "content", reply)))
        reply.name = name
        return {"messages": [reply], "agent": name}

    specialist.__name__ = name
    return specialist


def after_specialist(state: SupervisorState) -> str:
    """Run the specialist's tools when it called any; otherwise back to the supervisor."""
    last = state["messages"][-1]
    if isinstance(last, AIMessage) and last.tool_calls:
        return f"{state.get('agent', 'general')}_tools"
    return "supervisor"


def build_supervisor_graph(checkpointer: Any = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The baseline graph, compiled with ``checkpointer``."""
    from agents.billing import billing_agent
    from agents.general import general_agent
    from agents.plan_change import plan_change_agent
    from agents.tech_support import tech_support_agent

    builder = StateGraph(SupervisorState, context_schema=Context)
    builder.add_node("start_turn", start_turn)
    builder.add_node("supervisor", supervisor)
    builder.add_edge(START, "start_turn")
    builder.add_edge("start_turn", "supervisor")
    specs = (billing_agent(), plan_change_agent(), tech_support_agent(), general_agent())
    targets: list[str] = [END]
    for spec in specs:
        builder.add_node(spec.name, make_specialist(spec.name, spec.prompt, list(spec.tools)))
        builder.add_node(spec.tools_node, ToolNode(list(spec.tools), handle_tool_errors=True))
        builder.add_conditional_edges(spec.name, after_specialist, [spec.tools_node, "supervisor"])
        builder.add_edge(spec.tools_node, spec.name)
        targets.append(spec.name)
    builder.add_conditional_edges("supervisor", route_from_supervisor, targets)
    return builder.compile(checkpointer=checkpointer, name="supervisor_baseline")
