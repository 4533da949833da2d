"""Chat models for the research roles (planner, researcher, analyst, synthesizer)."""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.language_models import BaseChatModel

from agents.models import chat_model
from llm.factory import make_model, policy_model, resolve_spec

ROLES = ("planner", "researcher", "analyst", "synthesizer")

ModelFactory = Callable[[str, str, float | None], BaseChatModel]
"""(role, model spec, seconds left) → chat model. Tests pass their own to script a role."""


def default_models(role: str, spec: str, timeout_s: float | None = None) -> BaseChatModel:
    """The model for ``role``: a stand-in model plays the role's scripted policy; other specs
    get a model whose calls stop after ``timeout_s`` (no retries: the run's deadline is the
    budget)."""
    resolved = resolve_spec(spec)
    played = policy_model(resolved, f"research:{role}")
    if played is not None:
        return played
    if timeout_s is None:
        return chat_model(resolved)
    return make_model(resolved, timeout_s=max(timeout_s, 1.0), max_retries=0)
