"""Chat models for the agents, made once per process per model spec."""

from __future__ import annotations

from functools import cache

from langchain_core.language_models import BaseChatModel

from llm.factory import make_model


@cache
def chat_model(spec: str) -> BaseChatModel:
    """The chat model for ``spec`` (see ``llm.factory.make_model``), shared within the process."""
    return make_model(spec or None)
