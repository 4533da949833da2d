"""Reading a customer's answer to a confirmation: only a clear yes approves a write."""

from __future__ import annotations

import re

YES_WORDS = frozenset(
    {
        "yes",
        "y",
        "yeah",
        "yep",
        "yup",
        "sure",
        "ok",
        "okay",
        "confirm",
        "confirmed",
        "approve",
        "approved",
        "affirmative",
        "true",
    }
)
YES_PHRASES = frozenset({"go ahead", "do it", "please do", "sounds good", "i confirm"})
NEGATIONS = frozenset(
    {"no", "not", "don't", "dont", "cancel", "stop", "wait", "never", "nope", "without", "but"}
)
_ANSWER_KEYS = ("confirmed", "approved", "answer", "response", "value")


def is_yes(answer: object) -> bool:
    """Interpret a resume value: ``True`` or an affirmative word means yes, all else means no."""
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, dict):
        for key in _ANSWER_KEYS:
            if key in answer:
                return is_yes(answer[key])
        return False
    if not isinstance(answer, str):
        return False
    text = " ".join(re.findall(r"[a-z']+", answer.lower()))
    if not text:
        return False
    words = text.split()
    if any(word in NEGATIONS for word in words):
        return False
    return text in YES_PHRASES or words[0] in YES_WORDS or text in YES_WORDS
