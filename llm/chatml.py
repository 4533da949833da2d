"""Render LangChain messages as a ChatML prompt whose prefix stays stable between calls."""

from __future__ import annotations

import json
from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
RAW_KEY = "llamacpp_raw"
"""``additional_kwargs`` key holding the exact text the local model decoded for a message."""


def render_chatml(
    messages: Sequence[BaseMessage], instructions: str = "", *, replay_raw: bool = False
) -> str:
    """Render messages as ChatML, ending with an open assistant turn.

    ``instructions`` (the decoding contract: tools or an output schema) goes at the very start of
    the first system block, so it belongs to the stable prefix; callers keep volatile content
    (fact sheet, summary, window) in later messages. With ``replay_raw``, assistant messages the
    local model produced are rendered exactly as decoded, so the KV cache also covers them.
    """
    parts: list[str] = []
    pending = instructions.strip()
    for message in messages:
        role, text = _role_and_text(message, replay_raw)
        if pending and role == "system":
            text = f"{pending}\n\n{text}" if text else pending
            pending = ""
        elif pending:
            parts.append(_block("system", pending))
            pending = ""
        parts.append(_block(role, text))
    if pending:
        parts.append(_block("system", pending))
    parts.append(f"{IM_START}assistant\n")
    return "".join(parts)


def render_tool_call(name: str, args: dict[str, object]) -> str:
    """The JSON line an assistant turn uses for one tool call (same shape the grammar emits)."""
    return json.dumps({"tool": name, "args": args}, ensure_ascii=False)


AFTER_TOOL_RESULT = (
    "If this result answers the customer, answer now (respond). Call another tool only when "
    "the answer still needs it; never start a payment or change the customer did not ask for."
)
"""Follows every tool result (the same text each time, so the prompt prefix stays stable):
small models otherwise keep calling tools instead of answering."""


def _block(role: str, text: str) -> str:
    """One ChatML block."""
    return f"{IM_START}{role}\n{text}{IM_END}\n"


def _role_and_text(message: BaseMessage, replay_raw: bool) -> tuple[str, str]:
    """Map a message to a ChatML role and its text, deterministically."""
    if isinstance(message, SystemMessage):
        return "system", str(message.text)
    if isinstance(message, AIMessage):
        raw = message.additional_kwargs.get(RAW_KEY)
        return "assistant", raw if replay_raw and isinstance(raw, str) else _assistant_text(message)
    if isinstance(message, ToolMessage):
        name = message.name or "tool"
        body = f'<tool_response name="{name}">\n{message.text!s}\n</tool_response>'
        return "user", f"{body}\n{AFTER_TOOL_RESULT}"
    return "user", str(message.text)


def _assistant_text(message: AIMessage) -> str:
    """Assistant text, with each tool call rendered as the JSON object the model produced."""
    lines: list[str] = [str(message.text)] if message.text else []
    lines.extend(render_tool_call(call["name"], call["args"]) for call in message.tool_calls)
    return "\n".join(lines)
