"""Fast local intent and dialogue-act classifier trained on data/intents (cached per data hash)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from agents.intent_model import (
    FEATURE_VERSION,
    SoftmaxHead,
    dense_features,
    hashed,
    train_head,
    words,
)
from conversation.paths import cache_dir, repo_root
from tools.embedding import embed_one

IntentLabel = Literal["billing", "plan_change", "tech_support", "out_of_scope", "none"]
"""The classifier's labels (the folders of data/intents). ``none``: the message carries no task
of its own (a pure greeting, yes, thanks, ...). Agents say which labels they take
(``AgentSpec.intents``); the words are shared, the roster decides who answers."""
INTENTS: tuple[str, ...] = get_args(IntentLabel)
TASK_INTENTS = tuple(label for label in INTENTS if label not in ("out_of_scope", "none"))
DIALOGUE_ACTS = ("greeting", "thanks", "goodbye", "yes", "no", "cancel", "correction", "repeat")
ACTS = (*DIALOGUE_ACTS, "question", "request")
DEFAULT_THRESHOLD = 0.55
"""Confidence below which the graph should ask the LLM (tuned on CLINC/τ² *train* and our data)."""
INTENT_L2 = 1e-4
ACT_L2 = 3e-4
"""Weight decay of each head (tuned on CLINC/τ² *train* and our own examples)."""
SPLIT_MIN_CONFIDENCE = 0.6
"""A clause must be at least this sure of its own task intent to count as a separate request."""

_SPLIT = re.compile(
    r"\s*(?:[.!?;]+\s+|,?\s+\b(?:and also|and then|also|plus|as well as|after that|then|"
    r"but also|and|but|oh and|btw)\b\s+)",
    re.IGNORECASE,
)
_LEADING = re.compile(r"^\W*(?:and also|and then|also|and|plus|then|but|oh and|btw)\b\W*", re.I)
_REFERENCE = re.compile(
    r"(\b(?:ref|reference)\b\.?\s*(?:no\.?|number|#|:)?\s*)[A-Za-z0-9][\w-]*", re.I
)
"""A reference code the customer quotes ("ref QX7-22", "reference: abcdefgh")."""


@dataclass(frozen=True)
class Example:
    """One labelled training or evaluation message."""

    text: str
    intent: str
    act: str


@dataclass(frozen=True)
class Prediction:
    """What the classifier decided about one message (or one clause of it)."""

    intent: str
    intent_confidence: float
    act: str
    act_confidence: float
    text: str = ""

    def is_confident(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        """True when the local decision can stand; False means: ask the LLM classifier.

        A pure dialogue act (``intent == "none"``) needs a sure act; anything else a sure intent.
        """
        if self.intent == "none":
            return min(self.intent_confidence, self.act_confidence) >= threshold
        return self.intent_confidence >= threshold


def intents_dir() -> Path:
    """The shipped training data: ``data/intents/<intent>/<act>.txt``."""
    return repo_root() / "data" / "intents"


def _lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a data file."""
    text = path.read_text(encoding="utf-8")
    return [s for s in (line.strip() for line in text.splitlines()) if s and not s.startswith("#")]


def training_files(directory: Path) -> list[Path]:
    """The example files under ``directory``, in a stable order."""
    files = sorted(directory.glob("*/*.txt"))
    if not files:
        raise FileNotFoundError(
            f"no training examples under {directory}: expected <intent>/<act>.txt files "
            "(restore data/intents from the repository)"
        )
    return files


def load_examples(directory: Path) -> list[Example]:
    """All training examples, labelled by their path ``<intent>/<act>.txt``."""
    examples: list[Example] = []
    for path in training_files(directory):
        intent, act = path.parent.name, path.stem
        if intent not in INTENTS or act not in ACTS:
            raise ValueError(
                f"{path}: unknown intent {intent!r} or act {act!r}; use one of {INTENTS} / {ACTS}"
            )
        examples += [Example(text, intent, act) for text in _lines(path)]
    return examples


def load_heldout(directory: Path) -> list[Example]:
    """The held-out examples in ``heldout.tsv`` (text, intent, act), never used for training."""
    rows = [line.split("\t") for line in _lines(directory / "heldout.tsv")]
    return [Example(text, intent, act) for text, intent, act in rows]


