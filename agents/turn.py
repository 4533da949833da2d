"""Turn entry: guard the input, classify it and decide who answers (nodes bound to a roster)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from langgraph.config import get_config
from langgraph.runtime import Runtime
from langgraph.types import Command

from agents.argument_rules import support_argument_rules
from agents.arguments import Account, ArgumentRules, Known, complete_held
from agents.base import last_user_text, named_slots, thread_scoped_ids, tools_by_name
from agents.confirm_step import answer_call_message
from agents.context import Context
from agents.dialog import TASK_SLOTS, TurnPlan, plan_turn, with_task_slots
from agents.guards.budget import over_budget
from agents.identify import (
    ASK_IDENTITY,
    has_identity_tool,
    identified,
    identity_task,
    verification_call,
)
from agents.input_guard import InvalidMessage, check_message
from agents.proposals import requested_write
from agents.roster import Roster
from agents.slots import WRITE_REQUESTS, support_extractor
from agents.state import HeldCall, SupportState
from agents.triage import Triage, triage
from conversation.facts import FactSheet
from conversation.identity import identity_details, without_identity
from conversation.replay import replayed_request
from conversation.stack import top

Node = Callable[..., Any]


def guard_input(
    state: SupportState, runtime: Runtime[Context]
) -> Command[Literal["screen_input", "await_answer"]]:
    """Start the turn: count it, reset per-turn fields, and refuse unusable input.

    A refused message is removed again and answered with what is wrong; whatever waited for
    the customer (a confirmation) still waits.
    """
    context = runtime.context or Context()
    turn = state.get("turn", 0) + 1
    messages = state.get("messages", [])
    newest = messages[-1] if messages else None
    update: dict[str, Any] = {"turn": turn, "model_calls": 0, "pending_input": None}
    try:
        if not isinstance(newest, HumanMessage):
            raise InvalidMessage("The turn has no user message. Send the customer's message.")
        cleaned = check_message(newest.content, context.max_message_chars)
    except InvalidMessage as problem:
        update["guard"] = {"ok": False, "reason": str(problem)}
        update["ledger"] = {"turn": turn, "guard": {"input": f"refused: {problem}"}}
        update["messages"] = [AIMessage(content=str(problem), name="guard")]
        if isinstance(newest, HumanMessage):
            update["messages"].insert(0, RemoveMessage(id=newest.id or ""))
        return Command(goto="await_answer", update=update)
    if cleaned != newest.content:
        update["messages"] = [HumanMessage(content=cleaned, id=newest.id)]
    update["guard"] = {"ok": True, "reason": ""}
    update["ledger"] = {"turn": turn, "guard": {"input": "ok"}}
    return Command(goto="screen_input", update=update)


def changed_task_values(before: FactSheet, after: FactSheet, slots: Sequence[str]) -> bool:
    """Whether the message gave one of the task's ``slots`` a value different from before."""
    for slot in slots:
        old, new = before.get(slot), after.get(slot)
        if new is not None and (old is None or old.get("value") != new.get("value")):
            return True
    return False


def make_classify_intent(roster: Roster, rules: ArgumentRules | None = None) -> Node:
    """The node that decides the intent and act, updates facts and plans the dialog stack
    (``rules``: how a held call's missing argument is found; default: the support domain's)."""
    rules = rules or support_argument_rules()

    def classify_intent(state: SupportState, runtime: Runtime[Context]) -> Command[str]:
        context = runtime.context or Context()
        text = last_user_text(state)
        current = top(state.get("stack") or [])
        task = current["task"] if current else ""
        verdicts = with_requested_task(triage_message(text, state, context, task), text, roster)
        first = verdicts[0]
        turn = state.get("turn", 0)
        before = state.get("facts") or {}
        facts = support_extractor().apply(before, text, turn)
        task_slots = roster.spec(current["agent"]).topic_slots if current else TASK_SLOTS
        changed = changed_task_values(before, facts, task_slots)
        plan = plan_turn(state, verdicts, roster, changed)
        plan.stack = with_task_slots(plan.stack, facts)
        verify = gate_identity(plan, state, context, first, roster)
        events = list(plan.events)
        events += [
            f"correction: {slot}" for slot, fact in facts.items() if "corrected_from" in fact
        ]
        update = {
            **plan.update(),
            "intent": first.intent,
            "act": first.act,
            "facts": facts,
            "ledger": {
                "turn": turn,
                "intent": first.intent,
                "act": first.act,
                "classifier_path": first.path,
                "agent": plan.agent,
                "events": events,
            },
        }
        update["held_call"] = None
        if verify is not None:
            update["messages"] = [verify]
            update["ledger"]["events"] = [*events, "identity: check the details given"]
            return Command(goto=roster.spec(plan.agent).tools_node, update=update)
        account = Account(customer_of(state, context), context.database_url)
        sheet = {**before, **facts}
        known = Known(sheet, turn, text, account, first.act, named_slots(text, sheet))
        completed = complete_held_call(state.get("held_call"), plan, known, roster, rules)
        if completed is not None:
            update["messages"] = [completed]
            done = completed.tool_calls[0]
            update["ledger"]["events"] = [*events, f"held call completed: {done['name']}"]
            return Command(goto=roster.spec(plan.agent).tools_node, update=update)
        goto = next_step(plan, roster, update)
        return Command(goto=goto, update=update)

    return classify_intent


