"""Dialog decisions at the start of a turn: which agent, which frame, what to queue or answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage

from agents.confirmation import read_answer
from agents.prompting import BRAND
from agents.roster import Roster
from agents.slots import ACTION_LABELS, topic_phrase
from agents.state import QueuedTask, SupportState
from agents.triage import Triage, confidently_off_topic
from conversation.stack import (
    Frame,
    ask_first_line,
    decide_digression,
    defer_line,
    go_ahead_question,
    new_frame,
    pop,
    push,
    resume_line,
    top,
    update_top,
    waiting,
)
from prompts.loader import render

SMALL_TALK = frozenset({"greeting", "thanks", "goodbye"})
CLOSING = frozenset({"thanks", "goodbye"})
NO_TASK_INTENTS = frozenset({"none", "out_of_scope"})
"""Intents that open no task of their own."""
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
    answer: bool | None = None
    """The customer's yes (``True``) or no to the pending confirmation of the frame they
    answered (``pending`` below); the engine runs the write tool's answer call."""
    pending: dict[str, Any] | None = None
    """The confirmation that ``answer`` settles."""
    replay: str | None = None
    """A waiting request taken up now: it becomes the newest message again."""

    def update(self) -> dict[str, Any]:
        """The state update carrying this plan."""
        return {
            "agent": self.agent,
            "stack": self.stack,
            "queued_tasks": self.queued,
            "direct_reply": self.direct_reply,
        }


def off_topic_redirect() -> str:
    """The project-written reply to a request no agent serves."""
    return render("off_topic_redirect", brand=BRAND)


def topic(frame: Frame, roster: Roster) -> str:
    """A frame's task in words, with what tells it apart ("plan change to Unlimited"); a
    change waiting for a yes is named after that change ("payment for bill B20002")."""
    spec = roster.spec(frame["agent"])
    phrases = [topic_phrase(slot, frame["slots"].get(slot, "")) for slot in spec.topic_slots]
    named = [phrase for phrase in phrases if phrase][:2]
    pending = frame["pending_action"] or {}
    label = ACTION_LABELS.get(str(pending.get("tool", "")), frame["task"])
    return " ".join([label, *named])


def new_task_label(roster: Roster, agent: str) -> str:
    """How a reply names a new request for ``agent`` ("your billing question")."""
    spec = roster.spec(agent)
    return f"your {spec.task}" if spec.task else "your question"


def open_task(stack: list[Frame], roster: Roster, agent: str, turn: int) -> tuple[list[Frame], str]:
    """Stack with a frame for ``agent`` on top, and the event describing what happened.

    A frame already on top for the same agent continues. A finished top frame is replaced.
    Anything else is a digression: the new frame is pushed and the open one waits underneath
    with its slots intact, to be resumed when the digression is answered.
    """
    current = top(stack)
    if current is not None and current["agent"] == agent:
        return stack, "continue"
    frame = new_frame(agent, roster.task_label(agent), turn)
    if current is None:
        return push(stack, frame), f"push {agent}"
    if current["step"] == "done":
        rest, _ = pop(stack)
        return push(rest, frame), f"replace {current['agent']} with {agent}"
    return push(stack, frame), f"push {agent} (digression from {current['agent']})"


def cancel(stack: list[Frame], roster: Roster) -> tuple[list[Frame], str]:
    """Pop the current task and say so (resuming the one below, if any); ``stack`` holds one."""
    rest, gone = pop(stack)
    if gone is None:
        raise ValueError("cancel needs an open task on the stack")
    reply = f"Okay, I've cancelled your {gone['task']} — nothing was changed."
    below = top(rest)
    if below is not None:
        reply += " " + resume_line(below, topic(below, roster))
    return rest, reply


def last_reply(state: SupportState) -> str:
    """The bot's most recent reply text (for "say that again")."""
    for message in reversed(state.get("messages", [])):
        text = str(message.content) if isinstance(message, AIMessage) else ""
        if text and text != ANYTHING_ELSE and not message.tool_calls:  # type: ignore[union-attr]
            return text
    return ""


