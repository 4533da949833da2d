"""Load prompt templates from this folder and render their named placeholders strictly."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

PROMPT_DIR = Path(__file__).resolve().parent


class PromptError(KeyError):
    """A prompt file is missing or a placeholder has no value."""


@cache
def load(name: str) -> str:
    """The raw text of ``prompts/<name>.md``."""
    path = PROMPT_DIR / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"No prompt named {name!r}: expected the file {path}.")
    return path.read_text(encoding="utf-8").strip()


def placeholders(name: str) -> set[str]:
    """Named placeholders used by ``prompts/<name>.md``."""
    return {field for _, field, _, _ in string.Formatter().parse(load(name)) if field}


def render(name: str, **values: object) -> str:
    """Render ``prompts/<name>.md``; every placeholder needs a value and no value may be unused."""
    needed = placeholders(name)
    missing = needed - values.keys()
    if missing:
        raise PromptError(f"Prompt {name!r} needs values for: {', '.join(sorted(missing))}.")
    extra = values.keys() - needed
    if extra:
        raise PromptError(f"Prompt {name!r} has no placeholders named: {', '.join(sorted(extra))}.")
    return load(name).format(**values)
