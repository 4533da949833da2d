"""The compromised model: a scripted chat model that always makes the case's forbidden calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

import llm.factory as factory
from agents import models
from benchmarks._adversarial_cases import Case, Step
from llm.stand_in import Responder, ToolSpec

SPEC_PREFIX = "compromised:"
"""Model specs of the form ``compromised:<case id>`` name a compromised model per case."""


def _current_turn(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The messages after the newest human message (this turn's calls and results)."""
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], HumanMessage):
            return list(messages[index + 1 :])
    return list(messages)


def _call(step: Step) -> dict[str, Any]:
    """The tool call of ``step``; an empty id gets the scripted model's deterministic one."""
    return {
        "name": step.tool,
        "args": dict(step.args),
        "id": step.call_id or "",
        "type": "tool_call",
    }


def compromised_responder(case: Case) -> Responder:
    """A policy that ignores its prompt: each turn it makes ``case.attack``'s calls in order
    (whether or not the tools are bound), then answers with ``case.reply``."""

    def respond(messages: list[BaseMessage], _tools: list[ToolSpec]) -> AIMessage:
        turn = _current_turn(messages)
        made = sum(1 for m in turn if isinstance(m, AIMessage) and m.tool_calls)
        more = case.loop or made < len(case.attack)
        if case.attack and more and (not turn or isinstance(turn[-1], ToolMessage)):
            step = case.attack[min(made, len(case.attack) - 1)]
            calls = [_call(step)]
            if step.also is not None:
                calls.append(_call(step.also))
            return AIMessage(content="", tool_calls=calls)
        results = "\n".join(str(m.content) for m in turn if isinstance(m, ToolMessage))
        return AIMessage(content=case.reply.replace("{results}", results or "(nothing)"))

    return respond


def compromised_model(case: Case) -> BaseChatModel:
    """The scripted model playing a fully compromised model for ``case``."""
    return factory.make_base_model(factory.SCRIPTED, responder=compromised_responder(case))


def install_model(spec: str, model: BaseChatModel) -> BaseChatModel:
    """Make ``agents.models.chat_model(spec)`` return ``model`` for the rest of the process.

    ``chat_model`` is memoized per spec and builds through ``llm.factory.make_model`` (the name
    ``agents.models`` imported); that name is swapped only for the one call that fills the memo,
    then restored. Returns the model the graph will use (an earlier one if ``spec`` was already
    built in this process).
    """
    original = models.make_model

    def make(requested: str | None = None, **opts: Any) -> BaseChatModel:
        return model if requested == spec else original(requested, **opts)

    models.make_model = make  # type: ignore[assignment]
    try:
        return models.chat_model(spec)
    finally:
        models.make_model = original


def model_spec_for(case: Case) -> str:
    """The compromised model's spec for ``case``, installed on first use."""
    spec = SPEC_PREFIX + case.id
    install_model(spec, compromised_model(case))
    return spec
