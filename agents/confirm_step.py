"""The confirmation step: ask about a quoted write, pause for the answer, act on the answer.

A write tool only quotes (see ``tools.write_flow``). ``ask_confirmation`` turns the quote into
the frame's pending action and a yes/no question written from the quote itself, with no model
call. The turn then ends in ``await_answer``, which pauses the graph (a LangGraph interrupt
whose payload is the quote) so that Studio, ``langgraph_sdk`` clients, the CLI and the HTTP
server can show it. Whatever comes next — ``Command(resume=...)`` with a bool or the
customer's words, or simply a new message on the thread — becomes the next user message and
goes through the whole turn again; ``classify_intent`` decides what it means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolCall, ToolMessage
from langgraph.types import Command, interrupt

from agents.identify import is_identity_result
from agents.report import call_args, speakable
from agents.roster import Roster
from agents.slots import CALL_SLOTS
from agents.spec import AgentSpec
from agents.state import SupportState
from conversation.stack import Frame, new_frame, push, top, update_top
from tools.write_flow import AWAITING_KIND, answer_call_id

Node = Callable[..., Any]
CONFIRM_KIND = "confirm"
"""``kind`` of the interrupt payload that asks for a yes or no."""
_ANSWER_KEYS = (
    "approve",
    "approved",
    "confirmed",
    "answer",
    "response",
    "value",
    "message",
    "text",
)
"""Keys a resume value given as a dict may carry the answer under."""


def awaiting_quote(message: BaseMessage) -> dict[str, Any] | None:
    """The quote a write tool's message waits on (``None`` for any other message)."""
    artifact = getattr(message, "artifact", None) if isinstance(message, ToolMessage) else None
    if isinstance(artifact, Mapping) and artifact.get("kind") == AWAITING_KIND:
        return dict(artifact)
    return None


def step_since_user(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The messages after the newest user message (what this turn produced so far)."""
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], HumanMessage):
            return list(messages[index + 1 :])
    return list(messages)


def make_route_after_tools(spec: AgentSpec) -> Callable[[SupportState], str]:
    """The router after ``spec``'s tools node."""

    def route_after_tools(state: SupportState) -> str:
        """A write that quoted and waits → ``ask_confirmation``; the engine's identity call →
        ``identified``; results the engine can state → ``report_results``; else the agent."""
        return next_after_tools(state, spec.states_results)

    return route_after_tools


def next_after_tools(state: SupportState, states_results: bool) -> str:
    """Where a round of tool results goes (see ``make_route_after_tools``)."""
    messages = state.get("messages") or []
    last_results: list[BaseMessage] = []
    for message in reversed(messages):
        if not isinstance(message, ToolMessage):
            break
        last_results.append(message)
    if any(awaiting_quote(m) is not None for m in last_results):
        return "ask_confirmation"
    if any(is_identity_result(m) for m in last_results):
        return "identified"
    if states_results and speakable([m for m in last_results if isinstance(m, ToolMessage)]):
        return "report_results"
    return str(state.get("agent"))


def confirmation_question(summary: str) -> str:
    """The yes/no question for a quoted change, written from the quote."""
    return f"{summary.strip()} Shall I go ahead (yes or no)?"


def make_ask_confirmation(roster: Roster) -> Node:
    """The node that makes a quoted write the top frame's pending action and asks about it."""

    def ask_confirmation(state: SupportState) -> dict[str, Any]:
        messages = list(state.get("messages") or [])
        quotes = [q for m in step_since_user(messages) if (q := awaiting_quote(m)) is not None]
        quote = quotes[-1]
        agent = roster.spec(state.get("agent")).name
        pending = {
            "tool": quote["tool"],
            "call_id": quote["call_id"],
            "args": call_args(messages, str(quote["call_id"])),
            "summary": quote["summary"],
            "details": quote.get("details") or {},
            "agent": agent,
        }
        stack = owner_on_top(list(state.get("stack") or []), roster, agent, state.get("turn", 0))
        slots = {CALL_SLOTS[k]: str(v) for k, v in pending["args"].items() if k in CALL_SLOTS and v}
        stack = update_top(stack, pending_action=pending, step="confirming", slots=slots)
        return {
            "stack": stack,
            "messages": [AIMessage(content=confirmation_question(pending["summary"]), name=agent)],
            "ledger": {"turn": state.get("turn", 0), "events": [f"ask to confirm {quote['tool']}"]},
        }

    return ask_confirmation


def owner_on_top(stack: list[Frame], roster: Roster, agent: str, turn: int) -> list[Frame]:
    """``stack`` with a frame of ``agent`` on top (pushed when the top belongs to another)."""
    current = top(stack)
    if current is not None and current["agent"] == agent:
        return stack
    return push(stack, new_frame(agent, roster.task_label(agent), turn))


def answer_call_message(pending: Mapping[str, Any], approved: bool, agent: str) -> AIMessage:
    """The engine's call of a write tool that carries the customer's yes or no to its quote."""
    call = ToolCall(
        name=str(pending["tool"]),
        args=dict(pending.get("args") or {}),
        id=answer_call_id(str(pending["call_id"]), approved),
        type="tool_call",
    )
    return AIMessage(content="", tool_calls=[call], name=agent)


def confirmation_request(state: Mapping[str, Any]) -> dict[str, Any] | None:
    """The interrupt payload while the top frame's change waits for a yes or no.

    ``None`` when nothing waits, or while the customer is being asked whether to set the
    change aside (that question is answered in words, not with a yes/no on the change).
    """
    frame = top(list(state.get("stack") or []))
    queued = list(state.get("queued_tasks") or [])
    if frame is None or frame["pending_action"] is None:
        return None
    if queued and queued[0]["kind"] == "asked":
        return None
    pending = frame["pending_action"]
    return {
        "kind": CONFIRM_KIND,
        "tool": pending.get("tool", ""),
        "summary": pending.get("summary", ""),
        "details": pending.get("details") or {},
    }


def resume_text(value: Any) -> str:
    """The customer's message carried by a resume value: a bool is a yes or a no, a string is
    their words, a dict carries either under a usual key (anything else: empty, refused)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for key in _ANSWER_KEYS:
            if key in value:
                return resume_text(value[key])
    return ""


def await_answer(state: SupportState) -> Command[Literal["guard_input", "__end__"]]:
    """End the turn; while a change waits for a yes or no, pause until the customer answers.

    The resume value becomes the customer's next message and runs as a new turn, exactly as
    a message sent on the thread would.
    """
    request = confirmation_request(state)
    if request is None:
        return Command(goto="__end__")
    value = interrupt(request)
    return Command(
        goto="guard_input", update={"messages": [HumanMessage(content=resume_text(value))]}
    )
