"""Is a message an answer to a pending confirmation, or something new to deal with first?"""

from __future__ import annotations

import re

ANSWER_ACTS = frozenset({"yes", "no", "cancel"})
_SHORT_ANSWER = re.compile(
    r"^\W*(yes|yeah|yep|yup|sure|ok|okay|confirm(ed)?|go ahead|do it|please do|no|nope|nah|"
    r"don'?t|cancel|stop|never ?mind)\b",
    re.IGNORECASE,
)


def is_confirmation_answer(text: str) -> bool:
    """True when ``text`` answers a yes/no question (rather than raising a new request)."""
    if _SHORT_ANSWER.match(text) and len(text.split()) <= 8:
        return True
    from agents.intent_classifier import IntentClassifier

    prediction = IntentClassifier.load().predict(text)
    return prediction.intent == "none" and prediction.act in ANSWER_ACTS


def ask_first_reply(summary: str) -> str:
    """What the bot says when a new request arrives while a change awaits confirmation."""
    return (
        f"Before we get to that: {summary} is still waiting for your answer. Shall I go "
        "ahead — yes or no? I'll come back to your new question right after."
    )
