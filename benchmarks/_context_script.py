"""The user side of the context benchmark: real chit-chat with project-written turns woven in."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conversation.facts import FactExtractor, generic_patterns, is_correction
from conversation.paths import repo_root

SCRIPT = Path("data/bench/context_script.yaml")
MAX_CHARS = 300
"""Longest chit-chat message used (longer ones are skipped)."""
HANDOFF_WORDS = (
    "human",
    "person",
    "representative",
    "transfer",
    "manager",
    "supervisor",
    "operator",
    "agent",
)
"""Chit-chat containing these (even inside a word) could read as a request for a person; a
hand-off ends the bot's part of the conversation, so such lines are skipped."""


@dataclass(frozen=True)
class ExpectedFact:
    """A fact the turn-N prompt must carry, with the spellings that count as present."""

    slot: str
    match: list[str]
    old: list[str] = field(default_factory=list)
    """Spellings of a corrected value that must be absent."""


@dataclass(frozen=True)
class Script:
    """The user turns of one run and the facts to check at the end."""

    turns: list[str]
    scripted: dict[int, str]
    """Turn number → project-written text (the rest is chit-chat)."""
    facts: list[ExpectedFact]


def dataset_path() -> Path:
    """Where the chitchat-dataset package keeps its JSON (no network, no import side effects)."""
    spec = importlib.util.find_spec("chitchat_dataset")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "the chitchat-dataset package is not installed; run `uv sync` (it is a dev dependency)"
        )
    return Path(spec.origin).with_name("dataset.json")


def chitchat_turns(count: int, exclude: FactExtractor) -> list[str]:
    """``count`` messages of the first speaker of each conversation, in a fixed order.

    Messages that would set or correct a fact (a name, number or email) are skipped so the
    script's facts stay the ground truth, and so are messages that could ask for a person.
    """
    data: dict[str, Any] = json.loads(dataset_path().read_text(encoding="utf-8"))
    turns: list[str] = []
    for key in sorted(data):
        messages = data[key]["messages"]
        for message in messages[0::2]:
            text = " ".join(u["text"].strip() for u in message if u["text"].strip())
            if not text or len(text) > MAX_CHARS or exclude.extract(text):
                continue
            if is_correction(text) or any(w in text.lower() for w in HANDOFF_WORDS):
                continue
            turns.append(text)
            if len(turns) == count:
                return turns
    raise RuntimeError(f"the chitchat dataset has fewer than {count} usable user messages")


def load_script(total: int, path: Path | None = None) -> Script:
    """The ``total`` user turns: project-written ones at their numbers, the final question
    last, chit-chat everywhere else."""
    raw = yaml.safe_load((path or repo_root() / SCRIPT).read_text(encoding="utf-8"))
    scripted = {int(turn): str(text) for turn, text in raw["turns"].items() if int(turn) < total}
    scripted[total] = str(raw["final"])
    chatter = iter(chitchat_turns(total - len(scripted), FactExtractor(generic_patterns())))
    turns = [scripted.get(n) or next(chatter) for n in range(1, total + 1)]
    facts = [
        ExpectedFact(slot=f["slot"], match=list(f["match"]), old=list(f.get("old", [])))
        for f in raw["facts"]
    ]
    return Script(turns=turns, scripted=scripted, facts=facts)


def fact_retention(prompt_text: str, facts: list[ExpectedFact]) -> tuple[float, dict[str, bool]]:
    """Share of facts present in ``prompt_text`` (a corrected one also needs its old value
    absent), and the verdict per slot."""
    verdicts = {
        fact.slot: any(m in prompt_text for m in fact.match)
        and not any(o in prompt_text for o in fact.old)
        for fact in facts
    }
    return (sum(verdicts.values()) / len(verdicts) if verdicts else 1.0), verdicts