IDENTITY_ONLY = Triage("none", "request", 1.0, 1.0, "identity")
"""The verdict for a message that only gives identity details while nobody is identified."""


def triage_message(text: str, state: SupportState, context: Context, task: str) -> list[Triage]:
    """The verdicts for ``text``, read without its identity details (they carry no intent).

    A message that is nothing but identity details ("+1 (202) 555-0100", "my phone number is
    …") is not classified at all while nobody is identified: it answers the identity question,
    and the classifier would read a bare number as off topic.
    """
    said = without_identity(text)
    unknown = not identified(state, context.customer_id)
    if not said and unknown and identity_details(text).usable:
        return [IDENTITY_ONLY]
    return triage(said or text, context.model, context.classifier_threshold, task)


def with_requested_task(verdicts: list[Triage], text: str, roster: Roster) -> list[Triage]:
    """``verdicts`` with an off-topic first verdict replaced by the task whose change the
    message asks for by name ("… can someone look into it? open a ticket pls" → the agent
    that opens tickets): naming an action of exactly one agent is a request of its task."""
    first = verdicts[0]
    if first.intent != "out_of_scope":
        return verdicts
    owners = []
    for spec in roster:
        writes = [tool for tool in spec.tools if tool.name in spec.write_tools]
        if spec.task and spec.intents and requested_write(text, writes, WRITE_REQUESTS):
            owners.append(spec)
    if len(owners) != 1:
        return verdicts
    intent = sorted(owners[0].intents)[0]
    task = Triage(intent, "request", 1.0, first.act_confidence, "rule", first.text)
    return [task, *verdicts[1:]]


def customer_of(state: SupportState, context: Context) -> str | None:
    """The signed-in or verified customer, if any."""
    return context.customer_id or state.get("verified_customer_id")


def complete_held_call(
    held: HeldCall | None, plan: TurnPlan, known: Known, roster: Roster, rules: ArgumentRules
) -> AIMessage | None:
    """The engine's call of the tool call held for the value the last reply asked for, when
    this message gives it and the turn stays with that agent ("Which line?" → "the 0110
    one" runs the diagnostic on it; no model call). ``None``: the turn goes on as planned."""
    if held is None or plan.agent != held["agent"] or plan.direct_reply or plan.replay:
        return None
    if plan.answer is not None:
        return None
    tool = tools_by_name(roster.spec(held["agent"])).get(held["tool"])
    call = complete_held(held, tool, known, rules) if tool is not None else None
    if call is None:
        return None
    message = AIMessage(
        content="", tool_calls=[{**call, "id": f"held_{known.turn}"}], name=held["agent"]
    )
    thread = str((get_config().get("configurable") or {}).get("thread_id") or "")
    return thread_scoped_ids(message, thread)


def gate_identity(
    plan: TurnPlan, state: SupportState, context: Context, verdict: Triage, roster: Roster
) -> AIMessage | None:
    """While nobody is identified: the engine's identity call when the message gives the
    details, else (for a request that needs the account) the identity question, with the
    request kept until the customer is verified."""
    spec = roster.spec(plan.agent)
    if identified(state, context.customer_id) or not has_identity_tool(spec):
        return None
    if plan.direct_reply or plan.answer is not None:
        return None
    text = last_user_text(state)
    details = identity_details(text)
    if details.usable:
        return verification_call(details, state.get("turn", 0), spec.name)
    if spec.task:
        plan.direct_reply = ASK_IDENTITY
        plan.queued = identity_task(text, verdict.intent, plan.queued)
        plan.events.append("identity: asked, request kept")
    return None


def next_step(plan: TurnPlan, roster: Roster, update: dict[str, Any]) -> str:
    """Where the turn goes after planning; adds the plan's messages to ``update``."""
    if plan.direct_reply:
        return "reply_directly"
    if plan.answer is not None and plan.pending is not None:
        update["messages"] = [answer_call_message(plan.pending, plan.answer, plan.agent)]
        return roster.spec(plan.agent).tools_node
    if plan.replay:
        update["messages"] = [replayed_request(plan.replay)]
    return roster.spec(plan.agent).name


def classify_destinations(roster: Roster) -> tuple[str, ...]:
    """Every node ``classify_intent`` may hand the turn to."""
    return ("reply_directly", *roster.names, *roster.tools_nodes)


def reply_directly(state: SupportState) -> dict[str, Any]:
    """Say the reply that ``classify_intent`` decided (a cancel, a question, a notice)."""
    return {
        "messages": [AIMessage(content=state.get("direct_reply") or "", name=state.get("agent"))],
        "direct_reply": None,
    }


def route_after_agent(state: SupportState) -> str:
    """Run the agent's tools when its reply calls any (within the turn's model-call budget);
    otherwise the reply goes through the output guard. Returns a node name (the tools node
    is ``<agent>_tools``; the graph lists every destination from its roster)."""
    messages = state.get("messages", [])
    last = messages[-1] if messages else None
    if isinstance(last, AIMessage) and last.tool_calls:
        if over_budget(state):
            return "stop_tool_loop"
        return f"{last.name or state.get('agent')}_tools"
    return "guard_output"
