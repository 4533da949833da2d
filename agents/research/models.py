"""Chat models for the research roles (planner, researcher, analyst, synthesizer)."""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.language_models import BaseChatModel

from agents.models import chat_model
from llm.factory import make_model, policy_model, resolve_spec

ROLES = ("planner", "researcher", "analyst", "synthesizer")

ModelFactory = Callable[[str, str, float | None], BaseChatModel]
"""(role, model spec, seconds left) → chat model. Tests pass their own to script a role."""


WRITE_TOKENS = {"synthesizer": 1024}
"""Token limits above the model's default (512) for roles that write long text: a report of
summary, findings per company and comparison does not fit in 512 tokens of a small model."""


def default_models(role: str, spec: str, timeout_s: float | None = None) -> BaseChatModel:
    """The model for ``role``: a stand-in model plays the role's scripted policy; other specs
    get a model whose calls stop after ``timeout_s`` (no retries: the run's deadline is the
    budget), with the role's token limit (``WRITE_TOKENS``)."""
    resolved = resolve_spec(spec)
    played = policy_model(resolved, f"research:{role}")
    if played is not None:
        return played
    limit = {"max_tokens": WRITE_TOKENS[role]} if role in WRITE_TOKENS else {}
    if timeout_s is None:
        return make_model(resolved, **limit) if limit else chat_model(resolved)
    return make_model(resolved, timeout_s=max(timeout_s, 1.0), max_retries=0, **limit)
