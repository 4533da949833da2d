"""The support graph as shipped, or with the guard nodes wired the way docs/security.md proposes."""

from __future__ import annotations

import dataclasses
from typing import Any

from langgraph.graph import END, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode

from agents.guards.budget import over_budget, stop_tool_loop
from agents.guards.nodes import guard_output, route_after_screen, screen_input
from agents.guards.tool_results import guard_tool_call

WIRINGS = ("current", "proposed")
AGENTS = ("billing", "plan_change", "tech_support", "general")


def guards_wired(builder: StateGraph[Any, Any, Any, Any]) -> bool:
    """True when the graph already has the guard nodes (the lead's wiring landed)."""
    return "screen_input" in builder.nodes and "guard_output" in builder.nodes


def _after_guard(state: Any) -> str:
    """``guard_input`` → ``screen_input`` for accepted messages, else the end of the turn."""
    from agents.turn import route_after_guard

    return "screen_input" if route_after_guard(state) != END else END


def _after_agent(state: Any) -> str:
    """The agent's router: the end of the step goes through ``guard_output``, and tool calls
    beyond the turn's budget to ``stop_tool_loop``."""
    from agents.turn import route_after_agent

    target = str(route_after_agent(state))
    if target.endswith("_tools"):
        return "stop_tool_loop" if over_budget(state) else target
    return "guard_output"


def _guarded_tool_node(builder: StateGraph[Any, Any, Any, Any], name: str) -> None:
    """Re-create a tools node's ToolNode with the tool-result screen."""
    spec = builder.nodes[name]
    old = spec.runnable
    if not isinstance(old, ToolNode):
        return
    node = ToolNode(
        list(old.tools_by_name.values()), handle_tool_errors=True, wrap_tool_call=guard_tool_call
    )
    builder.nodes[name] = dataclasses.replace(spec, runnable=node)


def add_guards(builder: StateGraph[Any, Any, Any, Any]) -> StateGraph[Any, Any, Any, Any]:
    """Wire ``screen_input``, ``guard_output`` and the tool-result screen into ``builder``."""
    if guards_wired(builder):
        return builder
    after_reply = "remember" if "remember" in builder.nodes else "summarize"
    builder.add_node("screen_input", screen_input)
    builder.add_node("guard_output", guard_output)
    builder.add_node("stop_tool_loop", stop_tool_loop)
    builder.branches.pop("guard_input", None)
    builder.add_conditional_edges("guard_input", _after_guard, ["screen_input", END])
    builder.add_conditional_edges(
        "screen_input", route_after_screen, ["classify_intent", after_reply]
    )
    for agent in AGENTS:
        if agent not in builder.nodes:
            continue
        builder.branches.pop(agent, None)
        builder.add_conditional_edges(
            agent, _after_agent, [f"{agent}_tools", "guard_output", "stop_tool_loop"]
        )
        _guarded_tool_node(builder, f"{agent}_tools")
    if ("reply_directly", after_reply) in builder.edges:
        builder.edges.discard(("reply_directly", after_reply))
        builder.add_edge("reply_directly", "guard_output")
    builder.add_edge("stop_tool_loop", "guard_output")
    builder.add_edge("guard_output", after_reply)
    return builder


def compile_support(wiring: str, checkpointer: Any) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The real support graph (``current``) or with the proposed guard wiring (``proposed``)."""
    from graphs.support import build

    if wiring not in WIRINGS:
        raise ValueError(f"unknown wiring {wiring!r}; use one of {', '.join(WIRINGS)}")
    builder = build()
    if wiring == "proposed":
        builder = add_guards(builder)
    return builder.compile(checkpointer=checkpointer, name="support")
