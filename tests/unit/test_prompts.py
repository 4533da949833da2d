"""Every prompt file renders with its named placeholders, and strict rendering catches mistakes."""

from __future__ import annotations

import pytest

from agents.prompting import policy_text
from prompts.loader import PROMPT_DIR, PromptError, load, placeholders, render

PROMPTS = sorted(path.stem for path in PROMPT_DIR.glob("*.md"))


@pytest.mark.parametrize("name", PROMPTS)
def test_every_prompt_renders_with_values_for_its_placeholders(name: str) -> None:
    values = {field: f"<{field}>" for field in placeholders(name)}
    text = render(name, **values)
    assert text.strip()
    assert "{{" not in text  # escaped braces were rendered to literal ones
    for field in values:
        assert f"<{field}>" in text


@pytest.mark.parametrize("agent", ["billing", "plan_change", "tech_support", "general"])
def test_agent_policies_render_with_the_shared_rules(agent: str) -> None:
    text = policy_text(agent)
    assert "Bluebell Mobile" in text
    assert "explicit yes" in text  # the shared rule block is included
    assert "{" not in text


def test_missing_and_unknown_placeholders_are_refused() -> None:
    with pytest.raises(PromptError, match="needs values for: brand"):
        render("support_base")
    with pytest.raises(PromptError, match="no placeholders named: colour"):
        render("support_base", brand="X", colour="red")
    with pytest.raises(PromptError, match="No prompt named"):
        load("does_not_exist")
