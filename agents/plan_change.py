"""Plan-change agent: compare and price plans, switch plan, refuel data, toggle roaming."""

from __future__ import annotations

from agents.shared_tools import shared_tools, shared_write_tools
from agents.spec import AgentSpec
from tools import plans


def plan_change_agent() -> AgentSpec:
    """The plan-change agent's prompt, tools, intents and digression policy."""
    return AgentSpec(
        name="plan_change",
        prompt="plan_change",
        tools=(*plans.READ_TOOLS, *plans.WRITE_TOOLS, *shared_tools()),
        write_tools=frozenset(t.name for t in plans.WRITE_TOOLS) | shared_write_tools(),
        intents=frozenset({"plan_change"}),
        task="plan change",
        topic_slots=("requested_plan", "line"),
        digression="allow",
    )
