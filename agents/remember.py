"""End of a task step: update the dialog stack, take up queued requests, derive the phase."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langgraph.config import get_config
from langgraph.runtime import Runtime
from langgraph.types import Command

from agents.confirm_step import awaiting_quote, step_since_user
from agents.context import Context
from agents.dialog import ANYTHING_ELSE, mark_step, topic
from agents.roster import Roster
from agents.slots import UNCHANGED_MARKER, WRITE_FACTS
from agents.state import QueuedTask, SupportState
from conversation.facts import FactSheet, set_fact
from conversation.phases import TurnEvents, asks_anything_else, derive_phase
from conversation.replay import is_replayed, replayed_request
from conversation.stack import Frame, go_ahead_question, new_frame, pop, push, resume_line, top
from conversation.transcript import open_transcript
from tools.auth import NOT_VERIFIED_MESSAGE

log = logging.getLogger(__name__)

Node = Callable[..., Any]


def settle_frame(
    stack: list[Frame], agent: str, results: list[ToolMessage], writes: frozenset[str]
) -> tuple[list[Frame], bool, list[str]]:
    """Move the acting agent's frame on: a finished write ends it; a read answers it, which
    also ends it when it was a digression (an older task waits underneath to be resumed). A
    write that only quoted leaves the frame waiting for the customer's yes or no."""
    current = top(stack)
    if current is None or current["agent"] != agent or current["pending_action"] is not None:
        return stack, False, []
    if any(r.name in writes and awaiting_quote(r) is None for r in results):
        rest, _ = pop(stack)
        return rest, True, [f"pop {agent} (done)"]
    if results and len(stack) > 1:
        rest, _ = pop(stack)
        return rest, True, [f"pop {agent} (digression answered)"]
    if results:
        return mark_step(stack, "resolving"), False, []
    return stack, False, []


def take_up(
    queued: list[QueuedTask], stack: list[Frame], turn: int, roster: Roster
) -> tuple[str | None, dict[str, Any], list[str]]:
    """Start the next queued request when nothing unfinished is on top of the stack.

    A deferred message is said again (it becomes the newest message and is classified
    afresh); another part of a multi-intent message goes straight to its agent. A request the
    customer is being asked about waits for their answer.
    """
    current = top(stack)
    if not queued or (current is not None and current["step"] not in ("resolving", "done")):
        return None, {}, []
    task, rest = queued[0], queued[1:]
    if task["kind"] in ("asked", "identity"):
        return None, {}, []
    spec = roster.for_intent(task["intent"])
    if task["kind"] == "deferred" or spec is None:
        update = {"queued_tasks": rest, "messages": [replayed_request(task["text"])]}
        return "classify_intent", update, ["take up deferred message"]
    if current is not None:
        stack, _ = pop(stack)
    frame = new_frame(spec.name, roster.task_label(spec.name), turn)
    update = {"queued_tasks": rest, "stack": push(stack, frame), "agent": spec.name}
    return spec.name, update, [f"take up queued {spec.name}"]


def write_facts(step: Sequence[BaseMessage], facts: FactSheet, turn: int) -> FactSheet:
    """Verified facts from the writes that succeeded in this step (the plan a line moved to)."""
    results = {m.tool_call_id: m for m in step if isinstance(m, ToolMessage)}
    update: FactSheet = {}
    for message in step:
        if not isinstance(message, AIMessage):
            continue
        for call in message.tool_calls:
            result = results.get(call.get("id") or "")
            target = WRITE_FACTS.get(call["name"])
            if target is None or result is None or result.status == "error":
                continue
            if UNCHANGED_MARKER in str(result.content):
                continue
            slot, argument = target
            value = str(call["args"].get(argument, ""))
            if value:
                update.update(
                    set_fact({**facts, **update}, slot, value, turn, verified=True, source="tool")
                )
    return update


