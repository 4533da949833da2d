"""A change asked about in free text is turned into the change's quote and confirmation step.

Small models often reply "Shall I switch you to Unlimited?" instead of calling the write
tool. Such a yes/no in free text would bypass the confirmation step, so the engine asks the
model once more for exactly that tool's call; the quote then reaches the customer the one
way a change can be confirmed.
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
