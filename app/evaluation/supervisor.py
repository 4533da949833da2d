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
from langgraph.types import Command, interrupt
from pydantic import BaseModel, Field, create_model

from agents.confirm_step import answer_call_message, awaiting_quote, call_args, resume_text
from agents.context import Context
from agents.models import chat_model
from agents.prompting import policy_text
from agents.roster import Roster, support_roster
from tools.confirm import is_yes

FINISH = "FINISH"
MAX_HANDOFFS = 3
"""Specialists the supervisor may call in one turn (a guard against routing loops)."""


def route_schema(roster: Roster) -> type[BaseModel]:
    """The supervisor's structured decision: one of the roster's intents, or FINISH."""
    options = (*sorted({i for spec in roster for i in spec.intents}), FINISH)
    field = Field(description="The specialist for the newest request, or FINISH when answered.")
    route = Literal[options]  # type: ignore[valid-type]
    return create_model("Route", next=(route, field))


class SupervisorState(MessagesState, total=False):
    """State of the baseline graph."""

    turn: int
    intent: str
    agent: str
    handoffs: int
    verified_customer_id: str | None


def supervisor_prompt(roster: Roster) -> str:
    """The supervisor's instructions, naming each specialist of ``roster``."""
    specialists = ", ".join(
        f"{spec.name} ({spec.task or 'small talk, off-topic, identity checks, hand-off'})"
        for spec in roster
    )
    return (
        f"You are the supervisor of a telco support team. Specialists: {specialists}. Read the "
        "conversation and choose who handles the customer's newest request. If a specialist "
        f"has already answered the newest request, answer {FINISH}."
    )


def start_turn(state: SupervisorState) -> dict[str, Any]:
    """Count the turn and reset the per-turn handoff counter."""
    return {"turn": state.get("turn", 0) + 1, "handoffs": 0}


def make_supervisor(roster: Roster) -> Any:
    """The supervisor node: one model call decides which specialist is next, or finish."""
    prompt = supervisor_prompt(roster)
    schema = route_schema(roster)

    def supervisor(state: SupervisorState, runtime: Runtime[Context]) -> dict[str, Any]:
        context = runtime.context or Context()
        messages: list[BaseMessage] = [SystemMessage(content=prompt), *state["messages"]]
        decision = chat_model(context.model).with_structured_output(schema).invoke(messages)
        route = str(schema.model_validate(decision).next)  # type: ignore[attr-defined]
        last = state["messages"][-1] if state["messages"] else None
        answered = isinstance(last, AIMessage) and not last.tool_calls
        spec = roster.for_intent(route) or (roster.spec(route) if route in roster.names else None)
        if route == FINISH or spec is None or (answered and spec.name == state.get("agent")):
            return {"agent": "__finish__" if answered else roster.fallback.name}
        if state.get("handoffs", 0) >= MAX_HANDOFFS:
            return {"agent": "__finish__"}
        return {"agent": spec.name, "intent": route, "handoffs": state.get("handoffs", 0) + 1}

    return supervisor


def route_from_supervisor(state: SupervisorState) -> str:
    """The chosen specialist, or the end of the turn."""
    agent = str(state.get("agent"))
    return END if agent == "__finish__" else agent


def make_specialist(name: str, prompt: str, tools: list[Any]) -> Any:
    """A specialist node: its policy plus the whole history, with its tools bound."""

    def specialist(state: SupervisorState, runtime: Runtime[Context]) -> dict[str, Any]:
        context = runtime.context or Context()
        messages = [SystemMessage(content=policy_text(prompt)), *state["messages"]]
        reply = chat_model(context.model).bind_tools(tools).invoke(messages)
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
        return f"{state.get('agent')}_tools"
    return "supervisor"


def after_tools(state: SupervisorState) -> str:
    """A write that quoted goes to the confirmation pause; other results back to the agent."""
    last = state["messages"][-1]
    return "confirm_write" if awaiting_quote(last) is not None else str(state.get("agent"))


def confirm_write(state: SupervisorState) -> Command[str]:
    """The usual LangGraph human-in-the-loop step: pause with the quote, then run the write's
    answer call with the customer's yes or no (anything but a clear yes declines)."""
    messages = state["messages"]
    quote = next(q for m in reversed(messages) if (q := awaiting_quote(m)) is not None)
    value = interrupt({"kind": "confirm", **{k: quote[k] for k in ("tool", "summary", "details")}})
    pending = {**quote, "args": call_args(messages, str(quote["call_id"]))}
    agent = str(state.get("agent"))
    message = answer_call_message(pending, is_yes(resume_text(value)), agent)
    return Command(goto=f"{agent}_tools", update={"messages": [message]})


def build_supervisor_graph(checkpointer: Any = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The baseline graph over the support roster's agents, compiled with ``checkpointer``."""
    roster = support_roster()
    builder = StateGraph(SupervisorState, context_schema=Context)
    builder.add_node("start_turn", start_turn)
    builder.add_node("supervisor", make_supervisor(roster))
    builder.add_node("confirm_write", confirm_write, destinations=roster.tools_nodes)
    builder.add_edge(START, "start_turn")
    builder.add_edge("start_turn", "supervisor")
    targets: list[str] = [END]
    for spec in roster:
        builder.add_node(spec.name, make_specialist(spec.name, spec.prompt, list(spec.tools)))
        builder.add_node(spec.tools_node, ToolNode(list(spec.tools), handle_tool_errors=True))
        builder.add_conditional_edges(spec.name, after_specialist, [spec.tools_node, "supervisor"])
        builder.add_conditional_edges(spec.tools_node, after_tools, [spec.name, "confirm_write"])
        targets.append(spec.name)
    builder.add_conditional_edges("supervisor", route_from_supervisor, targets)
    return builder.compile(checkpointer=checkpointer, name="supervisor_baseline")