def log_transcript(messages: list[BaseMessage], turn: int, agent: str) -> None:
    """Append the window to the thread's transcript (idempotent per message id)."""
    thread = (get_config().get("configurable") or {}).get("thread_id")
    if not thread:
        return
    try:
        said = [m for m in messages if not is_replayed(m)]  # the customer's words once
        open_transcript().append(str(thread), said, turn=turn, agent=agent)
    except Exception as error:
        log.warning("transcript append failed for thread %s: %s", thread, error)


def make_remember(roster: Roster) -> Node:
    """The node that closes a step: settle the frame, resume or take up what waits, phase."""

    def remember(state: SupportState, runtime: Runtime[Context]) -> Command[str]:
        turn = state.get("turn", 0)
        agent = state.get("agent") or roster.fallback.name
        messages = list(state.get("messages", []))
        step = step_since_user(messages)
        results = [m for m in step if isinstance(m, ToolMessage)]
        stack = list(state.get("stack") or [])
        stack, resolved, events = settle_frame(stack, agent, results, roster.write_tools)
        update: dict[str, Any] = {"stack": stack}
        verified = write_facts(step, state.get("facts") or {}, turn)
        if verified:
            update["facts"] = verified
        queued = list(state.get("queued_tasks") or [])
        goto, queued_update, queued_events = take_up(queued, stack, turn, roster)
        events += queued_events
        update.update(queued_update)
        stack = update["stack"]
        replies: list[BaseMessage] = []
        below = top(stack)
        if resolved and goto is None and below is not None and below["step"] != "done":
            replies.append(
                AIMessage(content=resume_line(below, topic(below, roster)), name=below["agent"])
            )
            events.append(f"resume {below['agent']}")
        elif goto is None and reasks(below, queued, step):
            assert below is not None
            replies.append(
                AIMessage(content=go_ahead_question(topic(below, roster)), name=below["agent"])
            )
            events.append(f"re-ask confirmation of {below['agent']}")
        handed_off = any(r.name == "transfer_to_human" and r.status != "error" for r in results)
        events_for_phase = TurnEvents(
            act=state.get("act", ""),
            handed_off=handed_off,
            needs_identity=any(NOT_VERIFIED_MESSAGE in str(r.content) for r in results)
            or any(task["kind"] == "identity" for task in queued),
            resolved=resolved,
            acting=bool(results),
        )
        previous = state.get("phase")
        phase = derive_phase(previous, stack, events_for_phase)
        if goto is None and asks_anything_else(previous, phase) and not _ends_with_question(step):
            replies.append(AIMessage(content=ANYTHING_ELSE, name=agent))
        if phase != previous:
            events.append(f"phase {previous or 'start'} → {phase}")
        if replies:
            update["messages"] = [*update.get("messages", []), *replies]
        update["phase"] = phase
        update["ledger"] = {"turn": turn, "stack_depth": len(stack), "events": events}
        log_transcript([*messages, *replies], turn, agent)
        return Command(goto=goto or "summarize", update=update)

    return remember


def remember_destinations(roster: Roster) -> tuple[str, ...]:
    """Every node ``remember`` may hand the turn to."""
    return ("classify_intent", *roster.names, "summarize")


def reasks(frame: Frame | None, queued: list[QueuedTask], step: list[BaseMessage]) -> bool:
    """Whether the step ends without asking about the top frame's pending change (after a
    digression answered without a frame of its own, or a question about the change)."""
    if frame is None or frame["pending_action"] is None:
        return False
    if queued and queued[0]["kind"] == "asked":
        return False
    replies = [m for m in step if isinstance(m, AIMessage) and m.content]
    return not _ends_with_question(step) or (bool(replies) and replies[-1].name == "guard")


def _ends_with_question(step: list[BaseMessage]) -> bool:
    """Whether the step's last reply already asks the customer something."""
    texts = [str(m.content).strip() for m in step if isinstance(m, AIMessage) and m.content]
    return bool(texts) and texts[-1].endswith("?")
