"""A researcher: search the corpus for its task, post a draft and then its findings as notes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from agents.context import Context
from agents.research.deadline import DeadlineExceeded, run_within, seconds_left
from agents.research.models import ModelFactory
from agents.research.report import citations, keep_known_citations
from agents.research.state import Finding, ResearcherInput, trace_event
from prompts.loader import render
from tools.notes_store import Note, NotesStore, open_notes_store
from tools.research_corpus import Passage, load_corpus, web_search_tool

PASSAGES = 5
"""Passages a researcher reads (best first, at most two per document)."""
PASSAGE_CHARS = 480
"""Longest passage text a researcher reads (a small local model reads slowly)."""

Node = Callable[..., dict[str, Any]]


def author_of(task: dict[str, Any]) -> str:
    """The notes' author name for ``task``."""
    return f"researcher:{task.get('company') or 'market'}"


def gather_passages(task: dict[str, Any], question: str) -> list[Passage]:
    """The best corpus passages for the task (company documents plus market-wide ones)."""
    corpus = load_corpus()
    company = task.get("company") or None
    queries = [str(task["focus"]), f"{task['focus']} {question}"]
    if company:
        queries.append(f"{company} market positioning strategy")
    best: dict[tuple[str, str], Passage] = {}
    for query in queries:
        for passage in corpus.search(query, company, k=PASSAGES, per_doc=2):
            key = (passage.doc_id, passage.text)
            if key not in best or best[key].score < passage.score:
                best[key] = passage
    ranked = sorted(best.values(), key=lambda p: (-p.score, p.doc_id))
    if company:
        own = [p for p in ranked if p.company == company]
        ranked = own[: PASSAGES - 2] + [p for p in ranked if p.company != company][:2]
    return [_clip(p) for p in ranked[:PASSAGES]]


def _clip(passage: Passage) -> Passage:
    """``passage`` with its text cut to ``PASSAGE_CHARS`` at a sentence end when possible."""
    if len(passage.text) <= PASSAGE_CHARS:
        return passage
    cut = passage.text[:PASSAGE_CHARS]
    end = cut.rfind(". ")
    text = cut[: end + 1] if end > PASSAGE_CHARS // 2 else cut.rstrip() + "…"
    return Passage(
        passage.doc_id, passage.title, passage.company, passage.topic, text, passage.score
    )


def web_passages(query: str) -> list[Passage]:
    """Web results as passages when a web-search key is configured (none otherwise)."""
    tool = web_search_tool()
    if tool is None:
        return []
    results = tool.invoke({"query": query})
    passages = []
    for index, item in enumerate(results if isinstance(results, list) else [], start=1):
        if isinstance(item, dict) and item.get("content"):
            url = str(item.get("url", ""))
            passages.append(Passage(f"web-{index}", url, "web", "web", str(item["content"])[:600]))
    return passages


def system_prompt(task: dict[str, Any], example_id: str) -> str:
    """The researcher's own system prompt: per company, or the market researcher's."""
    if task.get("company"):
        return render(
            "research_company", company=task["company"], focus=task["focus"], example_id=example_id
        )
    return render("research_market", focus=task["focus"], example_id=example_id)


def investigate(
    model: Any, store: NotesStore, work: ResearcherInput, cancelled: threading.Event
) -> Note:
    """Search, post the draft (v1), ask the model for findings, post them (v2)."""
    task, run_id = work["task"], work["run_id"]
    author = author_of(task)
    passages = gather_passages(task, work["question"]) + web_passages(
        f"{task.get('company') or ''} {task['focus']}".strip()
    )
    ids = list(dict.fromkeys(p.doc_id for p in passages))
    draft = "\n".join(f"- {p.cite()}" for p in passages) or "- No passages found."
    if cancelled.is_set():
        raise DeadlineExceeded("cancelled before posting the draft")
    store.post(run_id, task["id"], author, draft, ids, {"stage": "draft", "status": "ok"})
    messages = [
        SystemMessage(content=system_prompt(task, ids[0] if ids else "doc-id")),
        HumanMessage(
            content=render(
                "research_findings",
                question=work["question"],
                passages="\n".join(p.cite() for p in passages) or "(none found)",
            )
        ),
    ]
    text = unique_lines(str(model.invoke(messages).content).strip())
    text, removed = keep_known_citations(text, ids)
    cited = citations(text)
    if not cited and ids:
        text += "\n- Sources consulted: " + ", ".join(f"[{i}]" for i in ids)
        cited = ids
    if cancelled.is_set():
        raise DeadlineExceeded("cancelled before posting the findings")
    meta = {"stage": "findings", "status": "ok", "removed_citations": removed}
    return store.post(run_id, task["id"], author, text, cited, meta)


def unique_lines(text: str) -> str:
    """``text`` without repeated lines (small models sometimes repeat a finding)."""
    seen: set[str] = set()
    kept = []
    for line in text.splitlines():
        key = line.strip().lower()
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(line)
    return "\n".join(kept)


def make_researcher(models: ModelFactory, notes_url: str | None = None) -> Node:
    """The researcher node (one instance runs per ``Send``)."""

    def research(work: ResearcherInput, runtime: Runtime[Context]) -> dict[str, Any]:
        context = runtime.context or Context()
        task, started = work["task"], time.time()
        store = open_notes_store(notes_url)
        runtime.stream_writer(
            {"node": "researcher", "event": "started", "task": task["id"], "about": task}
        )
        cancelled = threading.Event()
        note: Note | None = None
        status, error = "ok", ""
        try:
            model = models("researcher", context.model, seconds_left(work["deadline_at"]))
            note = run_within(
                lambda: investigate(model, store, work, cancelled), work["deadline_at"]
            )
        except TimeoutError as late:  # DeadlineExceeded, or the model's own deadline
            status, error = "timeout", f"no findings before the research deadline: {late}"
        except Exception as failure:  # one researcher must not sink the run
            status, error = "failed", f"{type(failure).__name__}: {failure}"
        finally:
            cancelled.set()
        if note is None:
            note = store.post(
                work["run_id"],
                task["id"],
                author_of(task),
                f"No findings: {error}",
                [],
                {"stage": "gap", "status": status},
            )
        finding = Finding(
            run_id=work["run_id"],
            task_id=task["id"],
            company=task.get("company"),
            focus=str(task["focus"]),
            status=status,  # type: ignore[typeddict-item]
            note_key=task["id"],
            note_version=note.version if status == "ok" else 0,
            sources=list(note.sources),
            error=error,
        )
        event = trace_event(work["run_id"], "researcher", task["id"], started, status)
        runtime.stream_writer({"node": "researcher", "event": "finished", **finding, **event})
        return {"findings": [finding], "trace": [event]}

    return research
