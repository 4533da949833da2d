"""How a customer's message answers a pending confirmation: yes, no, cancel, correction or else."""

from __future__ import annotations

import re
from typing import Literal

from conversation.facts import is_correction
from tools.confirm import NEGATIONS, is_yes

Answer = Literal["yes", "no", "cancel", "correction", "other"]
"""``other``: the message is not an answer (a question, a new request, small talk)."""

_NO = re.compile(
    r"^\W*(?:no|nope|nah|not now|not yet|don'?t|do not|no thanks?|no,? thank you)\b", re.I
)
MAX_ANSWER_WORDS = 12
"""Longer messages are never read as a bare yes or no (they carry something else)."""


def read_answer(text: str, act: str, intent: str, new_values: bool) -> Answer:
    """How ``text`` (classified as ``act`` / ``intent``) answers a pending confirmation.

    ``new_values`` says the message changed a value of the task (another plan, bill or
    line): with it, a "no, ..." or "sorry, I meant ..." is a correction, and even a yes is
    read as one — the change must be quoted again before anything is done. Only a clear yes
    approves: a yes with "but", "wait" or "not" in it is not one.
    """
    words = re.findall(r"[a-z']+", text.lower())
    if act == "cancel":
        return "cancel"
    if new_values:
        return "correction"
    if is_correction(text) and not _NO.match(text):
        return "other"
    if len(words) > MAX_ANSWER_WORDS:
        return "other"
    if _NO.match(text) or (act == "no" and intent == "none"):
        return "no"
    if is_yes(text):
        return "yes"
    if act == "yes" and intent == "none" and not any(word in NEGATIONS for word in words):
        return "yes"
    return "other"
