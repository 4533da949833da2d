"""Handoff tool: transfer the conversation to a human agent with a case summary."""

from __future__ import annotations

from typing import Any

from langchain.tools import ToolRuntime, tool
from langchain_core.tools import BaseTool

from tools.auth import NotVerified, resolve_customer, store_for
from tools.store import StoreWriter
from tools.write_flow import MISSING_CALL_ID

MAX_SUMMARY_CHARS = 2000


@tool(parse_docstring=True)
def transfer_to_human(summary: str, *, runtime: ToolRuntime[Any, Any]) -> str:
    """Hand the conversation to a human agent. Use when the request cannot be handled here.

    Args:
        summary: Concise case summary: who the customer is, what they want, what was tried,
            and what is still pending.
    """
    text = " ".join(summary.split())
    if not text:
        return "Write a short case summary (who, what was tried, what is pending) first."
    if len(text) > MAX_SUMMARY_CHARS:
        text = text[: MAX_SUMMARY_CHARS - 1] + "…"
    if not runtime.tool_call_id:
        return MISSING_CALL_ID
    try:
        customer_id: str | None = resolve_customer(runtime)
    except NotVerified:
        customer_id = None
    store = store_for(runtime)
    created = store.today().isoformat()

    def record(w: StoreWriter) -> str:
        handoff_id = w.record_handoff(customer_id, text, created)
        return (
            f"Transferred to a human agent: case {handoff_id} opened on {created}. A person will "
            f"take over this conversation. Case summary: {text}"
        )

    return store.run_write(runtime.tool_call_id, "transfer_to_human", customer_id, record)


READ_TOOLS: list[BaseTool] = []
WRITE_TOOLS: list[BaseTool] = [transfer_to_human]
TOOLS: list[BaseTool] = [*READ_TOOLS, *WRITE_TOOLS]
