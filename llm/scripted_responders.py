"""Named behaviours for the scripted model (``scripted:<name>`` specs), for tests and demos."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage

from llm.scripted_policy import ToolSpec


class ScriptedModelFailure(RuntimeError):
    """The failure the ``scripted:fail`` model raises on every call."""


def always_fail(messages: Sequence[BaseMessage], tools: Sequence[ToolSpec]) -> AIMessage:
    """A model that is down: every call raises."""
    raise ScriptedModelFailure("scripted:fail — this model fails on every call (by design)")


RESPONDERS = {"fail": always_fail}
"""``scripted:<name>`` → responder."""
