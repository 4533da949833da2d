"""Dialog stack: open tasks as typed frames; digressions push, completions and cancels pop."""

from __future__ import annotations

import re
from typing import Any, Literal, TypedDict


class Frame(TypedDict):
    """One open task of the conversation."""

    id: str
    """Stable frame id (``f<turn>-<agent>``)."""
    agent: str
    """Agent in charge of the task."""
    task: str
    """Short description of the task (usually the user's request)."""
    slots: dict[str, str]
    """Task-specific values gathered so far (bill id, target plan, problem, ...)."""
    step: str
    """Where the task stands: ``gathering``, ``confirming``, ``resolving``, ``done``."""
    pending_action: dict[str, Any] | None
    """A write awaiting the user's confirmation, if any."""
    opened_turn: int
    """User turn in which the frame was opened."""


DigressionPolicy = Literal["allow", "ask_first", "defer"]
"""How an agent's open task reacts to a new, different task: switch now, ask, or queue it."""

DigressionDecision = Literal["push", "ask_first", "defer"]
"""What to do with a new task: open it on top, ask the user first, or queue it for later."""

PopReason = Literal["done", "cancel"]
"""Why a frame left the stack."""

MAX_DEPTH = 4
"""Deepest stack kept; pushing beyond it drops the oldest (bottom) frame."""


def new_frame(agent: str, task: str, turn: int) -> Frame:
    """Open a frame for ``agent`` at ``turn``."""
    return Frame(
        id=f"f{turn}-{agent}",
        agent=agent,
        task=task,
        slots={},
        step="gathering",
        pending_action=None,
        opened_turn=turn,
    )


def top(stack: list[Frame]) -> Frame | None:
    """The current (innermost) frame, if any."""
    return stack[-1] if stack else None


def push(stack: list[Frame], frame: Frame) -> list[Frame]:
    """A new stack with ``frame`` on top (the frames below keep their slots untouched)."""
    return [*stack, frame][-MAX_DEPTH:]


def pop(stack: list[Frame]) -> tuple[list[Frame], Frame | None]:
    """A new stack without its top frame, and the frame removed (``None`` when empty)."""
    if not stack:
        return [], None
    return list(stack[:-1]), stack[-1]


def update_top(stack: list[Frame], **changes: Any) -> list[Frame]:
    """A new stack whose top frame has ``changes`` applied (``slots`` are merged, not replaced)."""
    if not stack:
        raise ValueError(
            "update_top needs an open frame; push one with push(stack, new_frame(...))"
        )
    current = stack[-1]
    slots = {**current["slots"], **changes.pop("slots", {})}
    updated = Frame(**{**current, **changes, "slots": slots})  # type: ignore[typeddict-item]
    return [*stack[:-1], updated]


def find(stack: list[Frame], agent: str) -> Frame | None:
    """The innermost open frame of ``agent``, if any."""
    return next((frame for frame in reversed(stack) if frame["agent"] == agent), None)


def waiting(frame: Frame | None) -> bool:
    """Whether ``frame`` waits for the customer: a confirmation, or an answer to its question."""
    return frame is not None and (
        frame["pending_action"] is not None or frame["step"] in ("gathering", "confirming")
    )


def decide_digression(current: Frame | None, policy: DigressionPolicy) -> DigressionDecision:
    """What to do when a new task arrives while ``current`` is open, under its agent's policy.

    A frame that waits for nothing (none open, done, or already answered) lets the new task
    open on top. One that waits for the customer — a pending confirmation, or an answer to
    its question — follows the policy: ``allow`` pushes the new task and comes back,
    ``ask_first`` asks before switching, ``defer`` queues the new task until this one is
    settled. A pending confirmation is never dropped by any of them.
    """
    if not waiting(current):
        return "push"
    if policy == "defer":
        return "defer"
    if policy == "ask_first":
        return "ask_first"
    return "push"


def describe_slots(slots: dict[str, str], limit: int = 4) -> str:
    """``key value, key value`` for the first ``limit`` slots (empty when there are none)."""
    items = [f"{key.replace('_', ' ')} {value}" for key, value in list(slots.items())[:limit]]
    return ", ".join(items)


def go_ahead_question(topic: str) -> str:
    """The yes/no question that re-asks a pending confirmation."""
    return f"Your {topic} is still waiting for your answer: shall I go ahead (yes or no)?"


def resume_line(frame: Frame, topic: str) -> str:
    """The sentence that takes the customer back to ``frame`` (``topic`` names its task and
    the values that identify it, e.g. "plan change to Unlimited")."""
    if frame["pending_action"] is not None:
        return f"Back to your {topic}: shall I go ahead?"
    return f"Back to your {topic}."


def ask_first_line(current: Frame, topic: str, new_task: str) -> str:
    """The question asked before leaving a frame that waits for the customer (``topic`` names
    the waiting task). A yes means: answer the new request first, and come back."""
    if current["pending_action"] is not None:
        return (
            f"Before we move on to {new_task}: your {topic} is still waiting for your yes or "
            f"no. Shall I look at {new_task} first and come back to your {topic} afterwards?"
        )
    return (
        f"We're in the middle of your {topic}. Shall we switch to {new_task} now and come back "
        "to it afterwards?"
    )


def defer_line(topic: str, new_task: str) -> str:
    """The sentence that tells the customer a new task is queued until the current one is done."""
    return f"Noted — I'll take up {new_task} right after we finish your {topic}."


# --- multi-intent queueing ---------------------------------------------------------------

_SPLIT = re.compile(
    r"(?:(?<=[.?!;])\s+|\s*;\s*|,?\s+and also\s+|,?\s+also,?\s+|,?\s+and then\s+|,?\s+plus\s+)",
    re.IGNORECASE,
)


def split_requests(text: str, min_words: int = 3) -> list[str]:
    """Split a message into candidate requests (sentences, "and also", "then", "plus").

    Parts shorter than ``min_words`` words are joined to the previous part, so "thanks." or
    "ok and also" never form a request of their own. The domain's classifier decides which
    parts are tasks.
    """
    parts: list[str] = []
    for raw in _SPLIT.split(text.strip()):
        part = raw.strip(" ,")
        if not part:
            continue
        if parts and len(part.split()) < min_words:
            parts[-1] = f"{parts[-1]} {part}"
        else:
            parts.append(part)
    return parts


def enqueue(queue: list[str], tasks: list[str]) -> list[str]:
    """A new queue with ``tasks`` appended in order (duplicates of queued tasks are skipped)."""
    result = list(queue)
    for task in tasks:
        if task not in result:
            result.append(task)
    return result


def next_task(queue: list[str]) -> tuple[str | None, list[str]]:
    """The next queued task and the queue without it."""
    if not queue:
        return None, []
    return queue[0], list(queue[1:])
