"""The agent step shared by every sub-agent: assemble the prompt, call the model, keep it safe."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import BaseTool
from langgraph.config import get_config
from langgraph.runtime import Runtime

from agents.argument_rules import support_argument_rules
from agents.arguments import Account, ArgumentRules, Known, fill_reply, item_read_instead
from agents.context import Context
from agents.dialog import last_reply, off_topic_redirect
from agents.models import chat_model
from agents.prompting import BRAND, build_prompt
from agents.proposals import proposed_write, requested_write
from agents.slots import (
    HOW_TO,
    PERSON_REQUEST,
    WRITE_PROPOSALS,
    WRITE_REQUESTS,
    support_extractor,
)
from agents.spec import AgentSpec
from agents.state import HeldCall, SupportState
from conversation.facts import FactSheet
from conversation.stack import top
from prompts.loader import load, render
from tools.handoff import transfer_to_human

log = logging.getLogger(__name__)

HANDOFF_TOOL = transfer_to_human.name
"""The handoff tool: a request for a change is not answered by handing the customer over."""
IDENTITY_TOOL_NAMES = frozenset({"verify_customer"})
"""Tools that only make sense before the customer is identified."""


def one_write_per_reply(message: AIMessage, write_tools: frozenset[str]) -> AIMessage:
    """Keep read calls and only the first write call, so one confirmation covers one change."""
    kept, seen_write = [], False
    for call in message.tool_calls:
        if call["name"] in write_tools:
            if seen_write:
                continue
            seen_write = True
        kept.append(call)
    if len(kept) == len(message.tool_calls):
        return message
    return message.model_copy(update={"tool_calls": kept})


def last_user_text(state: SupportState) -> str:
    """The newest human message of the window."""
    for message in reversed(state.get("messages", [])):
        if isinstance(message, HumanMessage):
            return str(message.content)
    return ""


def apology(state: SupportState, error: Exception, agent: str) -> dict[str, Any]:
    """State update when every model failed: apologise, offer a human, keep the input."""
    log.warning("model failed for agent turn %s: %s", state.get("turn"), error)
    return {
        "messages": [AIMessage(content=load("handoff_offer"), name=agent)],
        "pending_input": last_user_text(state),
        "model_calls": state.get("model_calls", 0) + 1,
        "ledger": {
            "turn": state.get("turn", 0),
            "events": [f"model_failed: {type(error).__name__}"],
        },
    }


def thread_scoped_ids(message: AIMessage, thread_id: str) -> AIMessage:
    """Tool-call ids made unique per thread (deterministic), whatever the model returned.

    Writes run once per tool-call id; a model that derives ids from the conversation text
    (the scripted and local models do) would give two threads with the same words the same
    id, and the second would replay the first's result. Scoping by thread prevents that.
    """
    if not message.tool_calls or not thread_id:
        return message
    calls = []
    for index, call in enumerate(message.tool_calls):
        seed = f"{thread_id}|{call.get('id') or index}|{call['name']}"
        calls.append({**call, "id": "call_" + hashlib.sha256(seed.encode()).hexdigest()[:24]})
    return message.model_copy(update={"tool_calls": calls})


def usable_tools(spec: AgentSpec, state: SupportState, context: Context) -> list[BaseTool]:
    """The agent's tools for this call: identity lookup only while nobody is identified."""
    identified = bool(context.customer_id or state.get("verified_customer_id"))
    return [t for t in spec.tools if not (identified and t.name in IDENTITY_TOOL_NAMES)]


TOOL_ROUNDS_BEFORE_ANSWER = 2
"""Tool rounds an agent may make for one user message before it must answer (small models
otherwise keep reading "just in case" and drift into actions nobody asked for)."""


def tool_rounds(state: SupportState, agent: str) -> int:
    """How many times ``agent`` has called tools since the newest user message."""
    rounds = 0
    for message in reversed(state.get("messages", [])):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, AIMessage) and message.tool_calls and message.name == agent:
            rounds += 1
    return rounds


def bound_model(spec: AgentSpec, state: SupportState, context: Context) -> Any:
    """The agent's model with its usable tools; answer-only once its tool rounds are used."""
    answer_only = tool_rounds(state, spec.name) >= TOOL_ROUNDS_BEFORE_ANSWER
    return chat_model(context.model).bind_tools(
        usable_tools(spec, state, context), tool_choice="none" if answer_only else None
    )


def tools_by_name(spec: AgentSpec) -> dict[str, BaseTool]:
    """``spec``'s tools by name."""
    return {tool.name: tool for tool in spec.tools}


def known_for(state: SupportState, context: Context) -> Known:
    """What the engine knows to fill tool arguments with, this step."""
    customer = context.customer_id or state.get("verified_customer_id")
    facts = state.get("facts") or {}
    text = last_user_text(state)
    return Known(
        facts=facts,
        turn=state.get("turn", 0),
        text=text,
        account=Account(customer, context.database_url),
        act=str(state.get("act") or ""),
        said=named_slots(text, facts),
    )


def named_slots(text: str, facts: FactSheet) -> frozenset[str]:
    """The fact slots ``text`` names (the support domain's extractor)."""
    return frozenset(item.slot for item in support_extractor().extract(text, facts))


