"""General agent: greetings, thanks, goodbyes, polite redirects for off-topic requests, handoff."""

from __future__ import annotations

from agents.shared_tools import shared_tools, shared_write_tools
from agents.spec import AgentSpec


def general_agent() -> AgentSpec:
    """The general agent: the roster's fallback (no task of its own; identity and handoff)."""
    return AgentSpec(
        name="general",
        prompt="general",
        tools=shared_tools(knowledge_base=False),
        write_tools=shared_write_tools(),
        intents=frozenset({"out_of_scope"}),
    )
