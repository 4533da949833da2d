"""Adversarial suite cases: load and validate ``data/adversarial/cases.yaml``."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conversation.paths import repo_root

CATEGORIES: dict[str, str] = {
    "prompt_injection_user": "prompt injection in the user message",
    "prompt_injection_kb": "prompt injection inside a knowledge-base passage",
    "jailbreak_roleplay": "role-play jailbreaks",
    "cross_account_id": "another customer's data by customer, bill, line or card id",
    "cross_account_phone": "another customer's data by phone number",
    "cross_account_name": "another customer's data by name (identity verification)",
    "confirmation_bypass": "writes without an explicit confirmation",
    "price_tampering": "a price other than the stored one, or terms changed after the yes",
    "oversized_binary": "oversized, binary and control-character input",
    "unicode_tricks": "homoglyphs, RTL overrides, zero-width and tag characters",
    "resource_abuse": "a model that never stops calling tools (the turn must still end)",
    "http_malformed": "malformed JSON and wrong types on every HTTP endpoint",
}
"""Suite categories and what each covers."""
EXPECTATIONS = frozenset(
    {
        "redirect",
        "refused",
        "confirmation",
        "boundary",
        "grounded",
        "aborted",
        "stopped",
        "reported",
        "verification",
        "arguments",
    }
)
CONFIRM_MODES = frozenset({"no", "yes", "ignore"})


class CaseError(ValueError):
    """A malformed case file; the message names the case and the fix."""


@dataclass(frozen=True)
class Step:
    """One tool call the compromised model makes (``also``: a second call in the same reply)."""

    tool: str
    args: dict[str, Any] = field(default_factory=dict)
    call_id: str | None = None
    also: Step | None = None


@dataclass(frozen=True)
class Case:
    """One hostile scenario."""

    id: str
    category: str
    customer: str | None
    says: tuple[str | bytes, ...]
    attack: tuple[Step, ...] = ()
    reply: str = "Here is what I found: {results}"
    confirm: str = "no"
    before_yes: dict[str, Any] = field(default_factory=dict)
    passage: str | None = None
    forbidden: tuple[str, ...] = ()
    expect: frozenset[str] = frozenset()
    loop: bool = False
    """The compromised model repeats its last attack step for ever."""


def default_path() -> Path:
    """The shipped case file."""
    return repo_root() / "data" / "adversarial" / "cases.yaml"


def decode_say(item: object, case_id: str) -> str | bytes:
    """One user message: plain text, Python-escaped text, a repetition, or raw bytes."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and "escaped" in item:
        return codecs.decode(str(item["escaped"]), "unicode_escape")
    if isinstance(item, dict) and "repeat" in item:
        return str(item["repeat"]) * int(item.get("times", 1))
    if isinstance(item, dict) and "bytes_hex" in item:
        return bytes.fromhex(str(item["bytes_hex"]))
    raise CaseError(
        f"case {case_id}: a 'say' item must be text, {{escaped: ...}}, {{repeat: ..., times: N}} "
        f"or {{bytes_hex: ...}}, not {item!r}"
    )


def parse_step(raw: object, case_id: str) -> Step:
    """A ``{tool, args, id, also}`` mapping as a ``Step``."""
    if not isinstance(raw, dict) or not isinstance(raw.get("tool"), str):
        raise CaseError(f"case {case_id}: each attack step needs a 'tool' name, got {raw!r}")
    args = raw.get("args") or {}
    if not isinstance(args, dict):
        raise CaseError(f"case {case_id}: 'args' of {raw['tool']} must be a mapping")
    also = parse_step(raw["also"], case_id) if raw.get("also") else None
    return Step(raw["tool"], dict(args), raw.get("id"), also)


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def parse_case(raw: dict[str, Any]) -> Case:
    """Validate one case mapping."""
    case_id = str(raw.get("id") or "")
    if not case_id:
        raise CaseError(f"every case needs an 'id'; got {raw!r}")
    category = raw.get("category")
    if category not in CATEGORIES:
        raise CaseError(
            f"case {case_id}: unknown category {category!r}; use one of {sorted(CATEGORIES)}"
        )
    expect = frozenset(str(e) for e in _as_list(raw.get("expect")))
    if not expect or expect - EXPECTATIONS:
        raise CaseError(f"case {case_id}: 'expect' must be one or more of {sorted(EXPECTATIONS)}")
    answer = raw.get("confirm", "no")
    confirm = (
        {True: "yes", False: "no"}.get(answer, str(answer))
        if isinstance(answer, bool)
        else str(answer)
    )
    if confirm not in CONFIRM_MODES:
        raise CaseError(f"case {case_id}: 'confirm' must be one of {sorted(CONFIRM_MODES)}")
    says = tuple(decode_say(item, case_id) for item in _as_list(raw.get("say")))
    if not says:
        raise CaseError(f"case {case_id}: 'say' needs at least one user message")
    return Case(
        id=case_id,
        category=str(category),
        customer=raw.get("customer", "C1001"),
        says=says,
        attack=tuple(parse_step(step, case_id) for step in _as_list(raw.get("attack"))),
        reply=str(raw.get("reply") or Case.reply),
        confirm=confirm,
        before_yes=dict(raw.get("before_yes") or {}),
        passage=raw.get("passage"),
        forbidden=tuple(str(s) for s in _as_list(raw.get("forbidden"))),
        expect=expect,
        loop=bool(raw.get("loop", False)),
    )


def load_cases(path: Path | None = None) -> list[Case]:
    """Every case of the file at ``path`` (default: the shipped suite), validated."""
    source = path or default_path()
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CaseError(f"cannot read the adversarial cases in {source}: {error}") from error
    raw_cases = document.get("cases") if isinstance(document, dict) else None
    if not isinstance(raw_cases, list):
        raise CaseError(f"{source}: expected a top-level 'cases:' list")
    cases = [parse_case(raw) for raw in raw_cases]
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise CaseError(f"{source}: case id {case.id!r} is used twice; ids must be unique")
        seen.add(case.id)
    return cases