def training_digest(directory: Path) -> str:
    """Hash of the training files and model settings: the cache key of a trained model."""
    digest = hashlib.sha256(f"{FEATURE_VERSION}|{INTENT_L2}|{ACT_L2}".encode())
    for path in training_files(directory):
        digest.update(f"{path.parent.name}/{path.name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _save(path: Path, intent_head: SoftmaxHead, act_head: SoftmaxHead) -> None:
    """Write both heads to one ``.npz`` file atomically (no pickles)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    arrays: dict[str, np.ndarray] = {}
    for name, head in (("intent", intent_head), ("act", act_head)):
        arrays[f"{name}_labels"] = np.array(head.labels)
        arrays[f"{name}_weights"] = head.weights
        arrays[f"{name}_bias"] = head.bias
        arrays[f"{name}_temperature"] = np.array(head.temperature)
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)


def _read(path: Path) -> tuple[SoftmaxHead, SoftmaxHead]:
    """Read both heads back from ``path``."""
    with np.load(path, allow_pickle=False) as data:
        heads = [
            SoftmaxHead(
                tuple(str(label) for label in data[f"{name}_labels"]),
                data[f"{name}_weights"],
                data[f"{name}_bias"],
                float(data[f"{name}_temperature"]),
            )
            for name in ("intent", "act")
        ]
    return heads[0], heads[1]


def train(examples: list[Example]) -> tuple[SoftmaxHead, SoftmaxHead]:
    """Train the intent head and the act head on ``examples``."""
    features = dense_features([e.text for e in examples])
    intent_head = train_head(features, [e.intent for e in examples], INTENTS, l2=INTENT_L2)
    act_head = train_head(features, [e.act for e in examples], ACTS, l2=ACT_L2)
    return intent_head, act_head


@cache
def _load(directory: Path, digest: str) -> IntentClassifier:
    """Load the cached model for ``digest`` or train and cache it (once per process)."""
    path = cache_dir() / "intent_classifier" / f"{digest}.npz"
    if path.exists():
        try:
            return IntentClassifier(*_read(path))
        except (OSError, KeyError, ValueError):
            path.unlink(missing_ok=True)  # a damaged cache file is simply rebuilt
    heads = train(load_examples(directory))
    _save(path, *heads)
    return IntentClassifier(*heads)


class IntentClassifier:
    """Two calibrated softmax heads (intent, act) over wordllama + hashed n-gram features."""

    def __init__(self, intent_head: SoftmaxHead, act_head: SoftmaxHead) -> None:
        """Wrap two trained heads; use ``IntentClassifier.load()`` rather than this."""
        self.intent_head = intent_head
        self.act_head = act_head

    @classmethod
    def load(cls, directory: Path | None = None) -> IntentClassifier:
        """The classifier for the training data in ``directory`` (default ``data/intents``).

        Trains on first use (a few seconds) and caches the weights in the data dir, keyed by
        a hash of the training files; later loads read the cache. Memoized per process.
        """
        resolved = (directory or intents_dir()).resolve()
        return _load(resolved, training_digest(resolved))

    def scores(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities over ``INTENTS`` and ``ACTS`` for ``text``."""
        text = neutral_references(text)
        embedding, sparse = embed_one(text), hashed(text)
        intent = self.intent_head.probabilities(self.intent_head.logits(embedding, sparse))
        act = self.act_head.probabilities(self.act_head.logits(embedding, sparse))
        return intent, act

    def predict(self, text: str) -> Prediction:
        """Intent and dialogue act of ``text``, each with a calibrated confidence in [0, 1]."""
        intent, act = self.scores(text)
        i, a = int(intent.argmax()), int(act.argmax())
        return Prediction(
            intent=self.intent_head.labels[i],
            intent_confidence=float(intent[i]),
            act=self.act_head.labels[a],
            act_confidence=float(act[a]),
            text=text,
        )

    def split_intents(self, text: str) -> list[Prediction]:
        """One prediction per distinct request in ``text``, in the order they were asked.

        "pay my overdue bill and also my data is slow" gives billing, then tech_support.
        A message with a single request gives ``[predict(text)]``.
        """
        clauses = clauses_of(text)
        if len(clauses) < 2:
            return [self.predict(text)]
        groups: list[tuple[str, list[str]]] = []
        for clause in clauses:
            guess = self.predict(clause)
            is_task = guess.intent != "none" and guess.intent_confidence >= SPLIT_MIN_CONFIDENCE
            if is_task and (not groups or groups[-1][0] != guess.intent):
                groups.append((guess.intent, [clause]))
            elif groups:
                groups[-1][1].append(clause)
            else:
                groups.append(("", [clause]))
        if len(groups) > 1 and groups[0][0] == "":
            groups[1][1][:0] = groups[0][1]  # leading chit-chat joins the first request
            groups.pop(0)
        if len(groups) < 2:
            return [self.predict(text)]
        return [self.predict(" ".join(parts)) for _, parts in groups]


def neutral_references(text: str) -> str:
    """``text`` with quoted reference codes replaced by the word ``code``.

    A code is noise to the classifier: its letters become n-gram features that can outweigh
    the request ("open a ticket, my data is slow (ref aajkoljppp)" read as out of scope).
    """
    return _REFERENCE.sub(r"\1code", text)


def clauses_of(text: str) -> list[str]:
    """Split ``text`` at sentence ends and joining words; tiny fragments join their neighbour."""
    pieces = [_LEADING.sub("", p).strip(" ,") for p in _SPLIT.split(text.strip())]
    pieces = [p for p in pieces if p]
    merged: list[str] = []
    for piece in pieces:
        if merged and len(words(piece)) < 3:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged
