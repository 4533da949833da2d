"""The research plan: its JSON schema, strict parsing, deterministic repair and a fallback plan."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_RESEARCHERS = 4
"""Most research tasks a plan may hold (they run in parallel)."""

TaskKind = Literal["research_company", "research_market", "comparative_analysis"]
RESEARCH_KINDS = ("research_company", "research_market")


class PlanTask(BaseModel):
    """One task of the plan."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{2,48}$", description="unique snake_case task id")
    kind: TaskKind
    company: str | None = Field(
        default=None, description="company name for research_company tasks, else null"
    )
    focus: str = Field(min_length=2, max_length=200, description="what to find out")


class Plan(BaseModel):
    """A plan: parallel research tasks, then one comparative analysis."""

    model_config = ConfigDict(extra="forbid")

    focus: str = Field(min_length=2, max_length=200, description="the question's main theme")
    tasks: list[PlanTask] = Field(min_length=2, max_length=MAX_RESEARCHERS + 1)

    @property
    def research_tasks(self) -> list[PlanTask]:
        """The tasks researchers run (in plan order)."""
        return [task for task in self.tasks if task.kind in RESEARCH_KINDS]


class PlanError(ValueError):
    """A plan that cannot be used; the message says what is wrong (it is shown to the model)."""


def plan_schema() -> str:
    """The plan's JSON schema as compact text for the planner prompt (titles dropped)."""
    return json.dumps(_without_titles(Plan.model_json_schema()), separators=(",", ":"))


def _without_titles(node: Any) -> Any:
    """A JSON schema without its ``title`` entries (they only cost prompt tokens)."""
    if isinstance(node, dict):
        return {k: _without_titles(v) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_without_titles(item) for item in node]
    return node


def check_plan(plan: Plan, companies: Sequence[str]) -> Plan:
    """``plan`` if it also makes sense for this corpus, else ``PlanError`` naming the problem."""
    ids = [task.id for task in plan.tasks]
    if len(set(ids)) != len(ids):
        raise PlanError(f"task ids must be unique; got {ids}")
    research = plan.research_tasks
    if not research:
        raise PlanError("the plan needs at least one research task")
    if len(research) > MAX_RESEARCHERS:
        raise PlanError(f"at most {MAX_RESEARCHERS} research tasks are allowed")
    analyses = [task for task in plan.tasks if task.kind == "comparative_analysis"]
    if len(analyses) != 1 or plan.tasks[-1].kind != "comparative_analysis":
        raise PlanError("the plan must end with exactly one comparative_analysis task")
    for task in research:
        if task.kind == "research_company" and task.company not in companies:
            raise PlanError(
                f"task {task.id!r} names company {task.company!r}; use one of: "
                f"{', '.join(companies)}"
            )
    return plan


def extract_json(text: str) -> str:
    """The first balanced ``{...}`` block of ``text`` (code fences and chatter are ignored)."""
    start = text.find("{")
    if start < 0:
        raise PlanError("the answer contains no JSON object")
    depth, in_string, escaped = 0, False, False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            escaped = char == "\\" and not escaped
            if char == '"' and not escaped:
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
    raise PlanError("the JSON object is not closed")


def parse_plan(text: str, companies: Sequence[str]) -> Plan:
    """The plan in ``text``, strictly: valid JSON, valid schema, sensible for the corpus."""
    try:
        data = json.loads(extract_json(text))
    except json.JSONDecodeError as error:
        raise PlanError(f"invalid JSON: {error}") from error
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        raise PlanError(_short_errors(error)) from error
    return check_plan(plan, companies)


def _short_errors(error: ValidationError) -> str:
    """Validation errors as one line per field (what a model can act on)."""
    parts = [
        f"{'.'.join(str(p) for p in item['loc']) or 'plan'}: {item['msg']}"
        for item in error.errors()[:6]
    ]
    return "schema errors: " + "; ".join(parts)


# --- repair ----------------------------------------------------------------------------------


def _loose_load(text: str) -> Any:
    """JSON, or JSON with trailing commas / single quotes / Python literals."""
    block = extract_json(text)
    cleaned = re.sub(r",\s*([}\]])", r"\1", block)
    try:
        return json.loads(cleaned)
    except json.JSONDecodeError:
        pass
    python_like = re.sub(r"\bnull\b", "None", re.sub(r"\btrue\b", "True", cleaned))
    python_like = re.sub(r"\bfalse\b", "False", python_like)
    try:
        return ast.literal_eval(python_like)
    except (ValueError, SyntaxError) as error:
        raise PlanError(f"unreadable JSON even after cleanup: {error}") from error


