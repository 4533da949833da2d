"""Helpers for the adversarial tests."""

from __future__ import annotations

from typing import Any


def final_reply(graph: Any, thread: str) -> str:
    """The reply stored in the thread's state at the end of the last turn."""
    messages = graph.get_state({"configurable": {"thread_id": thread}}).values.get("messages", [])
    for message in reversed(messages):
        if message.type == "ai" and message.content and not getattr(message, "tool_calls", None):
            return str(message.content)
    return ""
