"""Graphs the context benchmark runs: the baseline, and a minimal stand-in built on the engine."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, MessagesState, StateGraph

from conversation.assembly import Budgets, assemble
from conversation.facts import FactExtractor, generic_patterns
from conversation.phases import TurnEvents, derive_phase
from conversation.state import ConversationState
from conversation.summary import fold
from conversation.tokens import get_counter
from conversation.transcript import open_transcript

SYSTEM_PROMPT = (
    "You are the support assistant of a service provider. Answer the customer's latest "
    "message briefly and politely. Use the known facts and the summary of the earlier "
    "conversation; never ask again for something the facts already hold. When a change "
    "needs the customer's confirmation, ask for it explicitly and wait. If you cannot "
    "help, offer a human colleague."
)
"""The system prompt both benchmark graphs send (the support graph sends its own)."""


def build_baseline(model: BaseChatModel) -> StateGraph:
    """A plain graph that sends the whole message history to the model every turn."""

    def respond(state: MessagesState) -> dict[str, Any]:
        reply = model.invoke([SystemMessage(content=SYSTEM_PROMPT), *state["messages"]])
        return {"messages": [reply]}

    builder = StateGraph(MessagesState)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    builder.add_edge("respond", END)
    return builder


def _thread(config: RunnableConfig) -> str:
    """The thread id of a run."""
    return str(config.get("configurable", {}).get("thread_id", ""))


def build_standin(model: BaseChatModel, budgets: Budgets, model_spec: str) -> StateGraph:
    """The engine end to end without a domain: facts → assembled prompt → model → fold.

    Used when the support graph is not available; it shows what the engine alone costs.
    """
    counter = get_counter(model_spec)
    extractor = FactExtractor(generic_patterns())

    def start_turn(state: ConversationState) -> dict[str, Any]:
        turn = state.get("turn", 0) + 1
        newest = state["messages"][-1]
        text = str(newest.content) if isinstance(newest, HumanMessage) else ""
        return {"turn": turn, "facts": extractor.apply(state.get("facts", {}), text, turn)}

    def respond(state: ConversationState) -> dict[str, Any]:
        prompt = assemble(
            system=SYSTEM_PROMPT,
            window=state["messages"],
            counter=counter,
            budgets=budgets,
            facts=state.get("facts", {}),
            fact_priority=["name", "phone", "email"],
            summary=state.get("summary", ""),
        )
        reply = model.invoke(prompt.messages)
        answer = AIMessage(content=str(reply.content), name="general")
        entry = {
            "turn": state.get("turn", 0),
            "sections": prompt.sections,
            "total_tokens": prompt.total,
            "budget": prompt.budget,
            "cut": prompt.cut,
        }
        return {"messages": [answer], "ledger": entry}

    def remember(state: ConversationState, config: RunnableConfig) -> dict[str, Any]:
        messages = list(state["messages"])
        turn = state.get("turn", 0)
        open_transcript().append(_thread(config), messages[-2:], turn=turn, agent="general")
        update: dict[str, Any] = {
            "phase": derive_phase(state.get("phase"), state.get("stack", []), TurnEvents()),
            "ledger": {"turn": turn, "folded": 0, "stack_depth": len(state.get("stack", []))},
        }
        result = fold(
            messages,
            summary=state.get("summary", ""),
            counter=counter,
            window_budget=budgets.window,
            summary_budget=budgets.summary,
            facts=state.get("facts", {}),
        )
        if result is not None:
            update["messages"] = result.removals
            update["summary"] = result.summary
            update["ledger"] = {**update["ledger"], "folded": result.folded}
        return update

    builder = StateGraph(ConversationState)
    builder.add_node("start_turn", start_turn)
    builder.add_node("respond", respond)
    builder.add_node("remember", remember)
    builder.add_edge(START, "start_turn")
    builder.add_edge("start_turn", "respond")
    builder.add_edge("respond", "remember")
    builder.add_edge("remember", END)
    return builder
