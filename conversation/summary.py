"""Running summary: fold the oldest turns in chunks, with a model or an extractive fallback.

Fold policy: nothing happens while the window fits its budget. Once it overflows, the
oldest whole user turns are folded at once until the window is at most ``FOLD_TARGET`` of
its budget (never splitting a tool call from its results, always keeping the latest turn).
Folding in chunks means the summary — and so the prompt prefix — changes once every many
turns instead of every turn. Folded messages are removed from state with ``RemoveMessage``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)

from conversation.assembly import truncate_tail
from conversation.facts import FactSheet
from conversation.tokens import TokenCounter, get_counter, message_text, tool_calls_text
from conversation.window import last_user_index, turn_boundaries

FOLD_TARGET = 0.5
"""After a fold the window holds at most this share of its budget."""

CATEGORIES = ("Pending actions", "Commitments", "Unresolved issues", "Context")
"""Summary sections, most important first (cutting from the tail drops ``Context`` first)."""

ITEM_WORDS = 30
"""Longest item (in words) the extractive summarizer keeps."""

ITEMS_PER_CATEGORY = 6
"""Most items the extractive summarizer keeps per section (the newest): the summary reaches
a steady size after a few folds instead of creeping up to its budget over the thread."""

Summarize = Callable[[list[BaseMessage]], str]
"""Turns a summarization prompt into summary text (the caller wraps its model)."""


@dataclass(frozen=True)
class FoldPlan:
    """Which messages to fold and the removals that take them out of state."""

    to_fold: list[BaseMessage]
    keep: list[BaseMessage]
    removals: list[RemoveMessage]
    tokens_before: int
    tokens_after: int


@dataclass(frozen=True)
class FoldResult:
    """The outcome of a fold: the new summary and the state removals."""

    summary: str
    removals: list[RemoveMessage]
    folded: int
    method: str
    """``model`` or ``extractive``."""
    error: str | None = None
    """Why the model summary was not used, when it failed."""


def plan_fold(
    messages: Sequence[BaseMessage],
    window_budget: int,
    counter: TokenCounter | None = None,
    target: float = FOLD_TARGET,
) -> FoldPlan:
    """The fold to make (``to_fold`` is empty while the window fits ``window_budget``).

    Cuts only before user messages that no tool call spans, keeps the latest user turn,
    and folds the fewest turns that bring the window to ``target × window_budget``.
    """
    counter = counter or get_counter()
    sizes = [counter.count_messages([m]) for m in messages]
    total = sum(sizes)
    last = last_user_index(messages)
    candidates = [b for b in turn_boundaries(messages) if 0 < b <= (last or 0)]
    if total <= window_budget or not candidates:
        return FoldPlan([], list(messages), [], total, total)
    goal = target * window_budget
    suffix = {b: sum(sizes[b:]) for b in candidates}
    cut = next((b for b in candidates if suffix[b] <= goal), candidates[-1])
    to_fold = list(messages[:cut])
    missing = [i for i, m in enumerate(to_fold) if not m.id]
    if missing:
        raise ValueError(
            f"messages {missing} have no id, so they cannot be removed from state; "
            "keep messages in a channel with the add_messages reducer (it assigns ids)"
        )
    return FoldPlan(
        to_fold=to_fold,
        keep=list(messages[cut:]),
        removals=[RemoveMessage(id=str(m.id)) for m in to_fold],
        tokens_before=total,
        tokens_after=suffix[cut],
    )


def render_transcript(messages: Sequence[BaseMessage], tool_chars: int = 400) -> str:
    """Messages as ``User: ...`` / ``Assistant: ...`` lines for a summarization prompt."""
    lines: list[str] = []
    for message in messages:
        text = " ".join(message_text(message).split())
        if isinstance(message, HumanMessage):
            lines.append(f"User: {text}")
        elif isinstance(message, ToolMessage):
            short = text if len(text) <= tool_chars else text[:tool_chars] + " […]"
            lines.append(f"Tool result ({message.name or 'tool'}): {short}")
        elif isinstance(message, AIMessage):
            if text:
                lines.append(f"Assistant: {text}")
            lines.extend(f"Assistant called {call}" for call in tool_calls_text(message))
    return "\n".join(lines)


def summary_prompt(
    previous: str,
    folded: Sequence[BaseMessage],
    fact_slots: Sequence[str],
    max_tokens: int,
) -> list[BaseMessage]:
    """The prompt that merges ``folded`` messages into the ``previous`` summary."""
    slots = ", ".join(fact_slots) if fact_slots else "(none)"
    words = max(int(max_tokens * 0.7), 20)
    instructions = (
        "You keep the running summary of a support conversation. Merge the new messages "
        "into the previous summary and answer with the new summary only.\n"
        f"- At most {words} words, as short bullet points under these headings, in this "
        f"order, leaving out empty ones: {', '.join(h + ':' for h in CATEGORIES)}\n"
        "- Keep every commitment either side made, every pending action (anything waiting "
        "for a confirmation, a result or a follow-up) and every unresolved issue.\n"
        "- Drop items that were completed or cancelled, greetings and small talk.\n"
        "- Do NOT repeat facts already on the fact sheet; it is shown to the assistant "
        f"separately. Fact-sheet slots: {slots}.\n"
        "- Write what happened, not what the assistant should do next."
    )
    body = (
        f"Previous summary:\n{previous.strip() or '(none)'}\n\n"
        f"New messages to fold in:\n{render_transcript(folded)}"
    )
    return [SystemMessage(content=instructions), HumanMessage(content=body)]


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CUES: dict[str, re.Pattern[str]] = {
    "Pending actions": re.compile(
        r"\b(shall i|should i|do you want me to|would you like me to|please confirm|"
        r"confirm|waiting for|pending|once you|awaiting|follow up|get back to you)\b",
        re.IGNORECASE,
    ),
    "Commitments": re.compile(
        r"\b(i will|i'll|we will|we'll|i have (?:scheduled|arranged|sent|applied)|"
        r"has been|have been|is scheduled|will be|promise|agreed|done)\b",
        re.IGNORECASE,
    ),
    "Unresolved issues": re.compile(
        r"\b(not working|doesn'?t work|isn'?t working|stopped working|still (?:not|no|broken|"
        r"down|waiting|open|wrong|failing|dropping)|problem|issue|broken|error|failed|fails|"
        r"keeps? (?:dropping|failing|crashing|freezing)|complain\w*|overcharged)\b",
        re.IGNORECASE,
    ),
    "Context": re.compile(
        r"\b(i want to|i need to|i'd like to|i would like to|can you|could you|please|"
        r"how do i|how can i|remind me)\b",
        re.IGNORECASE,
    ),
}
_SPEAKER_CATEGORIES = {
    "User": ("Unresolved issues", "Context"),
    "Assistant": ("Pending actions", "Commitments", "Unresolved issues"),
}


def _clip(sentence: str) -> str:
    """A sentence shortened to ``ITEM_WORDS`` words."""
    words = sentence.split()
    return " ".join(words[:ITEM_WORDS]) + (" …" if len(words) > ITEM_WORDS else "")


def _speaker(message: BaseMessage) -> str | None:
    """``User`` or ``Assistant`` for messages the extractive summary reads."""
    if isinstance(message, HumanMessage):
        return "User"
    if isinstance(message, AIMessage):
        return "Assistant"
    return None


def extract_items(
    folded: Sequence[BaseMessage], fact_values: Sequence[str] = ()
) -> dict[str, list[str]]:
    """Cue-matched sentences of the folded messages, by summary category."""
    items: dict[str, list[str]] = {name: [] for name in CATEGORIES}
    for message in folded:
        speaker = _speaker(message)
        if speaker is None:
            continue
        for call in tool_calls_text(message):
            items["Context"].append(_clip(f"Assistant called {call}"))
        for sentence in _SENTENCE.split(message_text(message)):
            sentence = sentence.strip()
            if len(sentence.split()) < 3:
                continue
            category = next(
                (c for c in _SPEAKER_CATEGORIES[speaker] if _CUES[c].search(sentence)), None
            )
            if category is None and speaker == "User" and _CUES["Context"].search(sentence):
                category = "Context"
            if category is None:
                continue
            if category in ("Context", "Unresolved issues") and any(
                v and v.lower() in sentence.lower() for v in fact_values
            ):
                continue
            items[category].append(_clip(f"{speaker}: {sentence}"))
    return items


def parse_summary(text: str) -> dict[str, list[str]]:
    """Items of a summary written in the category layout (unknown lines go to ``Context``)."""
    items: dict[str, list[str]] = {name: [] for name in CATEGORIES}
    current = "Context"
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line == "[…]":
            continue
        heading = line.rstrip(":")
        if heading in items:
            current = heading
            continue
        items[current].append(line.removeprefix("- ").strip())
    return items


def render_summary(items: dict[str, list[str]]) -> str:
    """Items in the category layout: a heading line, then ``- item`` lines."""
    blocks = []
    for name in CATEGORIES:
        if items.get(name):
            blocks.append("\n".join([f"{name}:", *(f"- {item}" for item in items[name])]))
    return "\n".join(blocks)


def extractive_summary(
    previous: str,
    folded: Sequence[BaseMessage],
    counter: TokenCounter | None = None,
    max_tokens: int = 400,
    fact_values: Sequence[str] = (),
) -> str:
    """A deterministic summary (no model): previous items plus cue-matched new sentences,
    the newest ``ITEMS_PER_CATEGORY`` per section, capped at ``max_tokens`` by dropping the
    oldest items of the least important section first (context, then unresolved issues,
    then commitments, then pending actions)."""
    counter = counter or get_counter()
    items = parse_summary(previous)
    for name, new in extract_items(folded, fact_values).items():
        for item in new:
            if item in items[name]:
                items[name].remove(item)
            items[name].append(item)
        items[name] = items[name][-ITEMS_PER_CATEGORY:]
    for name in reversed(CATEGORIES):
        while items[name] and counter.count(render_summary(items)) > max_tokens:
            items[name].pop(0)
    return render_summary(items)


def cap_summary(text: str, counter: TokenCounter, max_tokens: int) -> str:
    """``text`` held to ``max_tokens``, cut from the tail (whole lines when possible)."""
    return truncate_tail(text.strip(), counter, max_tokens)


def fold(
    messages: Sequence[BaseMessage],
    *,
    summary: str,
    counter: TokenCounter,
    window_budget: int,
    summary_budget: int,
    facts: FactSheet | None = None,
    summarize: Summarize | None = None,
    target: float = FOLD_TARGET,
) -> FoldResult | None:
    """Fold the oldest turns when the window overflows (``None`` when it fits).

    With ``summarize`` the model writes the new summary; when it is absent, raises, or
    answers with nothing, the extractive summarizer does. Either way the summary is capped
    at ``summary_budget`` and the folded messages come back as ``RemoveMessage``s.
    """
    plan = plan_fold(messages, window_budget, counter, target)
    if not plan.to_fold:
        return None
    sheet = facts or {}
    error: str | None = None
    if summarize is not None:
        try:
            prompt = summary_prompt(summary, plan.to_fold, list(sheet), summary_budget)
            text = summarize(prompt).strip()
        except Exception as exc:  # any model failure falls back to the extractive summary
            text, error = "", f"{type(exc).__name__}: {exc}"
        if text:
            capped = cap_summary(text, counter, summary_budget)
            return FoldResult(capped, plan.removals, len(plan.to_fold), "model")
        error = error or "the model returned an empty summary"
    values = [fact["value"] for fact in sheet.values()]
    values += [fact["corrected_from"] for fact in sheet.values() if "corrected_from" in fact]
    text = extractive_summary(summary, plan.to_fold, counter, summary_budget, values)
    return FoldResult(text, plan.removals, len(plan.to_fold), "extractive", error)
