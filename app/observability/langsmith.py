"""LangSmith: on when a key is set (unless tracing is switched off), silent otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tracers.langchain import LangChainTracer
from langsmith import Client

from agents.guards.logging import mask_payload
from app.observability.runtree import TurnTrace
from app.observability.turnfacts import TurnFacts

FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def langsmith_key(env: Mapping[str, str]) -> str:
    """The LangSmith API key in ``env`` ('' when none)."""
    return (env.get("LANGSMITH_API_KEY") or env.get("LANGCHAIN_API_KEY") or "").strip()


def langsmith_enabled(env: Mapping[str, str]) -> bool:
    """Trace to LangSmith when a key is set and tracing is not explicitly switched off."""
    if not langsmith_key(env):
        return False
    flag = (env.get("LANGSMITH_TRACING") or env.get("LANGCHAIN_TRACING_V2") or "").strip().lower()
    return flag not in FALSE_WORDS


def make_langsmith_tracer(env: Mapping[str, str]) -> BaseCallbackHandler:
    """A LangChain tracer for the key, endpoint and project in ``env`` (payloads PII-masked)."""
    project = (env.get("LANGSMITH_PROJECT") or env.get("LANGCHAIN_PROJECT") or "").strip()
    endpoint = (env.get("LANGSMITH_ENDPOINT") or env.get("LANGCHAIN_ENDPOINT") or "").strip()
    client = Client(
        api_key=langsmith_key(env),
        api_url=endpoint or None,
        hide_inputs=mask_payload,
        hide_outputs=mask_payload,
    )
    return LangChainTracer(project_name=project or None, client=client)


class LangSmithEnricher:
    """A turn sink that adds the turn's facts to the LangSmith root run before it is sent.

    LangSmith receives the root run when it ends; this sink runs from the recorder, which is
    registered before the tracer, so the facts (intent, agent, phase, stack depth, classifier
    path, tokens per section, guard verdicts) land in the root run's metadata and tags.
    """

    def __init__(self, tracer: BaseCallbackHandler) -> None:
        self.tracer = tracer

    def __call__(self, trace: TurnTrace, facts: TurnFacts) -> None:
        run_map: dict[str, Any] = getattr(self.tracer, "run_map", {})
        run = run_map.get(trace.root.run_id)
        if run is None:
            return
        metadata = run.extra.setdefault("metadata", {})
        metadata.update(facts.metadata())
        run.tags = sorted(set(run.tags or []) | set(facts.tags()))
