"""Scripted policies for the research roles: pure functions of the prompt, one per role.

Each reads only its prompt (the planner's question and company list, a researcher's passages,
the notes and analysis) and answers the way the role's prompt asks, so the whole graph runs
deterministically with the ``scripted`` model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from agents.research.plan import companies_in, question_focus
from llm.stand_in import ToolSpec

Responder = Callable[[list[BaseMessage], list[ToolSpec]], AIMessage]

CITED_PASSAGE = re.compile(r"^\[(?P<id>[a-z0-9-]+)\] \((?P<title>[^)]*)\) (?P<text>.+)$", re.M)
NOTE_HEADER = re.compile(r"^### (?P<key>\S+) — (?P<subject>.+?) \(", re.M)


def _text(messages: Sequence[BaseMessage], kind: type[BaseMessage]) -> str:
    """All text of the messages of ``kind``."""
    return "\n".join(str(m.content) for m in messages if isinstance(m, kind))


def _line_value(text: str, label: str) -> str:
    """The rest of the first line starting with ``label:``."""
    match = re.search(rf"^{re.escape(label)}:\s*(.+)$", text, re.M)
    return match.group(1).strip() if match else ""


def _first_sentence(text: str, limit: int = 220) -> str:
    """The first sentence of ``text`` (cut at ``limit`` characters)."""
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    sentence = match.group(1) if match else text
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def planner(messages: list[BaseMessage], tools: list[ToolSpec]) -> AIMessage:
    """A JSON plan: one research task per company the question names, then the analysis."""
    prompt = _text(messages, HumanMessage) + "\n" + _text(messages, SystemMessage)
    question = _line_value(prompt, "Question")
    listed = re.search(r"covers these\s+companies:\s*(?P<c>[^.]+)\.", prompt)
    companies = [c.strip() for c in listed.group("c").split(",")] if listed else []
    focus = question_focus(question)
    named = companies_in(question, companies) or companies[:2]
    tasks = [
        {
            "id": f"research_company_{chr(ord('a') + i)}",
            "kind": "research_company",
            "company": company,
            "focus": focus,
        }
        for i, company in enumerate(named[:3])
    ]
    tasks.append(
        {"id": "research_market", "kind": "research_market", "company": None, "focus": focus}
    )
    tasks.append(
        {
            "id": "comparative_analysis",
            "kind": "comparative_analysis",
            "company": None,
            "focus": f"compare {focus}",
        }
    )
    return AIMessage(content=json.dumps({"focus": focus, "tasks": tasks}))


def researcher(messages: list[BaseMessage], tools: list[ToolSpec]) -> AIMessage:
    """Bullet findings: the first sentence of each passage, cited by its document id."""
    passages = list(CITED_PASSAGE.finditer(_text(messages, HumanMessage)))
    if not passages:
        return AIMessage(content="- The corpus passages did not cover this assignment.")
    bullets = [f"- {_first_sentence(m.group('text'))} [{m.group('id')}]" for m in passages[:5]]
    return AIMessage(content="\n".join(bullets))


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
    prompt = _text(messages, HumanMessage)
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
    prompt = _text(messages, HumanMessage)
    question = _line_value(prompt, "Research question")
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


RESPONDERS: dict[str, Responder] = {
    "planner": planner,
    "researcher": researcher,
    "analyst": analyst,
    "synthesizer": synthesizer,
}
"""The scripted policy of each research role."""