def match_company(name: object, companies: Sequence[str]) -> str | None:
    """The corpus company ``name`` refers to (full name or first word, any case), if any."""
    if not isinstance(name, str) or not name.strip():
        return None
    lowered = name.strip().lower()
    for company in companies:
        if lowered == company.lower() or company.split()[0].lower() in lowered:
            return company
    return None


def _slug(text: str) -> str:
    """A task id from free text."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return (slug if slug[:1].isalpha() else f"task_{slug}")[:48] or "task"


def _kind(raw: dict[str, Any], company: str | None) -> str:
    """The task kind a loosely written task means."""
    text = f"{raw.get('kind', '')} {raw.get('type', '')} {raw.get('id', '')}".lower()
    if any(word in text for word in ("compar", "analy", "synth")):
        return "comparative_analysis"
    if company is not None:
        return "research_company"
    return "research_market"


def repair_plan(text: str, question: str, companies: Sequence[str]) -> Plan:
    """Turn a malformed plan into a valid one: lenient JSON, guessed kinds, known companies.

    Raises ``PlanError`` when nothing usable is left.
    """
    data = _loose_load(text)
    if isinstance(data, list):
        data = {"tasks": data}
    if not isinstance(data, dict):
        raise PlanError("the plan is not a JSON object")
    raw_tasks = data.get("tasks") or data.get("plan") or data.get("steps") or []
    tasks: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_tasks if isinstance(raw_tasks, list) else []):
        if not isinstance(raw, dict):
            continue
        company = match_company(raw.get("company") or raw.get("target"), companies)
        kind = _kind(raw, company)
        if kind == "comparative_analysis":
            continue
        if kind == "research_company" and (company is None or company in seen):
            continue
        seen.add(company or "")
        focus = str(raw.get("focus") or raw.get("description") or question)[:200]
        task_id = _slug(str(raw.get("id") or f"research_{company or 'market'}_{position}"))
        tasks.append({"id": task_id, "kind": kind, "company": company, "focus": focus})
    focus = str(data.get("focus") or question)[:200]
    return _finish(tasks[:MAX_RESEARCHERS], focus, companies)


def _finish(tasks: list[dict[str, Any]], focus: str, companies: Sequence[str]) -> Plan:
    """Unique ids, the closing analysis task, then strict validation."""
    used: set[str] = set()
    for task in tasks:
        while task["id"] in used:
            task["id"] = f"{task['id']}_2"[:48]
        used.add(task["id"])
    tasks.append(
        {
            "id": "comparative_analysis",
            "kind": "comparative_analysis",
            "company": None,
            "focus": f"compare the findings on {focus}"[:200],
        }
    )
    try:
        plan = Plan.model_validate({"focus": focus or "overview", "tasks": tasks})
    except ValidationError as error:
        raise PlanError(_short_errors(error)) from error
    return check_plan(plan, companies)


FOCUS_WORDS = (
    ("ai strategy", ("ai", "artificial intelligence", "automation", "machine learning")),
    ("pricing", ("price", "pricing", "plans", "cost", "tariff", "charge", "fee", "pay")),
    ("network", ("network", "coverage", "5g", "spectrum")),
    ("customers", ("customer", "subscriber", "churn", "satisfaction", "nps")),
    ("financials", ("revenue", "profit", "financial", "ebitda", "results")),
    ("market positioning", ("position", "market", "strategy", "compete")),
)


def question_focus(question: str) -> str:
    """The main theme of ``question`` (``market positioning`` when none stands out)."""
    lowered = f" {question.lower()} "
    themes = [
        theme
        for theme, words in FOCUS_WORDS
        if any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in words)
    ]
    return " and ".join(themes[:2]) or "market positioning"


def companies_in(question: str, companies: Sequence[str]) -> list[str]:
    """Corpus companies named in ``question`` (full name or first word), in order of mention."""
    lowered = question.lower()
    found = []
    for company in companies:
        hits = [
            i for i in (lowered.find(company.lower()), lowered.find(company.split()[0].lower()))
        ]
        hits = [i for i in hits if i >= 0]
        if hits:
            found.append((min(hits), company))
    return [company for _, company in sorted(found)]


def fallback_plan(question: str, companies: Sequence[str]) -> Plan:
    """A plan derived from the question alone: one task per named company (or the market)."""
    focus = question_focus(question)
    named = companies_in(question, companies)[:MAX_RESEARCHERS]
    letters = "abcdefgh"
    tasks: list[dict[str, Any]] = [
        {
            "id": f"research_company_{letters[i]}",
            "kind": "research_company",
            "company": company,
            "focus": focus,
        }
        for i, company in enumerate(named)
    ]
    if not tasks:
        tasks = [
            {"id": "research_market", "kind": "research_market", "company": None, "focus": focus}
        ]
    return _finish(tasks, focus, companies)
