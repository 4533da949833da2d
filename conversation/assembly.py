"""Budgeted prompt assembly: system, facts, summary, passages, window — each under its budget.

Layout: one system message (system prompt, then fact sheet, summary and passages, in that
order) followed by the recent window. Everything before the window changes rarely, so
consecutive prompts share a long prefix (llama.cpp's KV cache and provider prompt caches
reuse it).

Cut order when the total would exceed the budget (see docs/context.md):

1. retrieved passages, lowest-ranked first;
2. the oldest window units before the current turn (a unit keeps an AI tool call with all
   its results; the window then restarts at a user message);
3. tool results of the current turn, truncated in the middle, largest first;
4. the running summary, from its tail (the summary lists pending actions first);
5. facts, lowest priority first;
6. the latest user message (and current-turn AI text), truncated in the middle.

The system prompt is never cut: if it alone is over the budget, ``BudgetError`` is raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, ToolMessage

from conversation.facts import FACTS_HEADER, FactSheet, fact_line, ordered_slots
from conversation.tokens import MESSAGE_OVERHEAD, TokenCounter, message_text
from conversation.window import Unit, flatten, group_units

SECTIONS = ("system", "facts", "summary", "passages", "window")
"""Prompt sections, in prompt order."""

SUMMARY_HEADER = "Summary of the earlier conversation:"
PASSAGES_HEADER = "Reference passages (quote them; do not invent beyond them):"
CUT_MARKER = "[… {n} tokens cut …]"
MIN_TOOL_RESULT_TOKENS = 48
"""Current-turn tool results are never truncated below this many tokens."""
MIN_USER_TOKENS = 24
"""The latest user message is never truncated below this many tokens."""


class BudgetError(ValueError):
    """The parts that may not be cut (system prompt) do not fit the token budget."""


@dataclass(frozen=True)
class Budgets:
    """Token budgets: the total per model call and one per section (the window's is the
    fold target — within a turn the window may use what the other sections leave free)."""

    total: int = 3000
    facts: int = 300
    summary: int = 400
    passages: int = 500
    window: int = 1400


@dataclass(frozen=True)
class Assembled:
    """The prompt for one model call and how it was built."""

    messages: list[BaseMessage]
    sections: dict[str, int]
    """Tokens per section (``system`` includes the message overhead)."""
    total: int
    """Tokens of the whole prompt (never above ``budget``)."""
    budget: int
    cut: list[str] = field(default_factory=list)
    """What was cut, in order, and why."""


@dataclass
class _Parts:
    """The mutable working set while cutting."""

    system: str
    facts: list[tuple[str, str]]
    summary: str
    passages: list[str]
    older: list[Unit]
    current: list[Unit]

    def facts_text(self) -> str:
        if not self.facts:
            return ""
        return "\n".join([FACTS_HEADER, *(line for _, line in self.facts)])

    def summary_text(self) -> str:
        return f"{SUMMARY_HEADER}\n{self.summary}" if self.summary.strip() else ""

    def passages_text(self) -> str:
        if not self.passages:
            return ""
        body = "\n".join(f"[{i}] {text}" for i, text in enumerate(self.passages, start=1))
        return f"{PASSAGES_HEADER}\n{body}"

    def blocks(self) -> dict[str, str]:
        return {
            "system": self.system,
            "facts": self.facts_text(),
            "summary": self.summary_text(),
            "passages": self.passages_text(),
        }

    def messages(self) -> list[BaseMessage]:
        head = "\n\n".join(text for text in self.blocks().values() if text)
        return [SystemMessage(content=head), *flatten(self.older), *flatten(self.current)]


def truncate_middle(text: str, counter: TokenCounter, max_tokens: int) -> str:
    """``text`` cut in the middle (with a marker) to at most ``max_tokens`` tokens."""
    total = counter.count(text)
    if total <= max_tokens:
        return text
    low, high = 0, len(text)
    best = CUT_MARKER.format(n=total)
    while low <= high:
        keep = (low + high) // 2
        head, tail = text[: keep - keep // 2], text[len(text) - keep // 2 :]
        candidate = f"{head}{CUT_MARKER.format(n=total - counter.count(head + tail))}{tail}"
        if counter.count(candidate) <= max_tokens:
            best, low = candidate, keep + 1
        else:
            high = keep - 1
    return best


def truncate_tail(text: str, counter: TokenCounter, max_tokens: int) -> str:
    """The longest head of ``text`` (whole lines when possible) within ``max_tokens``."""
    if counter.count(text) <= max_tokens:
        return text
    lines = text.splitlines()
    kept: list[str] = []
    for line in lines:
        if counter.count("\n".join([*kept, line, "[…]"])) > max_tokens:
            break
        kept.append(line)
    if kept:
        return "\n".join([*kept, "[…]"])
    low, high, best = 0, len(text), ""
    while low <= high:
        mid = (low + high) // 2
        if counter.count(text[:mid] + " […]") <= max_tokens:
            best, low = text[:mid] + " […]", mid + 1
        else:
            high = mid - 1
    return best


def _fact_lines(facts: FactSheet | str | None, priority: Sequence[str]) -> list[tuple[str, str]]:
    """(label, line) per fact, most important first, from a sheet or pre-rendered text."""
    if isinstance(facts, str):
        lines = [line for line in facts.splitlines() if line.strip() and line != FACTS_HEADER]
        return [(line.strip("- ").split(":", 1)[0], line) for line in lines]
    sheet = facts or {}
    return [(slot, fact_line(slot, sheet[slot])) for slot in ordered_slots(sheet, priority)]


def _split_current(units: list[Unit]) -> tuple[list[Unit], list[Unit]]:
    """(older units, units of the current turn: the latest user message and after)."""
    for index in range(len(units) - 1, -1, -1):
        if units[index].starts_turn:
            return units[:index], units[index:]
    return units, []


def _cap_sections(parts: _Parts, counter: TokenCounter, budgets: Budgets, cut: list[str]) -> None:
    """Hold facts, summary and passages to their own budgets."""
    while parts.facts and counter.count(parts.facts_text()) > budgets.facts:
        slot, _ = parts.facts.pop()
        cut.append(f"facts: dropped {slot} (over facts budget {budgets.facts})")
    if parts.summary and counter.count(parts.summary_text()) > budgets.summary:
        room = budgets.summary - counter.count(SUMMARY_HEADER) - 1
        before = counter.count(parts.summary)
        parts.summary = truncate_tail(parts.summary, counter, max(room, 0))
        cut.append(
            f"summary: cut {before - counter.count(parts.summary)} tokens from the tail "
            f"(over summary budget {budgets.summary})"
        )
    while parts.passages and counter.count(parts.passages_text()) > budgets.passages:
        if len(parts.passages) == 1:
            room = budgets.passages - counter.count(PASSAGES_HEADER) - 4
            parts.passages[0] = truncate_tail(parts.passages[0], counter, max(room, 0))
            cut.append(f"passages: truncated passage 1 (over passages budget {budgets.passages})")
            break
        parts.passages.pop()
        cut.append(
            f"passages: dropped passage {len(parts.passages) + 1} "
            f"(over passages budget {budgets.passages})"
        )


def _shrink_messages(
    units: list[Unit], kinds: tuple[type, ...], floor: int, counter: TokenCounter, over: int
) -> int:
    """Truncate (middle) the largest messages of ``kinds`` in ``units``; return tokens saved."""
    saved = 0
    candidates = [
        (counter.count(message_text(m)), u, i)
        for u in units
        for i, m in enumerate(u.messages)
        if isinstance(m, kinds)
    ]
    for size, unit, index in sorted(candidates, key=lambda item: -item[0]):
        if saved >= over or size <= floor:
            break
        target = max(floor, size - (over - saved))
        message = unit.messages[index]
        text = truncate_middle(message_text(message), counter, target)
        unit.messages[index] = message.model_copy(update={"content": text})
        saved += size - counter.count(text)
    return saved


def assemble(
    *,
    system: str,
    window: Sequence[BaseMessage],
    counter: TokenCounter,
    budgets: Budgets | None = None,
    facts: FactSheet | str | None = None,
    fact_priority: Sequence[str] = (),
    summary: str = "",
    passages: Sequence[str] = (),
) -> Assembled:
    """Build the prompt for one model call under ``budgets`` (see the module doc for the
    layout and the cut order). ``window`` is the recent messages, oldest first; orphan tool
    results and tool calls without results are left out. ``facts`` is a fact sheet (ordered
    by ``fact_priority``) or text already rendered, one fact per line, most important first."""
    budgets = budgets or Budgets()
    cut: list[str] = []
    grouped = group_units(window)
    if grouped.orphans:
        cut.append(f"window: left out {len(grouped.orphans)} tool results without their call")
    if grouped.incomplete:
        cut.append(f"window: left out {len(grouped.incomplete)} tool calls without results")
    older, current = _split_current(grouped.units)
    parts = _Parts(
        system=system,
        facts=_fact_lines(facts, fact_priority),
        summary=summary.strip(),
        passages=[p.strip() for p in passages if p.strip()],
        older=older,
        current=current,
    )
    if counter.count(system) + MESSAGE_OVERHEAD > budgets.total:
        raise BudgetError(
            f"the system prompt alone takes {counter.count(system) + MESSAGE_OVERHEAD} tokens, "
            f"over the prompt budget of {budgets.total}; raise token_budget or shorten the prompt"
        )
    _cap_sections(parts, counter, budgets, cut)
    _fit_total(parts, counter, budgets.total, cut)
    messages = parts.messages()
    return Assembled(
        messages=messages,
        sections=_section_tokens(parts, counter),
        total=counter.count_messages(messages),
        budget=budgets.total,
        cut=cut,
    )


def _over(parts: _Parts, counter: TokenCounter, budget: int) -> int:
    """Tokens by which the prompt built from ``parts`` exceeds ``budget`` (≤ 0 when it fits)."""
    return counter.count_messages(parts.messages()) - budget


def _fit_total(parts: _Parts, counter: TokenCounter, budget: int, cut: list[str]) -> None:
    """Cut, in the documented order, until the whole prompt fits ``budget``."""
    if _over(parts, counter, budget) <= 0:
        return
    while parts.passages and _over(parts, counter, budget) > 0:
        parts.passages.pop()
        cut.append(f"passages: dropped passage {len(parts.passages) + 1} (over total budget)")
    dropped = 0
    over = _over(parts, counter, budget)
    while parts.older and over > 0:
        unit = parts.older.pop(0)
        over -= counter.count_messages(unit.messages)
        dropped += len(unit.messages)
    while parts.older and dropped and not parts.older[0].starts_turn:
        dropped += len(parts.older.pop(0).messages)
    if dropped:
        cut.append(f"window: dropped {dropped} oldest messages (over total budget)")
    over = _over(parts, counter, budget)
    if over > 0:
        saved = _shrink_messages(
            parts.current, (ToolMessage,), MIN_TOOL_RESULT_TOKENS, counter, over
        )
        if saved:
            cut.append(f"window: truncated current tool results by {saved} tokens")
    over = _over(parts, counter, budget)
    if over > 0 and parts.summary:
        room = max(counter.count(parts.summary) - over, 0)
        parts.summary = truncate_tail(parts.summary, counter, room) if room > 8 else ""
        cut.append("summary: cut from the tail (over total budget)")
    while parts.facts and _over(parts, counter, budget) > 0:
        slot, _ = parts.facts.pop()
        cut.append(f"facts: dropped {slot} (over total budget)")
    over = _over(parts, counter, budget)
    if over > 0:
        saved = _shrink_messages(
            parts.current, (HumanMessage, ToolMessage), MIN_USER_TOKENS, counter, over
        )
        saved += _shrink_messages(parts.current, (BaseMessage,), 8, counter, over - saved)
        cut.append(f"window: truncated the current turn's messages by {saved} tokens")
    over = _over(parts, counter, budget)
    if over > 0:
        raise BudgetError(
            f"the prompt is {over} tokens over the budget of {budget} even after every cut; "
            "raise token_budget or shorten the system prompt"
        )


def _section_tokens(parts: _Parts, counter: TokenCounter) -> dict[str, int]:
    """Tokens per section of the final prompt."""
    blocks = parts.blocks()
    sections = {name: counter.count(text) for name, text in blocks.items()}
    sections["system"] += MESSAGE_OVERHEAD
    sections["window"] = counter.count_messages([*flatten(parts.older), *flatten(parts.current)])
    return sections
