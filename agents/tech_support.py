"""Tech-support agent: line status, guided diagnostics, resuming lines, support tickets."""

from __future__ import annotations

from agents.shared_tools import shared_tools, shared_write_tools
from agents.spec import AgentSpec
from tools import tech_support


def tech_support_agent() -> AgentSpec:
    """The tech-support agent's prompt, tools, intents and digression policy."""
    return AgentSpec(
        name="tech_support",
        prompt="tech_support",
        tools=(*tech_support.READ_TOOLS, *tech_support.WRITE_TOOLS, *shared_tools()),
        write_tools=frozenset(t.name for t in tech_support.WRITE_TOOLS) | shared_write_tools(),
        intents=frozenset({"tech_support"}),
        task="technical problem",
        topic_slots=("issue", "line", "device"),
        digression="defer",
    )
