"""Support graph: guards → classify → agent ⇄ tools → guard → remember → summarize (wiring)."""

from __future__ import annotations

from collections.abc import Sequence

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.base import make_agent_node
from agents.billing import billing_agent
from agents.context import Context
from agents.general import general_agent
from agents.guards.budget import stop_tool_loop
from agents.guards.nodes import guard_output, route_after_screen, screen_input
from agents.guards.tool_results import guard_tool_call
from agents.memory import summarize
from agents.plan_change import plan_change_agent
from agents.remember import remember
from agents.spec import AgentSpec
from agents.state import SupportState
from agents.tech_support import tech_support_agent
from agents.tool_node import InlineToolNode
from agents.turn import (
    classify_intent,
    guard_input,
    reply_directly,
    route_after_agent,
    route_after_guard,
    route_intent,
)


def default_agents() -> tuple[AgentSpec, ...]:
    """The four sub-agents of the telco support bot."""
    return (billing_agent(), plan_change_agent(), tech_support_agent(), general_agent())


def build(
    agents: Sequence[AgentSpec] | None = None,
) -> StateGraph[SupportState, Context, SupportState, SupportState]:
    """The uncompiled support graph (``agents`` replaces the sub-agents, same four names)."""
    builder = StateGraph(SupportState, context_schema=Context)
    builder.add_node("guard_input", guard_input)
    builder.add_node("screen_input", screen_input)
    builder.add_node("guard_output", guard_output)
    builder.add_node("stop_tool_loop", stop_tool_loop)
    builder.add_node("classify_intent", classify_intent)
    builder.add_node("reply_directly", reply_directly)
    builder.add_node("remember", remember)
    builder.add_node("summarize", summarize)
    builder.add_edge(START, "guard_input")
    builder.add_conditional_edges("guard_input", route_after_guard)
    builder.add_conditional_edges("screen_input", route_after_screen)
    builder.add_edge("stop_tool_loop", "guard_output")
    builder.add_edge("guard_output", "remember")
    builder.add_conditional_edges("classify_intent", route_intent)
    for spec in agents or default_agents():
        builder.add_node(spec.name, make_agent_node(spec))
        tools = InlineToolNode(
            list(spec.tools), handle_tool_errors=True, wrap_tool_call=guard_tool_call
        )
        builder.add_node(spec.tools_node, tools)
        builder.add_conditional_edges(spec.name, route_after_agent)
        builder.add_edge(spec.tools_node, spec.name)
    builder.add_edge("reply_directly", "guard_output")
    builder.add_edge("summarize", END)
    return builder


def compile_graph(
    checkpointer: BaseCheckpointSaver | None = None,
    agents: Sequence[AgentSpec] | None = None,
) -> CompiledStateGraph[SupportState, Context, SupportState, SupportState]:
    """The support graph compiled with ``checkpointer`` (``None`` for LangGraph Server)."""
    return build(agents).compile(checkpointer=checkpointer, name="support")


graph = compile_graph()