def write_to_quote(
    reply: AIMessage, spec: AgentSpec, state: SupportState, context: Context
) -> tuple[BaseTool | None, str]:
    """The write tool whose quote should replace ``reply``, and why (``None``: keep it).

    Two cases: the reply asks yes/no about a change in free text (that would bypass the
    confirmation step), or the customer's request (or a question that is no how-to: "can I
    settle the late one now?") names a change and the reply, in the turn's first round,
    makes no change (a small model reaches for a read: "pay my overdue
    bill" → the overdue check, "open a ticket" → a handoff).
    """
    usable = [t for t in usable_tools(spec, state, context) if t.name in spec.write_tools]
    if not reply.tool_calls and isinstance(reply.content, str):
        tool = proposed_write(reply.content, usable, WRITE_PROPOSALS)
        if tool is not None:
            return tool, "free-text yes/no"
    text = last_user_text(state)
    asked = state.get("act") == "request" or (
        state.get("act") == "question" and not HOW_TO.search(text)
    )
    if not asked or tool_rounds(state, spec.name) > 0:
        return None, ""
    called = {call["name"] for call in reply.tool_calls}
    if called & (spec.write_tools - {HANDOFF_TOOL}):
        return None, ""
    tool = requested_write(text, usable, WRITE_REQUESTS)
    if tool is None or tool.name in called:
        return None, ""
    return tool, "requested change"


def first_answer(state: SupportState, spec: AgentSpec) -> bool:
    """Whether this is ``spec``'s first reply to a task question or request this turn."""
    frame = top(state.get("stack") or [])
    if frame is not None and frame["pending_action"] is not None:
        return False
    return state.get("act") in ("question", "request") and tool_rounds(state, spec.name) == 0


def unasked_handoff(reply: AIMessage, state: SupportState) -> bool:
    """Whether ``reply`` hands the conversation to a person nobody asked for: the newest
    message asks for none and is no yes to a transfer the bot offered (a small model
    transfers what it cannot answer; the bot's rule is to offer, ``prompts/support_base.md``)."""
    if not any(call["name"] == HANDOFF_TOOL for call in reply.tool_calls):
        return False
    if PERSON_REQUEST.search(last_user_text(state)):
        return False
    return not (state.get("act") == "yes" and PERSON_REQUEST.search(last_reply(state)))


def instead_of_handoff(state: SupportState) -> str:
    """The reply for a handoff nobody asked for: the off-topic redirect for an off-topic
    message, else what the bot can do and how to reach a person."""
    if state.get("intent") == "out_of_scope":
        return off_topic_redirect()
    return render("handoff_unasked", brand=BRAND)


def quote_instead(
    reply: AIMessage, spec: AgentSpec, state: SupportState, context: Context, prompt: Any
) -> tuple[AIMessage, int, list[str]]:
    """``reply`` replaced by the call of the write tool it should have made (one more model
    call, constrained to that tool; see ``write_to_quote``); also the extra calls made and
    the ledger note."""
    tool, why = write_to_quote(reply, spec, state, context)
    if tool is None:
        return reply, 0, []
    try:
        forced = chat_model(context.model).bind_tools([tool], tool_choice=tool.name).invoke(prompt)
    except Exception as error:  # keep the reply; the confirmation step still guards writes
        log.warning("forcing %s failed: %s", tool.name, error)
        return reply, 1, [f"{why} about {tool.name} kept: {type(error).__name__}"]
    if isinstance(forced, AIMessage) and forced.tool_calls:
        note = f"{why} turned into the quote of {tool.name}"
        return forced.model_copy(update={"content": ""}), 1, [note]
    return reply, 1, [f"{why} about {tool.name} kept: no call"]


def make_agent_node(spec: AgentSpec, rules: ArgumentRules | None = None) -> Any:
    """The graph node that runs one model call of ``spec``'s agent (``rules`` fill the
    arguments a tool call leaves out; default: the support domain's)."""
    rules = rules or support_argument_rules()

    def run_agent(state: SupportState, runtime: Runtime[Context]) -> dict[str, Any]:
        context = runtime.context or Context()
        try:
            prompt = build_prompt(spec.prompt, state, context, system=spec.policy or None)
            model = bound_model(spec, state, context)
            reply = model.invoke(prompt.messages)
        except Exception as error:
            return apology(state, error, spec.name)
        if not isinstance(reply, AIMessage):
            reply = AIMessage(content=str(getattr(reply, "content", reply)))
        reply, forced, notes = quote_instead(reply, spec, state, context, prompt.messages)
        if unasked_handoff(reply, state):
            reply = AIMessage(content=instead_of_handoff(state))
            notes.append("unasked handoff replaced by a reply")
        reply = one_write_per_reply(reply, spec.write_tools)
        known = known_for(state, context)
        filling = fill_reply(reply, tools_by_name(spec), known, rules)
        if spec.states_results and first_answer(state, spec):
            filling = (
                item_read_instead(filling.message, tools_by_name(spec), known, rules) or filling
            )
        reply = filling.message
        thread = str((get_config().get("configurable") or {}).get("thread_id") or "")
        reply = thread_scoped_ids(reply, thread)
        reply.name = spec.name
        usage = reply.response_metadata or {}
        held = HeldCall(**{**filling.held, "agent": spec.name}) if filling.held else None
        return {
            "messages": [reply],
            "held_call": held,
            "agent": spec.name,
            "model_calls": state.get("model_calls", 0) + 1 + forced,
            "ledger": {
                "turn": state.get("turn", 0),
                "sections": prompt.sections,
                "total_tokens": prompt.total,
                "budget": context.token_budget,
                "cut": prompt.cut,
                "agent": spec.name,
                "model_calls": state.get("model_calls", 0) + 1 + forced,
                "prefix_reused_tokens": int(usage.get("prefix_reused_tokens", 0) or 0),
                "events": [*notes, *filling.events],
            },
        }

    run_agent.__name__ = spec.name
    return run_agent
