"""Graph nodes for the guards: screen the user's message, check the reply before it is sent."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.runtime import Runtime

from agents.context import Context
from agents.dialog import off_topic_redirect
from agents.guards.claims import Claim
from agents.guards.input_screen import InputVerdict, inspect_input
from agents.guards.output_guard import Review, correction_note, review_reply
from agents.intent_classifier import IntentClassifier
from agents.models import chat_model
from agents.prompting import build_prompt
from agents.roster import Roster
from agents.slots import SUPPORT_WORDS
from agents.spec import AgentSpec
from agents.state import SupportState
from tools.store import open_store

security_log = logging.getLogger("switchboard.security")


def ledger_update(
    state: Mapping[str, Any], guard: dict[str, str], events: Sequence[str] = ()
) -> dict[str, Any]:
    """A ledger entry for this turn that keeps the guard verdicts already recorded.

    ``append_ledger`` merges entries of the same turn key by key (``events`` accumulate,
    other fields are replaced), so the nested ``guard`` dict is combined here.
    """
    turn = int(state.get("turn", 0) or 0)
    entries = state.get("ledger") or []
    current = entries[-1] if entries and entries[-1].get("turn") == turn else {}
    entry: dict[str, Any] = {"turn": turn, "guard": {**(current.get("guard") or {}), **guard}}
    if events:
        entry["events"] = list(events)
    return entry


def _newest_human(messages: Sequence[BaseMessage]) -> tuple[HumanMessage | None, list[BaseMessage]]:
    """The newest human message and the human messages before it."""
    humans = [m for m in messages if isinstance(m, HumanMessage)]
    if not humans:
        return None, []
    return humans[-1], list(humans[:-1])


def local_classifier(text: str) -> tuple[str, float]:
    """Top intent and confidence of the local triage classifier (the input guard's 2nd signal)."""
    prediction = IntentClassifier.load().predict(text)
    return prediction.intent, prediction.intent_confidence


def screen(state: Mapping[str, Any], context: Context) -> InputVerdict:
    """The input verdict for the newest user message of ``state``."""
    newest, earlier = _newest_human(state.get("messages") or [])
    if newest is None:
        return inspect_input("", customer_id=context.customer_id)
    return inspect_input(
        newest.content,
        earlier,
        customer_id=context.customer_id,
        max_chars=context.max_message_chars,
        classifier=local_classifier,
    )


def record_flagged(context: Context, verdict: InputVerdict) -> None:
    """Count a flagged message in the store's security events (which also logs it, no text)."""
    try:
        store = open_store(context.database_url or None)
        store.record_security_event(
            context.customer_id, "screen_input", "input_flagged", ",".join(verdict.flags)
        )
    except Exception as error:  # counting must never break the turn; the log still has it
        security_log.warning(
            "input flagged (%s); not counted: %s", ",".join(verdict.flags), type(error).__name__
        )


def screen_input(state: SupportState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Node after ``guard_input``: flag hostile messages and answer them with a safe redirect.

    The user's message stays in state (never silently dropped); the redirect is added as an
    AI message named ``guard`` and the verdict goes to the ledger and ``guard``.
    """
    context = runtime.context or Context()
    verdict = screen(state, context)
    if verdict.ok:
        update: dict[str, Any] = {
            "guard": {**(state.get("guard") or {}), "input": verdict.to_dict()}
        }
        if verdict.notes:
            update["ledger"] = ledger_update(state, verdict.ledger_guard())
        return update
    record_flagged(context, verdict)
    return {
        "messages": [AIMessage(content=verdict.safe_reply or "", name="guard")],
        "guard": {
            "ok": False,
            "reason": "flagged: " + ",".join(verdict.flags),
            "input": verdict.to_dict(),
        },
        "ledger": ledger_update(
            state, verdict.ledger_guard(), [f"input_flagged: {','.join(verdict.flags)}"]
        ),
    }


def route_after_screen(state: SupportState) -> Literal["classify_intent", "remember"]:
    """A flagged message skips the agents (its redirect is already the reply) but is still
    remembered: transcript, phase and ledger record it like any other turn."""
    return "classify_intent" if (state.get("guard") or {}).get("ok", True) else "remember"


def turn_sources(state: Mapping[str, Any]) -> list[str]:
    """What a reply may be grounded in: the tool results still in the window (this turn's
    and earlier ones), earlier replies in the window (each was checked when it was sent, so a
    repeat stays grounded), fact-sheet values and KB passages."""
    messages = list(state.get("messages") or [])
    final = final_reply(state)
    sources = [str(m.content) for m in messages if isinstance(m, ToolMessage)]
    sources += [
        str(m.content)
        for m in messages
        if isinstance(m, AIMessage) and m is not final and isinstance(m.content, str)
    ]
    for slot, fact in (state.get("facts") or {}).items():
        value = fact.get("value") if isinstance(fact, Mapping) else None
        if value:
            sources.append(f"{slot}: {value}")
    passages = state.get("passages") or []
    sources.extend(str(p) for p in passages if isinstance(p, str))
    return [source for source in sources if source]


def plan_catalog(database_url: str) -> dict[str, str]:
    """Plan id → plan name from the telco store ({} when the store cannot be opened)."""
    try:
        return {plan.plan_id: plan.name for plan in open_store(database_url or None).plans()}
    except Exception as error:  # without a catalog, plans are checked by name
        security_log.warning("output guard: no plan catalog (%s)", type(error).__name__)
        return {}


def regenerate_reply(
    state: Mapping[str, Any], context: Context, claims: list[Claim], spec: AgentSpec
) -> str | None:
    """One more model call for the same agent, told which claims lacked support (no tools)."""
    window = list(state.get("messages") or [])[:-1]
    trimmed: dict[str, Any] = {**state, "messages": window}
    prompt = build_prompt(spec.prompt, trimmed, context, system=spec.policy or None)  # type: ignore[arg-type]
    reply = chat_model(context.model).invoke(
        [*prompt.messages, SystemMessage(content=correction_note(claims))]
    )
    if not isinstance(reply, AIMessage) or reply.tool_calls:
        return None
    return str(reply.content) if isinstance(reply.content, str) else None


def final_reply(state: Mapping[str, Any]) -> AIMessage | None:
    """The agent's reply that ends the turn (an AI message with text and no tool calls)."""
    messages = state.get("messages") or []
    last = messages[-1] if messages else None
    if (
        isinstance(last, AIMessage)
        and not last.tool_calls
        and isinstance(last.content, str)
        and last.content
    ):
        return last
    return None


def review(state: Mapping[str, Any], context: Context, roster: Roster) -> Review | None:
    """Review the turn's final reply against its sources (``None`` when there is no reply)."""
    reply = final_reply(state)
    if reply is None or reply.name == "guard":
        return None
    spec = roster.spec(state.get("agent"))
    return review_reply(
        str(reply.content),
        turn_sources(state),
        plan_catalog(context.database_url),
        lambda claims: regenerate_reply(state, context, claims, spec),
    )


def make_guard_output(roster: Roster) -> Callable[..., dict[str, Any]]:
    """The node between a final reply and ``remember``: keep, regenerate once, or replace it."""

    def guard_output(state: SupportState, runtime: Runtime[Context]) -> dict[str, Any]:
        return checked_reply(state, runtime.context or Context(), roster)

    return guard_output


def serves_no_task(state: Mapping[str, Any], roster: Roster) -> bool:
    """Whether the fallback agent just answered an off-topic message off topic (a reply that
    names nothing the bot helps with, with no tool run: a weather forecast, a recipe)."""
    reply = final_reply(state)
    if reply is None or state.get("intent") != "out_of_scope" or reply.name == "guard":
        return False
    if roster.spec(state.get("agent")).task or step_used_tools(state):
        return False
    return not SUPPORT_WORDS.search(str(reply.content))


def step_used_tools(state: Mapping[str, Any]) -> bool:
    """Whether a tool ran since the newest user message."""
    for message in reversed(state.get("messages") or []):
        if isinstance(message, HumanMessage):
            return False
        if isinstance(message, ToolMessage):
            return True
    return False


def checked_reply(state: SupportState, context: Context, roster: Roster) -> dict[str, Any]:
    """The output guard's state update for the turn's final reply."""
    if serves_no_task(state, roster):
        original = final_reply(state)
        assert original is not None
        replaced = AIMessage(content=off_topic_redirect(), id=original.id, name=original.name)
        events = ["output_off_topic_replaced"]
        ledger = ledger_update(state, {"output": "off_topic"}, events)
        return {"messages": [replaced], "ledger": ledger}
    result = review(state, context, roster)
    if result is None:
        return {}
    update: dict[str, Any] = {"ledger": ledger_update(state, result.ledger_guard())}
    if result.outcome == "ok":
        return update
    security_log.warning(
        "output guard on turn %s: %s (ungrounded: %s)",
        state.get("turn", 0),
        result.outcome,
        ",".join(result.first.labels()),
    )
    original = final_reply(state)
    if original is None:  # pragma: no cover - review() only returns a result for a reply
        return update
    update["messages"] = [
        AIMessage(content=result.reply, id=original.id, name=original.name or "guard")
    ]
    update["model_calls"] = int(state.get("model_calls", 0) or 0) + 1
    update["ledger"] = ledger_update(state, result.ledger_guard(), [f"output_{result.outcome}"])
    return update
