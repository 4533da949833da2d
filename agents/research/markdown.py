"""The report's Markdown as the grounding step reads it: sentences, headings, bullet labels,
repeated findings, sections left empty and an unfinished last sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence

LABEL = re.compile(r"^\s*\*\*[^*\n]{1,80}\*\*\s*:?\s*")
"""A bullet's bold label (``**Market position:**``): a heading for the line, not a claim."""
WHOLE_END = re.compile(r"[.!?\]]\s*$")
"""How the last line of a reply cut at its length limit ends when its sentence is whole:
a full stop (or ! ?) or a citation; anything else was cut mid-sentence."""
BULLET = re.compile(r"^\s*(?:[-*+]\s+|\d+\.\s+)?")
"""A line's leading indentation and bullet or number mark (empty for plain prose)."""


def split_sentences(text: str) -> list[str]:
    """Sentences of one line of prose; citations after a full stop stay with their sentence."""
    pieces: list[str] = []
    start, index = 0, 0
    ending = re.compile(r"[.!?](?=\s|$)")
    while (match := ending.search(text, index)) is not None:
        end = match.end()
        tail = re.match(r"(?:\s*\[[a-z0-9][a-z0-9-]{2,80}\])+", text[end:])
        if tail:
            end += tail.end()
        pieces.append(text[start:end].strip())
        start = index = end
    if text[start:].strip():
        pieces.append(text[start:].strip())
    return [p for p in pieces if p]


def bullet_mark(line: str) -> str:
    """The indentation and bullet mark ``line`` opens with (``"  - "``; '' for prose)."""
    match = BULLET.match(line)
    return match.group(0) if match else ""


def unlabelled(text: str) -> str:
    """``text`` without a leading bold label (``**Market position:** ...``)."""
    return LABEL.sub("", text, count=1)


def heading_level(line: str) -> int:
    """How deep a Markdown heading is (``###`` → 3; 0 for a line that is no heading)."""
    return len(line) - len(line.lstrip("#"))


def without_repeats(lines: Sequence[str]) -> list[str]:
    """``lines`` without a prose line that repeats one earlier in its section (a ``##`` or
    ``###`` heading; a small model writes the same bullet under several sub-headings)."""
    out: list[str] = []
    seen: set[str] = set()
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            if heading_level(stripped) <= 3:
                seen = set()
        elif stripped and _said(stripped) in seen:
            continue
        seen.add(_said(stripped))
        out.append(line)
    return out


def _said(line: str) -> str:
    """What a prose line says, without its bullet mark and bold label (a small model writes
    one finding under two labels: "**Market positioning**: X" and "**AI strategy**: X")."""
    if line.startswith("#"):
        return line
    return unlabelled(line[len(bullet_mark(line)) :]).strip()


def without_empty_sections(lines: Sequence[str]) -> list[str]:
    """``lines`` without headings that have no prose under them before the next heading of
    the same or a higher level (every sentence of the section was removed)."""
    out: list[str] = []
    for index, line in enumerate(lines):
        level = heading_level(line.strip())
        if level and not _has_prose(lines[index + 1 :], level):
            continue
        out.append(line)
    return out


def _has_prose(rest: Sequence[str], level: int) -> bool:
    """Whether a prose line comes before the next heading of level ``level`` or higher."""
    for line in rest:
        depth = heading_level(line.strip())
        if depth and depth <= level:
            return False
        if line.strip() and not depth:
            return True
    return False


def without_unfinished_end(body: str) -> tuple[str, str]:
    """``body`` without its last sentence when that one is unfinished (a writer stopped at
    its length limit mid-sentence), and the words left out ('' when it ends whole)."""
    lines = body.rstrip().splitlines()
    if not lines or heading_level(lines[-1].strip()) or WHOLE_END.search(lines[-1]):
        return body, ""
    last = lines[-1]
    unfinished = split_sentences(last)[-1]
    kept = last[: last.rindex(unfinished)].rstrip()
    if not unlabelled(kept[len(bullet_mark(kept)) :]).strip():
        kept = ""
    left_out = last[len(kept) :].strip()
    return "\n".join([*lines[:-1], kept] if kept else lines[:-1]).rstrip(), left_out
