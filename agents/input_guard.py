"""Input checks shared by the graph's first node, the CLI and the HTTP server."""

from __future__ import annotations

import unicodedata

DEFAULT_MAX_CHARS = 4000


class InvalidMessage(ValueError):
    """A user message that cannot be processed; the text says what is wrong and what to do."""


def check_message(text: object, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Return the cleaned message, or raise ``InvalidMessage`` naming the problem and the fix."""
    if not isinstance(text, str):
        raise InvalidMessage(f"The message must be text, not {type(text).__name__}.")
    if "\x00" in text:
        raise InvalidMessage("The message contains binary data (NUL bytes). Send plain text.")
    cleaned = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs"}
    ).strip()
    if not cleaned:
        raise InvalidMessage("The message is empty. Type what you need help with.")
    if len(cleaned) > max_chars:
        raise InvalidMessage(
            f"The message is {len(cleaned)} characters long; the limit is {max_chars}. "
            "Shorten it or split it into several messages."
        )
    return cleaned
