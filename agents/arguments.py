"""Arguments from context: a tool call's missing arguments are filled from what is known.

When the model calls a tool without an argument that the fact sheet, the customer's account
or the newest message determines, the engine fills it in and records where it came from in
the ledger. When nothing determines a required argument, the call is not made: the customer
is asked for exactly that value, in one question. The domain says which argument comes from
where (``agents/slots.py`` ``ARGUMENT_SOURCES``, ``SLOT_QUESTIONS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from langchain_core.messages import AIMessage, ToolCall
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from agents.state import HeldCall
from conversation.facts import FactSheet
from tools.store import Bill, Line, PaymentMethod, Plan, open_store


@dataclass(frozen=True)
class Account:
    """The signed-in or verified customer's account, read only when an argument needs it."""

    customer_id: str | None
    database_url: str

    @cached_property
    def bills(self) -> list[Bill]:
        """The customer's bills, newest first (none when nobody is identified)."""
        if not self.customer_id:
            return []
        return open_store(self.database_url or None).bills(self.customer_id)

    @cached_property
    def lines(self) -> list[Line]:
        """The customer's phone lines (none when nobody is identified)."""
        if not self.customer_id:
            return []
        return open_store(self.database_url or None).lines(self.customer_id)

    @cached_property
    def payment_methods(self) -> list[PaymentMethod]:
        """The customer's payment methods, default first (none when nobody is identified)."""
        if not self.customer_id:
            return []
        return open_store(self.database_url or None).payment_methods(self.customer_id)

    @cached_property
    def today(self) -> date:
        """The store's business date (what "expired" and "overdue" are measured against)."""
        return open_store(self.database_url or None).today()

    @cached_property
    def plans(self) -> list[Plan]:
        """Every plan on offer."""
        return open_store(self.database_url or None).plans()


@dataclass(frozen=True)
class Known:
    """What the engine knows when it fills a call: facts, the newest message, the account."""

    facts: FactSheet
    turn: int
    text: str
    account: Account
    act: str = ""
    """The newest message's dialogue act (``question``, ``request``, ...)."""
    said: frozenset[str] = frozenset()
    """The fact slots the newest message names, changed or not ("is B20003 paid?" names
    ``bill`` even when B20003 was on the sheet already, or is a deferred question said again)."""

    def fact(self, slot: str, this_turn: bool = False) -> str | None:
        """The fact sheet's value of ``slot`` (with ``this_turn``: only if the newest message
        gave or named it)."""
        fact = self.facts.get(slot)
        if not fact or not fact.get("value"):
            return None
        if this_turn and fact.get("turn") != self.turn and slot not in self.said:
            return None
        return str(fact["value"])


Filled = tuple[Any, str]
"""A value and where it came from (``fact sheet``, ``latest bill``, ...)."""
Resolver = Callable[[Known, str], Filled | None]
"""Finds a value for one argument of the tool named by the second parameter, or ``None``."""


@dataclass(frozen=True)
class ArgumentRules:
    """The domain's rules: where each argument comes from, and how to ask for it."""

    sources: Mapping[str, Resolver]
    """Argument name → resolver."""
    questions: Mapping[str, Callable[[Known], str]]
    """Argument name → the one question that asks the customer for it."""
    optional: frozenset[str] = frozenset()
    """Optional arguments worth filling too (identity details, a line named this turn)."""
    grounded: Mapping[str, Callable[[Known, Any], bool]] = field(default_factory=dict)
    """Argument name → whether a value the model chose is supported by what the customer or
    the account says; an unsupported value is invented, and is dropped before filling."""
    item_reads: Mapping[str, tuple[str, Callable[[Known], Filled | None]]] = field(
        default_factory=dict
    )
    """A read tool of one item → its argument, and the item the newest message names
    (``None``: it names none)."""
    questions_instead: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)
    """A tool → the tool (and its argument, given the customer's words) that answers a
    how-to question instead, unless the fact-sheet slot named third is known ("How do I set
    up an eSIM?" with no problem reported is for the knowledge base, not a diagnostic)."""
    named_instead: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """A tool → the tool that serves what the newest message names instead, when the
    fact-sheet slot named second was given by that message and it is no how-to question: a
    reported fault is for the diagnostic, not a knowledge-base search ("can't send photos in
    texts, what's wrong?"); a way to pay is for the payment, not a payment request ("clear
    the late bill from my bank account"). Only when what is known fills the replacement's
    arguments (a fault no diagnostic checks keeps the search)."""
    how_to: re.Pattern[str] | None = None
    """The words of a how-to question (for ``questions_instead`` and ``named_instead``)."""
    narrowed: Mapping[str, str] = field(default_factory=dict)
    """A listing tool → the item read (in ``item_reads``) it becomes when the newest message
    names one item ("the charges on my latest bill": that bill, not the list of bills)."""
    every_when_empty: Mapping[str, str] = field(default_factory=dict)
    """A read tool whose empty argument reads every item → that argument. A value the
    customer never gave (not in the newest message, not a fact they stated) is the model's
    guess at one item and is dropped, so the read covers every item ("the status of my
    lines": every line, not the one an earlier result happened to name)."""


