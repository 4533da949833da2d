"""Verification as a flow: identity details in a message are checked by the engine, not the model.

While nobody is identified, a message that carries a phone number, or a full name with a date
of birth, makes the engine call the identity tool itself. A request that needs an account and
comes before any identity is answered with the identity question, and kept: once the customer
is verified, it is taken up again without being asked twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolCall, ToolMessage
from langgraph.types import Command

from agents.roster import Roster
from agents.spec import AgentSpec
from agents.state import QueuedTask, SupportState
from conversation.identity import IdentityDetails, without_identity
from conversation.replay import replayed_request

Node = Callable[..., Any]
IDENTITY_TOOL = "verify_customer"
"""The tool that verifies a customer (arguments: phone_number, full_name, date_of_birth)."""
CALL_PREFIX = "identify_"
"""Id prefix of the engine's identity calls (model call ids are ``call_<hex>``)."""
ASK_IDENTITY = (
    "I can help with that. First I need to confirm it's you: what is the phone number on your "
    "account? Or tell me your full name and date of birth."
)
VERIFIED = "Thank you, {name} — you're verified."
NOT_MATCHED = (
    "I couldn't match those details to an account. Please check them, or give me the phone "
    "number on your account."
)
_VERIFIED_NAME = re.compile(r"Verified: customer \S+ \((?P<name>[^)]*)\)")


def last_human(messages: list[Any]) -> str:
    """The newest human message's text."""
    return next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "")


def identified(state: Mapping[str, Any], customer_id: str | None) -> bool:
    """Whether the conversation knows who the customer is (signed in or verified)."""
    return bool(customer_id or state.get("verified_customer_id"))


def has_identity_tool(spec: AgentSpec) -> bool:
    """Whether ``spec`` can verify customers (external rosters may not)."""
    return any(tool.name == IDENTITY_TOOL for tool in spec.tools)


def _written(dates: tuple[date, ...]) -> str:
    """One date as ISO; two readings as the day-first slash form the tool reads both ways."""
    if len(dates) == 1:
        return dates[0].isoformat()
    first = dates[0]
    return f"{first.day:02d}/{first.month:02d}/{first.year}"


def verification_call(details: IdentityDetails, turn: int, agent: str) -> AIMessage:
    """The engine's call of the identity tool with the details the message gave."""
    args: dict[str, Any] = {}
    if details.phone:
        digits = re.sub(r"\D", "", details.phone)
        args["phone_number"] = ("+" if details.phone.strip().startswith("+") else "") + digits
    if details.full_name and details.birth_dates:
        args["full_name"] = details.full_name
        args["date_of_birth"] = _written(details.birth_dates)
    call = ToolCall(name=IDENTITY_TOOL, args=args, id=f"{CALL_PREFIX}{turn}", type="tool_call")
    return AIMessage(content="", tool_calls=[call], name=agent)


def identity_task(text: str, intent: str, queued: list[QueuedTask]) -> list[QueuedTask]:
    """The queue with ``text`` kept until the customer is verified (one such request)."""
    kept = [task for task in queued if task["kind"] != "identity"]
    return [QueuedTask(text=text, intent=intent, kind="identity"), *kept]


def is_identity_result(message: Any) -> bool:
    """Whether ``message`` is the result of the engine's identity call."""
    return isinstance(message, ToolMessage) and message.tool_call_id.startswith(CALL_PREFIX)


def make_identified(roster: Roster) -> Node:
    """The node after the engine's identity call: take up what waited, or say what failed."""

    def identified_step(state: SupportState) -> Command[str]:
        messages = list(state.get("messages") or [])
        result = next(m for m in reversed(messages) if is_identity_result(m))
        turn = state.get("turn", 0)
        agent = roster.spec(state.get("agent"))
        if not state.get("verified_customer_id"):
            reply = AIMessage(content=NOT_MATCHED, name=agent.name)
            failed = {"turn": turn, "events": ["identity: not matched"]}
            return Command(goto="remember", update={"messages": [reply], "ledger": failed})
        match = _VERIFIED_NAME.search(str(result.content))
        thanks = VERIFIED.format(name=(match["name"] if match else "") or "and welcome")
        queued = list(state.get("queued_tasks") or [])
        waiting = next((t for t in queued if t["kind"] == "identity"), None)
        ledger: dict[str, Any] = {"turn": turn, "events": ["identity: verified"]}
        if waiting is not None:
            rest = [t for t in queued if t is not waiting]
            update = {
                "messages": [
                    AIMessage(content=thanks, name=agent.name),
                    replayed_request(waiting["text"]),
                ],
                "queued_tasks": rest,
                "ledger": {"turn": turn, "events": ["identity: verified", "take up the request"]},
            }
            return Command(goto="classify_intent", update=update)
        request = without_identity(str(last_human(messages)))
        if agent.task and request:  # the same message asked for something: answer it now
            update = {
                "messages": [AIMessage(content=thanks, name=agent.name), replayed_request(request)],
                "ledger": ledger,
            }
            return Command(goto=agent.name, update=update)
        reply = AIMessage(content=f"{thanks} How can I help you today?", name=agent.name)
        return Command(goto="remember", update={"messages": [reply], "ledger": ledger})

    return identified_step


def identified_destinations(roster: Roster) -> tuple[str, ...]:
    """Every node the identity step may hand the turn to."""
    return ("remember", "classify_intent", *roster.names)
