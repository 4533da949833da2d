"""What the customer's message asks for, read by code: a named title, "it", "something similar"."""

from __future__ import annotations

import re

from tools.catalogue import Book, Catalogue

NOT_CARRIED = " (not in our catalogue)"
"""Suffix of a ``last_book`` value the catalogue does not have (``Dune (not in our catalogue)``)."""

TITLE_CUE = (
    r"(?i:do you (?:have|carry|sell|stock)|have you got|do you guys have|is there|"
    r"i'?m looking for|looking for|i(?:'d| would) like|i want|i need|can i get|can i buy|"
    r"tell me about|what about|how about|how much is|how much does|what does|who wrote|"
    r"i meant|i mean|(?:^|(?<=[.!?] ))is)"
)
BOOK_ASK = re.compile(
    r"(?:\b|^)" + TITLE_CUE + r"\s+(?i:a copy of\s+|copies of\s+|the book\s+|the novel\s+)?"
    r"(?P<value>[\"“'‘]?[A-Za-z0-9][^?!.;\n]{1,80})"
)
"""A message that names a book: "Do you have Dune?", "how much is The Tin Violin", "I meant X"."""
QUOTED = re.compile(r"(?:(?<=\s)|^)[\"“'‘](?P<value>[^\"”'’]{2,80})[\"”'’](?!\w)")
"""A title in quotes, anywhere in the message."""

_NOT_TITLE_START_TEXT = """
    a an any some anything something someone more other another it its it's that this these those
    there them they books book novels novel ones one titles title stuff me my you your we our
    in on at for by with from to of about how what which who when where why if and or but not
    no yes ok okay please cheap good new recent interested looking still also similar else
    """
_NOT_TITLE_START = frozenset(_NOT_TITLE_START_TEXT.split())
"""First words that show the phrase after a cue is not a title ("do you have any mysteries")."""
_TAIL = re.compile(
    r"(?i)\s+(?:in stock|in paperback|in hardback|at all|please|today|right now|for me|"
    r"by\s.+|for\s.+|cost|costs|in the shop|on the shelf)\s*$"
)
REFERENCE = re.compile(
    r"\b(?:it|its|it's|that one|this one|that book|this book|the book|that title|that|this)\b",
    re.I,
)
"""Words that point back at a book already talked about ("How much is it?")."""
SIMILAR = re.compile(
    r"\b(?:similar|something like|anything like|books? like|others like|more like|"
    r"another(?!\s+(?:question|thing|time|day|one of mine))|along the same lines|"
    r"in the same vein|same genre|same author|alternatives?)\b",
    re.I,
)
"""A request for other books measured against the one asked about."""
RECALL_NAME = re.compile(r"\b(?:what'?s my name|what is my name|who am i|remember my name)\b", re.I)
RECALL_BOOK = re.compile(
    r"\b(?:which|what) (?:book|title|novel)\b.*\b(?:ask(?:ed|ing)?|talk(?:ed|ing)?|mention(?:ed)?|"
    r"want(?:ed)?|look(?:ed|ing)?)\b",
    re.I,
)


def _clean(raw: str) -> str:
    """A candidate title without quotes, trailing fillers and a trailing clause."""
    text = raw.strip().strip("\"“”'‘’").strip()
    text = re.split(r",\s|\s+(?:and|or|but)\s+(?:how|what|who|is|do|can)\b", text)[0]
    while (cut := _TAIL.sub("", text)) != text:
        text = cut
    return text.strip(" ,\"“”'‘’")


def _title_case(text: str) -> str:
    """``text`` with its first letter capitalized (the rest as the customer wrote it)."""
    return text[:1].upper() + text[1:]


def asked_value(catalogue: Catalogue, raw: str, *, quoted: bool = False) -> str:
    """The ``last_book`` value for a phrase the customer used as a title ('' if it is not one).

    A title the catalogue has gives its label (``BK0010: The Tin Violin by Silas Osei``); the
    longest leading run of words that is a catalogue title wins ("The Tin Violin in paperback").
    A capitalized or quoted phrase the catalogue lacks is remembered as asked, marked
    ``NOT_CARRIED``.
    """
    text = _clean(raw)
    words = text.split()
    for end in range(len(words), 0, -1):
        book = catalogue.find_title(" ".join(words[:end]))
        if book is not None:
            return book.label
    if not words or words[0].lower().strip("'\"") in _NOT_TITLE_START:
        return ""
    if not (quoted or text[:1].isupper()) or len(words) > 8:
        return ""
    if REFERENCE.fullmatch(text) or SIMILAR.search(text):
        return ""
    return _title_case(text) + NOT_CARRIED


def book_id(value: str) -> str:
    """The catalogue id at the start of a ``last_book`` value ('' for a book we do not carry)."""
    match = re.match(r"(BK\d{4}):", value)
    return match.group(1) if match else ""


def book_title(value: str, catalogue: Catalogue) -> str:
    """The title inside a ``last_book`` value (``Dune``, ``The Tin Violin``)."""
    book = catalogue.get(book_id(value)) if book_id(value) else None
    if book is not None:
        return book.title
    return value.removesuffix(NOT_CARRIED).strip()


def stocked_book(value: str, catalogue: Catalogue) -> Book | None:
    """The catalogue entry a ``last_book`` value names (``None`` for a book we do not carry)."""
    return catalogue.get(book_id(value)) if book_id(value) else None


def refers_back(text: str) -> bool:
    """True when the message points at a book without naming one ("Who wrote that one?")."""
    return bool(REFERENCE.search(text))


def wants_similar(text: str) -> bool:
    """True when the customer asks for other books like the one asked about."""
    return bool(SIMILAR.search(text))


def asks_name(text: str) -> bool:
    """True when the customer asks what their name is."""
    return bool(RECALL_NAME.search(text))


def asks_book(text: str) -> bool:
    """True when the customer asks which book they were asking about."""
    return bool(RECALL_BOOK.search(text))
