"""Message-window structure: tool-call units, orphans, and safe user-turn boundaries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage


@dataclass
class Unit:
    """Messages that must stay together: one message, or an AI tool call with its results."""

    messages: list[BaseMessage] = field(default_factory=list)

    @property
    def starts_turn(self) -> bool:
        """True when the unit is a user message (a turn boundary)."""
        return isinstance(self.messages[0], HumanMessage)

    @property
    def complete(self) -> bool:
        """False for an AI tool call some of whose results are missing."""
        head = self.messages[0]
        if not isinstance(head, AIMessage) or not head.tool_calls:
            return True
        answered = {m.tool_call_id for m in self.messages[1:] if isinstance(m, ToolMessage)}
        return all(call.get("id") in answered for call in head.tool_calls)


@dataclass
class Grouped:
    """A window split into units, plus what could not be placed in one."""

    units: list[Unit]
    orphans: list[ToolMessage]
    """Tool results whose AI tool call is not (immediately) before them."""
    incomplete: list[Unit]
    """AI tool calls whose results are missing (never sent: providers reject them)."""


def group_units(messages: Sequence[BaseMessage]) -> Grouped:
    """Split ``messages`` into units; a tool result joins the AI call right before it."""
    units: list[Unit] = []
    orphans: list[ToolMessage] = []
    open_ids: set[str] = set()
    for message in messages:
        if isinstance(message, ToolMessage):
            if message.tool_call_id in open_ids:
                units[-1].messages.append(message)
                open_ids.discard(message.tool_call_id)
            else:
                orphans.append(message)
            continue
        open_ids = set()
        units.append(Unit([message]))
        if isinstance(message, AIMessage) and message.tool_calls:
            open_ids = {str(call.get("id")) for call in message.tool_calls}
    complete = [unit for unit in units if unit.complete]
    incomplete = [unit for unit in units if not unit.complete]
    return Grouped(complete, orphans, incomplete)


def flatten(units: Sequence[Unit]) -> list[BaseMessage]:
    """The messages of ``units`` in order."""
    return [message for unit in units for message in unit.messages]


def pending_tool_call_ids(messages: Sequence[BaseMessage]) -> set[str]:
    """Ids of tool calls in ``messages`` that have no result in ``messages``."""
    pending: set[str] = set()
    for message in messages:
        if isinstance(message, AIMessage):
            pending |= {str(call.get("id")) for call in message.tool_calls}
        elif isinstance(message, ToolMessage):
            pending.discard(message.tool_call_id)
    return pending


def turn_boundaries(messages: Sequence[BaseMessage]) -> list[int]:
    """Indexes of user messages where a cut separates no tool call from its result.

    A call that never got a result does not block a cut (nothing after it belongs to it).
    """
    issued: dict[str, int] = {}
    spans: list[tuple[int, int]] = []
    for index, message in enumerate(messages):
        if isinstance(message, AIMessage):
            issued.update({str(call.get("id")): index for call in message.tool_calls})
        elif isinstance(message, ToolMessage) and message.tool_call_id in issued:
            spans.append((issued[message.tool_call_id], index))
    return [
        index
        for index, message in enumerate(messages)
        if isinstance(message, HumanMessage)
        and all(not (start < index <= end) for start, end in spans)
    ]


def last_user_index(messages: Sequence[BaseMessage]) -> int | None:
    """Index of the latest user message, if any."""
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], HumanMessage):
            return index
    return None


def splits_tool_pair(messages: Sequence[BaseMessage]) -> bool:
    """True when a tool result has no AI call before it, or a tool call has no result after it."""
    seen: set[str] = set()
    for message in messages:
        if isinstance(message, AIMessage):
            seen |= {str(call.get("id")) for call in message.tool_calls}
        elif isinstance(message, ToolMessage) and message.tool_call_id not in seen:
            return True
    return bool(pending_tool_call_ids(messages))
