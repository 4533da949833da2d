"""A change asked about, or asked for, is turned into the change's quote and confirmation step.

Small models often reply "Shall I switch you to Unlimited?" instead of calling the write
tool. Such a yes/no in free text would bypass the confirmation step, so the engine asks the
model once more for exactly that tool's call; the quote then reaches the customer the one
way a change can be confirmed. The same holds when the customer asks for a change by name
("pay my overdue bill", "open a ticket") and the model reaches for a read or a handoff.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from langchain_core.tools import BaseTool

PROPOSAL_CUE = re.compile(
    r"\b(?:shall|should|may|can|could) i\b|\bwould you like (?:me )?to\b|\bdo you want (?:me )?to\b"
    r"|\bwant me to\b|\b(?:please )?confirm\b|\bare you sure\b|\bproceed\b|\bgo ahead\b",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"[^.!?]*[?]")
_NEGATED = re.compile(r"\b(?:don'?t|do not|not|never|no need|without)\b", re.IGNORECASE)


def proposed_write(
    reply: str, tools: Sequence[BaseTool], proposals: Mapping[str, re.Pattern[str]]
) -> BaseTool | None:
    """The write tool a free-text yes/no question of ``reply`` proposes, if any.

    ``proposals`` maps write-tool names to the words that name their change.
    """
    by_name = {tool.name: tool for tool in tools}
    for question in _SENTENCES.findall(reply):
        if not PROPOSAL_CUE.search(question):
            continue
        for name, words in proposals.items():
            if name in by_name and words.search(question):
                return by_name[name]
    return None


def requested_write(
    text: str, tools: Sequence[BaseTool], requests: Mapping[str, re.Pattern[str]]
) -> BaseTool | None:
    """The write tool the customer's request ``text`` asks for by name of its action, if any.

    ``requests`` maps write-tool names to the words that ask for their change; a message with a
    negation ("don't change my plan yet") asks for none.
    """
    if _NEGATED.search(text):
        return None
    by_name = {tool.name: tool for tool in tools}
    for name, words in requests.items():
        if name in by_name and words.search(text):
            return by_name[name]
    return None
