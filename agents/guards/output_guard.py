"""Output guard: every amount, date, plan and phone number in a reply must come from a source."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.guards.claims import Claim, grounding, is_grounded, reply_claims
from agents.guards.replies import UNGROUNDED_FALLBACK

Regenerate = Callable[[list[Claim]], str | None]
"""Ask the model once more, told which claims were unsupported; ``None`` if it failed."""


@dataclass(frozen=True)
class OutputVerdict:
    """The check of one reply against this turn's sources."""

    ok: bool
    """True when every claim is grounded."""
    claims: int
    """How many checkable claims the reply made."""
    ungrounded: list[Claim] = field(default_factory=list)
    """Claims no tool result, fact or passage supports."""

    def labels(self) -> list[str]:
        """The ungrounded claims as safe labels (no dates or phone digits)."""
        return [claim.label() for claim in self.ungrounded]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready verdict."""
        return {"ok": self.ok, "claims": self.claims, "ungrounded": self.labels()}


def check_reply(reply: str, sources: Iterable[str], catalog: Mapping[str, str]) -> OutputVerdict:
    """Check ``reply`` against ``sources`` (tool results, fact values, KB passages).

    ``catalog`` maps plan ids to plan names, so plans are recognised however they are written.
    """
    claims = reply_claims(reply, catalog)
    if not claims:
        return OutputVerdict(ok=True, claims=0)
    support = grounding(sources, catalog)
    missing = [claim for claim in claims if not is_grounded(claim, support)]
    return OutputVerdict(ok=not missing, claims=len(claims), ungrounded=missing)


@dataclass(frozen=True)
class Review:
    """The reply to send and what the guard did to get it."""

    reply: str
    """The original, regenerated or fallback reply."""
    outcome: str
    """``ok``, ``regenerated`` or ``fallback``."""
    first: OutputVerdict
    """Verdict on the original reply."""
    second: OutputVerdict | None = None
    """Verdict on the regenerated reply, when there was one."""

    def ledger_guard(self) -> dict[str, str]:
        """The review in the ledger's ``guard`` format (string values, no PII)."""
        entry = {"output": self.outcome}
        if self.first.ungrounded:
            entry["output_ungrounded"] = ",".join(self.first.labels())
        if self.second is not None and self.second.ungrounded:
            entry["output_retry_ungrounded"] = ",".join(self.second.labels())
        return entry

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready review (for traces and benchmarks)."""
        return {
            "outcome": self.outcome,
            "first": self.first.to_dict(),
            "second": self.second.to_dict() if self.second else None,
        }


def correction_note(claims: list[Claim]) -> str:
    """The instruction for the one regeneration: which claims lacked support."""
    listed = ", ".join(
        claim.text if claim.kind in {"money", "plan"} else claim.kind for claim in claims
    )
    return (
        "Your previous answer stated details that are not in this conversation's tool results, "
        f"the fact sheet or the knowledge-base passages ({listed}). Answer again using only "
        "amounts, dates, plan names and phone numbers that appear there. If the information "
        "is missing, say that you need to look it up instead of guessing."
    )


def review_reply(
    reply: str,
    sources: Iterable[str],
    catalog: Mapping[str, str],
    regenerate: Regenerate | None = None,
) -> Review:
    """Keep a grounded reply; otherwise regenerate once, then fall back to a safe reply."""
    texts = list(sources)
    first = check_reply(reply, texts, catalog)
    if first.ok:
        return Review(reply, "ok", first)
    retry = None
    if regenerate is not None:
        try:
            retry = regenerate(first.ungrounded)
        except Exception:  # a failed retry simply ends in the fallback
            retry = None
    if retry and retry.strip():
        second = check_reply(retry, texts, catalog)
        if second.ok:
            return Review(retry, "regenerated", first, second)
        return Review(UNGROUNDED_FALLBACK, "fallback", first, second)
    return Review(UNGROUNDED_FALLBACK, "fallback", first)