def split_tasks(verdicts: list[Triage], roster: Roster, skip: str) -> list[QueuedTask]:
    """The other requests of a multi-intent message, to be taken up in order."""
    return [
        QueuedTask(text=v.text, intent=v.intent, kind="split")
        for v in verdicts[1:]
        if roster.for_intent(v.intent) is not None and v.intent != skip
    ]


def target_agent(verdict: Triage, roster: Roster) -> str | None:
    """The agent a new request goes to (``None``: the message opens no new request)."""
    spec = roster.for_intent(verdict.intent)
    if spec is not None:
        return spec.name
    if verdict.intent == "out_of_scope" and verdict.act not in SMALL_TALK:
        return roster.fallback.name
    return None


def plan_turn(
    state: SupportState, verdicts: list[Triage], roster: Roster, new_values: bool = False
) -> TurnPlan:
    """Decide the agent, the stack and the queue for this turn's verdicts.

    ``new_values`` says the message changed a task value (a corrected plan, bill or line).
    """
    stack = list(state.get("stack") or [])
    queued = list(state.get("queued_tasks") or [])
    first = verdicts[0]
    fallback = roster.fallback.name
    if state.get("phase") == "handed_off":
        return TurnPlan(fallback, stack, queued, HANDED_OFF_REPLY, ["handed_off: recorded only"])
    if queued and queued[0]["kind"] == "asked":
        switched = answer_switch(state, verdicts, roster, new_values)
        if switched is not None:
            return switched
        queued = [QueuedTask(**{**queued[0], "kind": "deferred"}), *queued[1:]]
        state = {**state, "queued_tasks": queued}
    current = top(stack)
    if current is not None and current["pending_action"] is not None:
        return plan_pending(state, verdicts, roster, new_values)
    if first.act == "cancel" and first.intent in NO_TASK_INTENTS and current is not None:
        # With nothing in progress, "instead of the bot" cancels nothing: a normal message.
        rest, reply = cancel(stack, roster)
        return TurnPlan(fallback, rest, queued, reply, ["pop (cancel)"])
    if first.act == "repeat" and first.intent in NO_TASK_INTENTS:
        previous = last_reply(state)
        if previous:
            return TurnPlan(state.get("agent", fallback), stack, queued, previous, ["repeat"])
    if first.act in CLOSING and first.intent in NO_TASK_INTENTS:
        stack = [frame for frame in stack if frame["step"] != "resolving"]
        return TurnPlan(fallback, stack, queued, None, ["close answered tasks"])
    task = roster.for_intent(first.intent)
    if task is not None:
        if current is not None and current["agent"] != task.name and waiting(current):
            return digress(state, first, roster, task.name)
        stack, event = open_task(stack, roster, task.name, state.get("turn", 0))
        extra = split_tasks(verdicts, roster, first.intent)
        events = [event] + [f"queue {t['intent']}" for t in extra]
        return TurnPlan(task.name, stack, [*extra, *queued], None, events)
    if current is not None and first.intent == "none" and first.act not in SMALL_TALK:
        # An answer to the open task ("B20002", "yes, the second line"): stay with it.
        return TurnPlan(current["agent"], stack, queued, None, ["continue (answer)"])
    if confidently_off_topic(first):
        reply = f"{off_topic_redirect()} What can I help you with?"
        return TurnPlan(fallback, stack, queued, reply, ["off topic: redirect (no model)"])
    return TurnPlan(fallback, stack, queued, None, [])


def plan_pending(
    state: SupportState, verdicts: list[Triage], roster: Roster, new_values: bool
) -> TurnPlan:
    """A message while the top frame's change waits for a yes or no: answer it, re-quote it
    (a correction), or follow the owning agent's digression policy — never drop it."""
    stack = list(state.get("stack") or [])
    queued = list(state.get("queued_tasks") or [])
    first = verdicts[0]
    frame = stack[-1]
    pending = frame["pending_action"] or {}
    owner = frame["agent"]
    answer = read_answer(first.text, first.act, first.intent, new_values)
    if answer in ("yes", "no", "cancel"):
        approved = answer == "yes"
        settled = update_top(stack, pending_action=None, step="resolving")
        extra = split_tasks(verdicts, roster, "") if approved else []
        event = f"confirmation {'approved' if approved else 'declined'}: {pending.get('tool')}"
        return TurnPlan(
            owner, settled, [*extra, *queued], events=[event], answer=approved, pending=pending
        )
    if answer == "correction":
        reopened = update_top(stack, pending_action=None, step="gathering")
        event = f"correction replaces the pending {pending.get('tool')}"
        return TurnPlan(owner, reopened, queued, None, [event])
    target = target_agent(first, roster)
    if target is None or target == owner:
        return TurnPlan(owner, stack, queued, None, ["question about the pending change"])
    return digress(state, first, roster, target)


