"""Named behaviours of the scripted model (``scripted:<name>`` specs) and the factory's entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from llm.errors import ModelConfigError
from llm.stand_in import Responder, ToolSpec
from testing import research_policies
from testing.bookstore_policy import bookstore_responder
from testing.scripted import ScriptedChatModel


class ScriptedModelFailure(RuntimeError):
    """The failure the ``scripted:fail`` model raises on every call."""


def always_fail(messages: Sequence[BaseMessage], tools: Sequence[ToolSpec]) -> AIMessage:
    """A model that is down: every call raises."""
    raise ScriptedModelFailure("scripted:fail — this model fails on every call (by design)")


RESPONDERS = {"fail": always_fail}
"""``scripted:<name>`` → responder."""
POLICIES: dict[str, Responder] = {
    "bookstore": bookstore_responder,
    **{f"research:{role}": policy for role, policy in research_policies.RESPONDERS.items()},
}
"""Domain policies a graph asks for through ``llm.factory.policy_model(spec, name)``."""


def scripted_model(behaviour: str = "", policy: str = "", **opts: Any) -> ScriptedChatModel:
    """The scripted model: its built-in support policy, the named domain ``policy``, or the
    named ``behaviour``."""
    if policy:
        if policy not in POLICIES:
            raise ModelConfigError(
                f"no scripted policy {policy!r}; known policies: {', '.join(POLICIES)}."
            )
        return ScriptedChatModel(responder=POLICIES[policy], **opts)
    if not behaviour:
        return ScriptedChatModel(**opts)
    if behaviour not in RESPONDERS:
        raise ModelConfigError(
            f"unknown scripted behaviour {behaviour!r}; choose one of: {', '.join(RESPONDERS)}."
        )
    return ScriptedChatModel(responder=RESPONDERS[behaviour], **opts)