@dataclass
class Filling:
    """What filling one model reply did."""

    message: AIMessage
    events: list[str] = field(default_factory=list)
    question: str | None = None
    """The question for a required argument nothing determined (its call was dropped)."""
    held: HeldCall | None = None
    """The dropped call, to be made once the customer gives the value (with ``question``)."""


@dataclass(frozen=True)
class CallFill:
    """What filling one call did: the call (``None`` when held back), events, the question."""

    call: ToolCall | None
    events: list[str]
    question: str | None = None
    held: HeldCall | None = None


def required_args(tool: BaseTool) -> tuple[str, ...]:
    """The names of the arguments the model must give ``tool`` (its schema's ``required``)."""
    parameters = convert_to_openai_tool(tool)["function"].get("parameters") or {}
    return tuple(parameters.get("required") or ())


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def digits(value: Any) -> str:
    """The digits of ``value`` ("+1 (202) 555-0100" → "12025550100")."""
    return re.sub(r"\D", "", str(value))


def customer_gave(known: Known, value: Any) -> bool:
    """Whether the customer wrote ``value``: in the newest message, or as a fact they stated
    (a value only a tool result or the model's own call named is not theirs)."""
    wanted = str(value).strip().upper()
    stated = (f for f in known.facts.values() if f.get("source") == "user")
    said = [text for text in (known.text, *(str(f.get("value", "")) for f in stated)) if text]
    if wanted and any(wanted in text.upper() for text in said):
        return True
    number = digits(wanted)
    written = (digits(text) for text in said)
    return len(number) >= 7 and any(len(d) >= 7 and number.endswith(d) for d in written)


def fill_call(call: ToolCall, tool: BaseTool, known: Known, rules: ArgumentRules) -> CallFill:
    """The call with its missing arguments filled, or held back with the question for the
    first required one that nothing determines; and the ledger events."""
    args = {k: v for k, v in (call.get("args") or {}).items() if not _missing(v)}
    events = []
    for name, supported in rules.grounded.items():
        if name in args and not supported(known, args[name]):
            events.append(f"dropped invented {tool.name}.{name}={args.pop(name)}")
    every = rules.every_when_empty.get(tool.name)
    if every in args and not customer_gave(known, args[every]):
        events.append(f"widened {tool.name}: dropped unrequested {every}={args.pop(every)}")
    required = required_args(tool)
    wanted = [*required, *(name for name in tool.args if name in rules.optional)]
    for name in wanted:
        if name in args:
            continue
        resolver = rules.sources.get(name)
        found = resolver(known, tool.name) if resolver else None
        if found is not None:
            args[name], source = found
            events.append(f"filled {tool.name}.{name}={args[name]} ({source})")
        elif name in required:
            ask = rules.questions.get(name)
            question = ask(known) if ask else f"Could you tell me the {name.replace('_', ' ')}?"
            held = HeldCall(tool=tool.name, args=dict(args), slot=name, agent="")
            return CallFill(None, [*events, f"asked for {tool.name}.{name}"], question, held)
    filled = ToolCall(name=call["name"], args=args, id=call.get("id"), type="tool_call")
    return CallFill(filled, events)


def named_item_read(
    tools: Mapping[str, BaseTool], known: Known, rules: ArgumentRules, only: str | None = None
) -> tuple[str, dict[str, Any], str] | None:
    """The item read (tool, arguments, source) for the one item the newest message names, if
    any (``only``: that read alone)."""
    for name, (argument, named) in rules.item_reads.items():
        if name not in tools or (only is not None and name != only):
            continue
        found = named(known)
        if found is not None:
            return name, {argument: found[0]}, found[1]
    return None


