"""Billing agent: bills and their line items, overdue status, payment requests and payments."""

from __future__ import annotations

from agents.shared_tools import shared_tools, shared_write_tools
from agents.spec import AgentSpec
from tools import billing


def billing_agent() -> AgentSpec:
    """The billing agent's prompt, tools, intents and digression policy."""
    return AgentSpec(
        name="billing",
        prompt="billing",
        tools=(*billing.READ_TOOLS, *billing.WRITE_TOOLS, *shared_tools()),
        write_tools=frozenset(t.name for t in billing.WRITE_TOOLS) | shared_write_tools(),
        intents=frozenset({"billing"}),
        task="billing question",
        topic_slots=("bill",),
        digression="ask_first",
    )