def digress(state: SupportState, verdict: Triage, roster: Roster, target: str) -> TurnPlan:
    """A request for ``target`` while the top frame waits for the customer: follow the
    waiting agent's digression policy (answer now and come back, ask first, or queue it)."""
    stack = list(state.get("stack") or [])
    queued = list(state.get("queued_tasks") or [])
    frame = stack[-1]
    waiting_topic = topic(frame, roster)
    label = new_task_label(roster, target)
    decision = decide_digression(frame, roster.spec(frame["agent"]).digression)
    intent = verdict.intent
    if decision == "ask_first":
        asked = QueuedTask(text=verdict.text, intent=intent, kind="asked")
        reply = ask_first_line(frame, waiting_topic, label)
        return TurnPlan(frame["agent"], stack, [asked, *queued], reply, [f"ask first: {target}"])
    if decision == "defer":
        deferred = QueuedTask(text=verdict.text, intent=intent, kind="deferred")
        reply = defer_line(waiting_topic, label)
        if frame["pending_action"] is not None:
            reply += " " + go_ahead_question(waiting_topic)
        return TurnPlan(frame["agent"], stack, [deferred, *queued], reply, [f"defer {target}"])
    if roster.spec(target).task:
        stack, event = open_task(stack, roster, target, state.get("turn", 0))
        return TurnPlan(target, stack, queued, None, [event])
    if confidently_off_topic(verdict):
        events = ["off topic: redirect (no model)"]
        return TurnPlan(target, stack, queued, off_topic_redirect(), events)
    return TurnPlan(target, stack, queued, None, [f"answer now: {target} (digression)"])


def answer_switch(
    state: SupportState, verdicts: list[Triage], roster: Roster, new_values: bool
) -> TurnPlan | None:
    """The customer's reply to "shall I look at X first?" (``None``: it was no reply)."""
    stack = list(state.get("stack") or [])
    queued = list(state.get("queued_tasks") or [])
    first = verdicts[0]
    asked, rest = queued[0], queued[1:]
    answer = read_answer(first.text, first.act, first.intent, new_values)
    if answer not in ("yes", "no"):
        return None
    frame = top(stack)
    target = target_agent(
        Triage(asked["intent"], "request", 1.0, 1.0, "queued", asked["text"]), roster
    )
    if answer == "no" or frame is None or target is None:
        deferred = QueuedTask(**{**asked, "kind": "deferred"})
        reply = "Okay, we'll finish this first."
        if frame is not None:
            waiting_topic = topic(frame, roster)
            reply = f"Okay, let's finish your {waiting_topic} first."
            if frame["pending_action"] is not None:
                reply += " " + go_ahead_question(waiting_topic)
        owner = frame["agent"] if frame is not None else roster.fallback.name
        return TurnPlan(owner, stack, [deferred, *rest], reply, ["stay (customer chose)"])
    event = f"switch to {target} (customer agreed)"
    if roster.spec(target).task:
        stack, _ = open_task(stack, roster, target, state.get("turn", 0))
    return TurnPlan(target, stack, rest, None, [event], replay=asked["text"])


def mark_step(stack: list[Frame], step: str, **changes: Any) -> list[Frame]:
    """Stack with the top frame moved to ``step`` (unchanged when the stack is empty)."""
    return update_top(stack, step=step, **changes) if stack else stack


def with_task_slots(stack: list[Frame], facts: dict[str, Any]) -> list[Frame]:
    """Stack whose top frame also holds the task values just extracted (bill, line, plan...)."""
    values = {slot: facts[slot]["value"] for slot in TASK_SLOTS if slot in facts}
    return update_top(stack, slots=values) if stack and values else stack