def narrowed_call(
    call: ToolCall, tools: Mapping[str, BaseTool], known: Known, rules: ArgumentRules
) -> tuple[ToolCall, list[str]]:
    """``call``, or the read of the one item the newest message names instead of a listing
    (see ``ArgumentRules.narrowed``); and the ledger event."""
    item_tool = rules.narrowed.get(call["name"])
    read = named_item_read(tools, known, rules, only=item_tool) if item_tool else None
    if read is None:
        return call, []
    name, args, source = read
    item = ToolCall(name=name, args=args, id=call.get("id"), type="tool_call")
    return item, [f"narrowed {call['name']} to {name}({args}) ({source})"]


def item_read_instead(
    message: AIMessage, tools: Mapping[str, BaseTool], known: Known, rules: ArgumentRules
) -> Filling | None:
    """A reply that answers with no tool call, replaced by the read of the one item the newest
    message names (a small model answers "Explain bill B2…" from nowhere); ``None``: keep it."""
    if message.tool_calls:
        return None
    read = named_item_read(tools, known, rules)
    if read is None:
        return None
    name, args, source = read
    call = ToolCall(name=name, args=args, id=f"item_{known.turn}", type="tool_call")
    updated = message.model_copy(update={"tool_calls": [call], "content": ""})
    return Filling(updated, [f"answer without a read replaced by {name}({args}) ({source})"])


def question_instead(
    call: ToolCall, tools: Mapping[str, BaseTool], known: Known, rules: ArgumentRules
) -> ToolCall | None:
    """The call that answers the customer's how-to question instead of ``call`` (see
    ``ArgumentRules.questions_instead``); ``None``: keep ``call``."""
    target = rules.questions_instead.get(call["name"])
    if target is None or rules.how_to is None or target[0] not in tools:
        return None
    name, argument, fault = target
    if known.fact(fault) is not None or not rules.how_to.search(known.text):
        return None
    return ToolCall(name=name, args={argument: known.text}, id=call.get("id"), type="tool_call")


def named_instead(
    call: ToolCall, tools: Mapping[str, BaseTool], known: Known, rules: ArgumentRules
) -> ToolCall | None:
    """The call that serves what the newest message names instead of ``call`` (see
    ``ArgumentRules.named_instead``); ``None``: keep ``call``."""
    target = rules.named_instead.get(call["name"])
    if target is None or target[0] not in tools:
        return None
    name, slot = target
    if known.fact(slot, this_turn=True) is None:
        return None
    if rules.how_to is not None and rules.how_to.search(known.text):
        return None
    return ToolCall(name=name, args={}, id=call.get("id"), type="tool_call")


def fill_reply(
    message: AIMessage, tools: Mapping[str, BaseTool], known: Known, rules: ArgumentRules
) -> Filling:
    """``message`` with every tool call's missing arguments filled from what is known; a call
    that lacks an argument nothing determines is dropped, and its question becomes the reply
    when no call remains."""
    if not message.tool_calls:
        return Filling(message)
    calls: list[ToolCall] = []
    events: list[str] = []
    asked: CallFill | None = None
    for call in message.tool_calls:
        call, narrowed = narrowed_call(call, tools, known, rules)
        events += narrowed
        tool = tools.get(call["name"])
        if tool is None:  # unknown tools get the tool node's own error
            calls.append(call)
            continue
        answer = question_instead(call, tools, known, rules)
        if answer is not None:
            calls.append(answer)
            events.append(f"a how-to question, not a {call['name']}: {answer['name']}")
            continue
        instead = named_instead(call, tools, known, rules)
        swapped = fill_call(instead, tools[instead["name"]], known, rules) if instead else None
        if swapped is not None and swapped.call is not None:
            calls.append(swapped.call)
            events += [f"named by the message: {swapped.call['name']}, not {call['name']}"]
            events += swapped.events
            continue
        result = fill_call(call, tool, known, rules)
        events += result.events
        if result.call is None:
            asked = asked or result
        else:
            calls.append(result.call)
    if calls == list(message.tool_calls):
        return Filling(message, events)
    if calls or asked is None:
        return Filling(message.model_copy(update={"tool_calls": calls}), events)
    updated = message.model_copy(update={"tool_calls": [], "content": asked.question or ""})
    return Filling(updated, events, asked.question, asked.held)


def complete_held(
    held: HeldCall, tool: BaseTool, known: Known, rules: ArgumentRules
) -> ToolCall | None:
    """The held call, complete, when what is known now (the newest message included) gives
    the value it was held for; ``None`` when it still does not (the turn goes to the model)."""
    resolver = rules.sources.get(held["slot"])
    found = resolver(known, held["tool"]) if resolver else None
    if found is None:
        return None
    args = {**held["args"], held["slot"]: found[0]}
    call = ToolCall(name=held["tool"], args=args, id="", type="tool_call")
    return fill_call(call, tool, known, rules).call
