"""Triage: decide the intent and dialogue act of a user message, locally first, LLM when unsure."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from agents.intent_classifier import DEFAULT_THRESHOLD, IntentClassifier, IntentLabel
from agents.models import chat_model
from prompts.loader import render

log = logging.getLogger(__name__)

Act = Literal[
    "greeting",
    "thanks",
    "goodbye",
    "yes",
    "no",
    "cancel",
    "correction",
    "repeat",
    "question",
    "request",
]


class IntentDecision(BaseModel):
    """Structured output of the LLM classifier."""

    intent: IntentLabel = Field(
        description=(
            "Topic of the customer's newest message; none when it only answers or reacts "
            "(yes, no, thanks, an id or a detail for the task in progress)."
        )
    )
    act: Act = Field(description="Dialogue act of the customer's newest message.")


@dataclass(frozen=True)
class Triage:
    """The triage verdict for one message."""

    intent: str
    act: str
    confidence: float
    act_confidence: float
    path: str
    """Which path decided: ``local`` (embedding classifier) or ``llm``."""
    text: str = ""
    """The part of the message this verdict is about (multi-intent messages have several)."""


def classify_local(text: str) -> list[Triage]:
    """The local classifier's verdicts, one per intent found in ``text`` (in order)."""
    classifier = IntentClassifier.load()
    return [
        Triage(p.intent, p.act, p.intent_confidence, p.act_confidence, "local", p.text or text)
        for p in classifier.split_intents(text)
    ]


def classify_llm(text: str, model_spec: str, current_task: str) -> Triage:
    """Ask the model for the intent and act (structured output)."""
    model = chat_model(model_spec).with_structured_output(IntentDecision)
    system = render("triage", current_task=current_task or "none")
    decision = model.invoke([SystemMessage(content=system), HumanMessage(content=text)])
    if not isinstance(decision, IntentDecision):
        decision = IntentDecision.model_validate(decision)
    return Triage(decision.intent, decision.act, 1.0, 1.0, "llm", text)


REDIRECT_CONFIDENCE = 0.8
"""Local confidence at which an ``out_of_scope`` verdict is answered with the canned redirect,
with no model call (bench triage reports how many in-scope messages reach it)."""


def confidently_off_topic(verdict: Triage) -> bool:
    """Whether ``verdict`` is a sure, local out-of-scope decision (no model needed)."""
    return (
        verdict.intent == "out_of_scope"
        and verdict.path == "local"
        and verdict.confidence >= REDIRECT_CONFIDENCE
        and verdict.act in ("question", "request")
    )


def default_threshold() -> float:
    """The local classifier's tuned confidence threshold."""
    return float(DEFAULT_THRESHOLD)


def confident(verdict: Triage, threshold: float) -> bool:
    """Whether a local verdict can stand (a pure dialogue act needs a sure act)."""
    if verdict.intent == "none":
        return min(verdict.confidence, verdict.act_confidence) >= threshold
    return verdict.confidence >= threshold


def triage(text: str, model_spec: str, threshold: float, current_task: str = "") -> list[Triage]:
    """Verdicts for ``text``: the local classifier's when confident, else the LLM's."""
    local = classify_local(text)
    limit = threshold or default_threshold()
    if local and all(confident(t, limit) for t in local):
        return local
    try:
        decided = classify_llm(text, model_spec, current_task)
    except Exception as error:
        log.warning("LLM triage failed, keeping the local verdict: %s", error)
        return local or [Triage("out_of_scope", "question", 0.0, 0.0, "local")]
    if local:
        # Keep the local act when it was confident; the LLM settles the intent.
        act = local[0].act if local[0].act_confidence >= limit else decided.act
        intent = own_request(decided.intent, act, local[0], current_task)
        return [Triage(intent, act, 1.0, 1.0, "llm", local[0].text), *local[1:]]
    return [decided]


ASKS = re.compile(
    r"\?\s*$|^\W*(?:who|what|when|where|why|how|which|can|could|would|will|is|are|do|does|"
    r"did|should|may)\b",
    re.IGNORECASE,
)
"""A message that asks something: it ends in a question mark or opens like a question."""


def own_request(intent: str, act: str, local: Triage, current_task: str) -> str:
    """``intent``, unless it is ``none`` (a message that only answers the task in progress)
    for a message that asks something while no task is in progress: there is nothing it could
    answer, so it is the local classifier's topic (``local``), else off topic. A statement
    stays ``none`` ("My phone is a Pixel 8, by the way." gives a detail; it opens no task)."""
    if intent != "none" or current_task or act not in ("question", "request"):
        return intent
    if not ASKS.search(local.text.strip()):
        return intent
    return local.intent if local.intent != "none" else "out_of_scope"
