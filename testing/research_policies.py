"""Scripted policies of the research roles (test doubles): pure functions of the prompt.

The planner and the researchers answer the way their prompts ask, from the prompt alone; the
analyst and the synthesizer are the product's extractive writers. With them the whole research
graph runs deterministically under the ``scripted`` stand-in (``research:<role>`` policies).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from agents.research.extractive import analyst, line_value, prompt_text, synthesizer
from agents.research.plan import companies_in, question_focus
from llm.stand_in import ToolSpec

Responder = Callable[[list[BaseMessage], list[ToolSpec]], AIMessage]

CITED_PASSAGE = re.compile(r"^\[(?P<id>[a-z0-9-]+)\] \((?P<title>[^)]*)\) (?P<text>.+)$", re.M)


def _first_sentence(text: str, limit: int = 220) -> str:
    """The first sentence of ``text`` (cut at ``limit`` characters)."""
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    sentence = match.group(1) if match else text
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def planner(messages: list[BaseMessage], tools: list[ToolSpec]) -> AIMessage:
    """A JSON plan: one research task per company the question names, then the analysis."""
    prompt = prompt_text(messages, HumanMessage) + "\n" + prompt_text(messages, SystemMessage)
    question = line_value(prompt, "Question")
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
    passages = list(CITED_PASSAGE.finditer(prompt_text(messages, HumanMessage)))
    if not passages:
        return AIMessage(content="- The corpus passages did not cover this assignment.")
    bullets = [f"- {_first_sentence(m.group('text'))} [{m.group('id')}]" for m in passages[:5]]
    return AIMessage(content="\n".join(bullets))


RESPONDERS: dict[str, Responder] = {
    "planner": planner,
    "researcher": researcher,
    "analyst": analyst,
    "synthesizer": synthesizer,
}
"""The scripted policy of each research role."""
