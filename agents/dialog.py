"""Dialog decisions at the start of a turn: which agent, which frame, and what to queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage

from agents.state import QueuedTask, SupportState
from agents.triage import Triage
from conversation.stack import Frame, new_frame, pop, push, resume_line, top, update_top

AGENT_FOR_INTENT = {
    "billing": "billing",
    "plan_change": "plan_change",
    "tech_support": "tech_support",
    "out_of_scope": "general",
}
TASK_LABEL = {
    "billing": "billing question",
    "plan_change": "plan change",
    "tech_support": "technical problem",
}
SMALL_TALK = frozenset({"greeting", "thanks", "goodbye"})
CLOSING = frozenset({"thanks", "goodbye"})
TASK_SLOTS = ("bill", "line", "requested_plan", "issue", "phone_number", "device")
"""Fact-sheet slots that also belong to the open task's frame."""
ANYTHING_ELSE = "Is there anything else I can help you with?"
HANDED_OFF_REPLY = (
    "You're being transferred to a human agent, who will see this message and the whole "
    "conversation. Please hold on — they'll reply here."
)


@dataclass
class TurnPlan:
    """What the start of a turn decided."""

    agent: str
    stack: list[Frame]
    queued: list[QueuedTask]
    direct_reply: str | None = None
    events: list[str] = field(default_factory=list)

    def update(self) -> dict[str, Any]:
        """The state update carrying this plan."""
        return {
            "agent": self.agent,
            "stack": self.stack,
            "queued_tasks": self.queued,
            "direct_reply": self.direct_reply,
        }


def open_task(stack: list[Frame], agent: str, text: str, turn: int) -> tuple[list[Frame], str]:
    """Stack with a frame for ``agent`` on top, and the event describing what happened.

    A frame already on top for the same agent continues. A finished top frame is replaced.
    Anything else is a digression: the new frame is pushed and the open one waits underneath
    with its slots intact, to be resumed when the digression is answered.
    """
    current = top(stack)
    if current is not None and current["agent"] == agent:
        return stack, "continue"
    label = TASK_LABEL.get(agent, agent)
    frame = new_frame(agent, label, turn)
    frame["slots"] = {"request": text[:120]}
    if current is None:
        return push(stack, frame), f"push {agent}"
    if current["step"] == "done":
        rest, _ = pop(stack)
        return push(rest, frame), f"replace {current['agent']} with {agent}"
    return push(stack, frame), f"push {agent} (digression from {current['agent']})"


def cancel(stack: list[Frame]) -> tuple[list[Frame], str]:
    """Pop the current task and say so (resuming the one below, if any)."""
    rest, gone = pop(stack)
    if gone is None:
        return rest, "There's nothing in progress to cancel. What can I help you with?"
    reply = f"Okay, I've cancelled your {gone['task']} — nothing was changed."
    below = top(rest)
    if below is not None:
        reply += " " + resume_line(below)
    return rest, reply


def last_reply(state: SupportState) -> str:
    """The bot's most recent reply text (for "say that again")."""
    for message in reversed(state.get("messages", [])):
        text = str(message.content) if isinstance(message, AIMessage) else ""
        if text and text != ANYTHING_ELSE and not message.tool_calls:  # type: ignore[union-attr]
            return text
    return ""


def plan_turn(state: SupportState, verdicts: list[Triage]) -> TurnPlan:
    """Decide the agent, the stack and the queue for this turn's verdicts."""
    turn = state.get("turn", 0)
    stack = list(state.get("stack") or [])
    queued = list(state.get("queued_tasks") or [])
    first = verdicts[0]
    if state.get("phase") == "handed_off":
        return TurnPlan("general", stack, queued, HANDED_OFF_REPLY, ["handed_off: recorded only"])
    if first.act == "cancel" and first.intent in ("none", "out_of_scope"):
        rest, reply = cancel(stack)
        return TurnPlan("general", rest, queued, reply, ["pop (cancel)"])
    if first.act == "repeat" and first.intent in ("none", "out_of_scope"):
        previous = last_reply(state)
        if previous:
            return TurnPlan(state.get("agent", "general"), stack, queued, previous, ["repeat"])
    if first.act in CLOSING and first.intent in ("none", "out_of_scope"):
        stack = [frame for frame in stack if frame["step"] != "resolving"]
        return TurnPlan("general", stack, queued, None, ["close answered tasks"])
    current = top(stack)
    if first.intent in AGENT_FOR_INTENT and first.intent != "out_of_scope":
        agent = AGENT_FOR_INTENT[first.intent]
        stack, event = open_task(stack, agent, first.text, turn)
        extra: list[QueuedTask] = [
            QueuedTask(text=v.text, intent=v.intent, kind="split")
            for v in verdicts[1:]
            if v.intent in TASK_LABEL and v.intent != first.intent
        ]
        events = [event] + [f"queue {task['intent']}" for task in extra]
        return TurnPlan(agent, stack, [*extra, *queued], None, events)
    if current is not None and first.intent == "none" and first.act not in SMALL_TALK:
        # An answer to the open task ("B20002", "yes, the second line"): stay with it.
        return TurnPlan(current["agent"], stack, queued, None, ["continue (answer)"])
    return TurnPlan("general", stack, queued, None, [])


def mark_step(stack: list[Frame], step: str, **changes: Any) -> list[Frame]:
    """Stack with the top frame moved to ``step`` (unchanged when the stack is empty)."""
    return update_top(stack, step=step, **changes) if stack else stack


def with_task_slots(stack: list[Frame], facts: dict[str, Any]) -> list[Frame]:
    """Stack whose top frame also holds the task values just extracted (bill, line, plan...)."""
    values = {slot: facts[slot]["value"] for slot in TASK_SLOTS if slot in facts}
    return update_top(stack, slots=values) if stack and values else stack
