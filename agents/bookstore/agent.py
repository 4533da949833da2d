"""The bookstore agent's nodes: start the turn, call the model under budget, route to tools."""

from __future__ import annotations

import logging
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from langchain_core.tools import BaseTool
from langgraph.runtime import Runtime

from agents.bookstore.memory import ask_update, newest_user_text
from agents.bookstore.state import FACT_PRIORITY, BookstoreState
from agents.bookstore.turn_plan import TurnPlan, plan_turn
from agents.context import Context
from agents.input_guard import InvalidMessage, check_message
from agents.models import chat_model
from conversation.assembly import Budgets, assemble
from conversation.tokens import get_counter
from llm.factory import policy_model, resolve_spec
from prompts.loader import render
from tools.catalogue import READ_TOOLS, open_catalogue

log = logging.getLogger(__name__)

STORE = "Lantern Books"
"""The shop's name in the prompt."""
AGENT = "bookstore"
MAX_MODEL_CALLS = 4
"""Model calls per turn; the last one gets no tools, so the turn always ends with a reply."""


def bookstore_tools() -> list[BaseTool]:
    """The catalogue tools the assistant may call."""
    return list(READ_TOOLS)


def bookstore_model(spec: str) -> BaseChatModel:
    """The chat model for ``spec``; a stand-in model plays the bookstore's scripted policy."""
    resolved = resolve_spec(spec)
    played = policy_model(resolved, "bookstore")
    return played if played is not None else chat_model(resolved)


def begin_turn(state: BookstoreState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Count the turn, refuse unusable input, and note the name and the book the customer gave."""
    context = runtime.context or Context()
    turn = state.get("turn", 0) + 1
    messages = state.get("messages", [])
    newest = messages[-1] if messages else None
    update: dict[str, Any] = {"turn": turn, "model_calls": 0, "agent": AGENT, "refused": False}
    try:
        if not isinstance(newest, HumanMessage):
            raise InvalidMessage("The turn has no user message. Send the customer's message.")
        text = check_message(newest.content, context.max_message_chars)
    except InvalidMessage as problem:
        update["refused"] = True
        update["messages"] = [AIMessage(content=str(problem), name="guard")]
        if isinstance(newest, HumanMessage) and newest.id:
            update["messages"].insert(0, RemoveMessage(id=newest.id))
        update["ledger"] = {"turn": turn, "guard": {"input": f"refused: {problem}"}}
        return update
    facts = ask_update(state.get("facts"), text, turn)
    if facts:
        update["facts"] = facts
    return update


def route_after_begin(state: BookstoreState) -> Literal["bookstore", "__end__"]:
    """Refused input ends the turn; anything else goes to the assistant."""
    return "__end__" if state.get("refused") else "bookstore"


def this_turn(state: BookstoreState) -> TurnPlan:
    """The engine's decisions for the current turn (which book "it" is, what must be said)."""
    messages = state.get("messages", [])
    return plan_turn(
        state.get("facts"), newest_user_text(messages), state.get("turn", 0), open_catalogue()
    )


def system_text(plan: TurnPlan) -> str:
    """The policy, then this turn's decisions (the policy stays a stable prompt prefix)."""
    policy = render("bookstore", store=STORE)
    return (
        f"{policy}\n\nThis turn (decided by the shop's records; follow it): {plan.note}"
        if plan.note
        else policy
    )


def guard_reply(reply: AIMessage, plan: TurnPlan) -> tuple[AIMessage, list[str]]:
    """The final reply, replaced by the engine's when it leaves out a decided fact."""
    missing = plan.missing(str(reply.content)) if plan.fallback else []
    if not missing:
        return reply, []
    return AIMessage(content=plan.fallback), missing


def call_model(state: BookstoreState, runtime: Runtime[Context]) -> dict[str, Any]:
    """One model call over the budgeted prompt: policy and this turn's decisions, fact sheet,
    recent window; a final reply that leaves out a decided fact gets the engine's reply."""
    context = runtime.context or Context()
    calls = state.get("model_calls", 0) + 1
    plan = this_turn(state)
    assembled = assemble(
        system=system_text(plan),
        window=list(state.get("messages", [])),
        counter=get_counter(context.model),
        budgets=Budgets(
            total=context.token_budget,
            facts=context.facts_budget,
            summary=context.summary_budget,
            passages=context.passages_budget,
            window=context.window_budget,
        ),
        facts=state.get("facts") or {},
        fact_priority=FACT_PRIORITY,
    )
    try:
        model: Any = bookstore_model(context.model)
        if plan.tools and calls < MAX_MODEL_CALLS:
            model = model.bind_tools(bookstore_tools())
        reply = model.invoke(assembled.messages)
    except Exception as error:  # a model failure must not break the thread
        log.warning("bookstore model failed on turn %s: %s", state.get("turn"), error)
        reply = AIMessage(
            content="Sorry, I can't reach the catalogue assistant right now. Please try again."
        )
    if not isinstance(reply, AIMessage):
        reply = AIMessage(content=str(getattr(reply, "content", reply)))
    missing: list[str] = []
    if not reply.tool_calls:
        reply, missing = guard_reply(reply, plan)
    reply.name = AGENT
    guard = {"output": f"replaced: the reply left out {', '.join(missing)}"} if missing else {}
    return {
        "messages": [reply],
        "model_calls": calls,
        "ledger": {
            **({"guard": guard} if guard else {}),
            "turn": state.get("turn", 0),
            "sections": dict(assembled.sections),
            "total_tokens": assembled.total,
            "budget": context.token_budget,
            "cut": list(assembled.cut),
            "agent": AGENT,
            "model_calls": calls,
        },
    }


def route_after_model(state: BookstoreState) -> Literal["tools", "remember"]:
    """Run the tools the reply calls; otherwise the turn ends."""
    messages = state.get("messages", [])
    last = messages[-1] if messages else None
    if isinstance(last, AIMessage) and last.tool_calls:
        return "tools"
    return "remember"
