"""Named behaviours of the scripted model (``scripted:<name>`` specs) and the factory's entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from llm.errors import ModelConfigError
from llm.stand_in import ToolSpec
from testing.scripted import ScriptedChatModel


class ScriptedModelFailure(RuntimeError):
    """The failure the ``scripted:fail`` model raises on every call."""


def always_fail(messages: Sequence[BaseMessage], tools: Sequence[ToolSpec]) -> AIMessage:
    """A model that is down: every call raises."""
    raise ScriptedModelFailure("scripted:fail — this model fails on every call (by design)")


RESPONDERS = {"fail": always_fail}
"""``scripted:<name>`` → responder."""


def scripted_model(behaviour: str = "", **opts: Any) -> ScriptedChatModel:
    """The scripted model: its built-in support policy, or the named ``behaviour``."""
    if not behaviour:
        return ScriptedChatModel(**opts)
    if behaviour not in RESPONDERS:
        raise ModelConfigError(
            f"unknown scripted behaviour {behaviour!r}; choose one of: {', '.join(RESPONDERS)}."
        )
    return ScriptedChatModel(responder=RESPONDERS[behaviour], **opts)
