"""Extractive writers: the analysis and the report built from the notes alone, with no model.

A research run falls back to them when its model misses the deadline or fails (see
``writers.write_with_deadline``). Each reads only its prompt (the notes and the analysis), so
the text stays grounded in what the researchers posted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from llm.stand_in import ToolSpec

NOTE_HEADER = re.compile(r"^### (?P<key>\S+) — (?P<subject>.+?) \(", re.M)


def prompt_text(messages: Sequence[BaseMessage], kind: type[BaseMessage]) -> str:
    """All text of the messages of ``kind``."""
    return "\n".join(str(m.content) for m in messages if isinstance(m, kind))


def line_value(text: str, label: str) -> str:
    """The rest of the first line starting with ``label:``."""
    match = re.search(rf"^{re.escape(label)}:\s*(.+)$", text, re.M)
    return match.group(1).strip() if match else ""


def _notes(prompt: str) -> list[tuple[str, list[str]]]:
    """(subject, bullet lines) per note in an analyst or synthesizer prompt."""
    body = prompt.split("Notes:", 1)[-1]
    for stop in ("\nAnalysis:", "\nMissing research:"):
        body = body.split(stop, 1)[0]
    notes: list[tuple[str, list[str]]] = []
    for block in re.split(r"(?m)^(?=### )", body):
        header = NOTE_HEADER.match(block)
        if header is None:
            continue
        bullets = [line.strip() for line in block.splitlines() if line.strip().startswith("- ")]
        notes.append((header.group("subject"), bullets))
    return notes


def _gaps(prompt: str) -> list[str]:
    """The missing-research lines of a prompt ('none' means there are none)."""
    tail = prompt.split("Missing research:", 1)[-1].split("\n\n", 1)[0]
    lines = [line.strip("- ").strip() for line in tail.splitlines() if line.strip()]
    return [line for line in lines if line.lower() != "none"]


def analyst(messages: list[BaseMessage], tools: list[ToolSpec]) -> AIMessage:
    """A comparison: each subject's first two findings side by side, then the gaps."""
    prompt = prompt_text(messages, HumanMessage)
    lines = []
    for subject, bullets in _notes(prompt):
        points = " ".join(bullet.removeprefix("- ") for bullet in bullets[:2])
        lines.append(f"- **{subject}**: {points}")
    if not lines:
        lines.append("- No research notes were available to compare.")
    for gap in _gaps(prompt):
        lines.append(f"- Not compared: {gap}")
    return AIMessage(content="\n".join(lines))


def synthesizer(messages: list[BaseMessage], tools: list[ToolSpec]) -> AIMessage:
    """The report body: summary, findings per subject, and the analysis as the comparison."""
    prompt = prompt_text(messages, HumanMessage)
    question = line_value(prompt, "Research question")
    notes = _notes(prompt)
    analysis = prompt.split("Analysis:", 1)[-1].split("\nMissing research:", 1)[0].strip()
    subjects = ", ".join(subject for subject, _ in notes) or "no subject"
    question = question if question.endswith(("?", ".", "!")) else f"{question}."
    summary = f"This report answers: {question} It draws on research notes about {subjects}."
    gaps = _gaps(prompt)
    if gaps:
        summary += " Part of the research is missing, so the comparison is incomplete."
    sections = ["## Summary", summary, "", "## Findings"]
    for subject, bullets in notes:
        sections += [f"### {subject}", *bullets[:8], ""]
    sections += ["## Comparison", analysis or "No comparison was possible."]
    return AIMessage(content="\n".join(sections))
