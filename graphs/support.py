"""Support graph: guards → classify → agent ⇄ tools → confirm → guard → remember → summarize."""

from __future__ import annotations

from collections.abc import Sequence

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode

from agents.base import make_agent_node
from agents.confirm_step import await_answer, make_ask_confirmation, make_route_after_tools
from agents.context import Context
from agents.guards.budget import stop_tool_loop
from agents.guards.nodes import make_guard_output, route_after_screen, screen_input
from agents.guards.tool_results import guard_tool_call
from agents.identify import identified_destinations, make_identified
from agents.memory import summarize
from agents.remember import make_remember, remember_destinations
from agents.report import make_report_results
from agents.roster import Roster, support_roster
from agents.spec import AgentSpec
from agents.state import SupportState
from agents.turn import (
    classify_destinations,
    guard_input,
    make_classify_intent,
    reply_directly,
    route_after_agent,
)


def build(
    agents: Sequence[AgentSpec] | None = None,
) -> StateGraph[SupportState, Context, SupportState, SupportState]:
    """The uncompiled support graph (``agents`` replaces the roster's sub-agents)."""
    roster: Roster = support_roster(agents)
    builder = StateGraph(SupportState, context_schema=Context)
    builder.add_node("guard_input", guard_input)
    builder.add_node("screen_input", screen_input)
    builder.add_node(
        "classify_intent", make_classify_intent(roster), destinations=classify_destinations(roster)
    )
    builder.add_node("reply_directly", reply_directly)
    builder.add_node("ask_confirmation", make_ask_confirmation(roster))
    builder.add_node("report_results", make_report_results(roster))
    builder.add_node(
        "identified", make_identified(roster), destinations=identified_destinations(roster)
    )
    builder.add_node("stop_tool_loop", stop_tool_loop)
    builder.add_node("guard_output", make_guard_output(roster))
    builder.add_node("remember", make_remember(roster), destinations=remember_destinations(roster))
    builder.add_node("summarize", summarize)
    builder.add_node("await_answer", await_answer)
    builder.add_edge(START, "guard_input")
    builder.add_conditional_edges("screen_input", route_after_screen)
    for spec in roster:
        builder.add_node(spec.name, make_agent_node(spec))
        tools = ToolNode(list(spec.tools), handle_tool_errors=True, wrap_tool_call=guard_tool_call)
        builder.add_node(spec.tools_node, tools)
        builder.add_conditional_edges(
            spec.name, route_after_agent, [spec.tools_node, "stop_tool_loop", "guard_output"]
        )
        builder.add_conditional_edges(
            spec.tools_node,
            make_route_after_tools(spec),
            [spec.name, "ask_confirmation", "identified", "report_results"],
        )
    builder.add_edge("reply_directly", "guard_output")
    builder.add_edge("ask_confirmation", "remember")
    builder.add_edge("report_results", "guard_output")
    builder.add_edge("stop_tool_loop", "guard_output")
    builder.add_edge("guard_output", "remember")
    builder.add_edge("summarize", "await_answer")
    return builder


def compile_graph(
    checkpointer: BaseCheckpointSaver | None = None,
    agents: Sequence[AgentSpec] | None = None,
) -> CompiledStateGraph[SupportState, Context, SupportState, SupportState]:
    """The support graph compiled with ``checkpointer`` (``None`` for LangGraph Server)."""
    return build(agents).compile(checkpointer=checkpointer, name="support")


graph = compile_graph()
