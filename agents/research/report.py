"""Formatting for the research run: notes as prompt text, gaps, citations and the final report."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from agents.research.state import Finding
from tools.notes_store import Note
from tools.research_corpus import Corpus

CITATION = re.compile(r"\[([a-z0-9][a-z0-9-]{2,80})\]")
"""A corpus citation such as ``[northwind-ai-strategy]``."""


def subject(finding: Finding) -> str:
    """What a researcher covered: its company, or the market."""
    return finding["company"] or "the market"


def heading(finding: Finding) -> str:
    """The heading for a researcher's notes: its company, or ``Market context``."""
    return finding["company"] or "Market context"


def note_block(note: Note, about: str) -> str:
    """One note as the analyst and synthesizer read it."""
    return f"### {note.key} — {about} ({note.author}, v{note.version})\n{note.content.strip()}"


def notes_text(notes: Sequence[Note], subjects: dict[str, str]) -> str:
    """The notes as one prompt section ('(none)' when there are none)."""
    blocks = [note_block(note, subjects.get(note.key, note.key)) for note in notes]
    return "\n\n".join(blocks) or "(none)"


def gap_line(finding: Finding) -> str:
    """One sentence naming what a failed or late researcher leaves out of the report."""
    reason = "timed out" if finding["status"] == "timeout" else "failed"
    detail = f" ({finding['error']})" if finding["error"] else ""
    return (
        f"{finding['task_id']}: research on {subject(finding)} ({finding['focus']}) {reason}"
        f"{detail}; its findings are missing."
    )


def gaps_text(gaps: Sequence[str]) -> str:
    """The gaps as prompt lines ('none' when nothing is missing)."""
    return "\n".join(f"- {gap}" for gap in gaps) or "none"


def citations(text: str) -> list[str]:
    """Document ids cited in ``text``, in order of first citation."""
    seen: list[str] = []
    for match in CITATION.finditer(text):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def keep_known_citations(text: str, known: Iterable[str]) -> tuple[str, list[str]]:
    """``text`` without citations of documents outside ``known``, and the ids removed."""
    allowed = set(known)
    removed: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match.group(1) in allowed:
            return match.group(0)
        removed.append(match.group(1))
        return ""

    return CITATION.sub(replace, text), removed


def sources_section(doc_ids: Sequence[str], corpus: Corpus) -> str:
    """The report's source list: one line per cited corpus document."""
    lines = ["## Sources"]
    for doc_id in doc_ids:
        doc = corpus.documents.get(doc_id)
        if doc is not None:
            lines.append(f"- [{doc.id}] {doc.title} — {doc.company}, {doc.date} ({doc.path})")
        else:
            lines.append(f"- [{doc_id}]")
    return "\n".join(lines)


def compose_report(question: str, body: str, gaps: Sequence[str], sources: str, footer: str) -> str:
    """The final Markdown report: title, body, gaps (for a partial report), sources."""
    title = "# Research report (partial)" if gaps else "# Research report"
    parts = [title, f"**Question:** {question}", body.strip()]
    if gaps:
        parts.append("## Gaps\n" + "\n".join(f"- {gap}" for gap in gaps))
    parts += [sources, f"_{footer}_"]
    return "\n\n".join(parts) + "\n"
