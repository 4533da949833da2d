"""The bookstore's scripted policy (a test double): a pure function of the prompt, for ``scripted``.

It reads only what a real model would see — the fact sheet in the system prompt, the newest
user message and this turn's tool results — and picks a tool or writes a grounded reply.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from llm.stand_in import ToolSpec

PRICE_WORDS = ("how much", "price", "cost", "expensive", "cheap")
AUTHOR_WORDS = ("who wrote", "author", "written by", "who is it by", "who's it by")
STOCK_WORDS = ("in stock", "available", "availability", "have it", "have a copy", "copies")
DETAIL_WORDS = ("tell me more", "details", "what is it about", "what's it about", "pages", "genre")
REFERENCE = re.compile(r"\b(?:it|that one|this one|that book|this book|the book|that|this)\b", re.I)
NAME_QUESTION = re.compile(
    r"\b(?:what'?s my name|what is my name|who am i|remember my name)\b", re.I
)
NAME_STATEMENT = re.compile(r"\b(?:my name is|my name's|call me|i am|i'm)\b", re.I)
QUOTED = re.compile(r"[\"“'‘](?P<q>[^\"”'’]{3,80})[\"”'’]")
TITLE_ASK = re.compile(
    r"\b(?i:do you have|have you got|looking for|search for|find|about|is there|tell me about|"
    r"how much is|who wrote|is)\s+(?i:a copy of\s+|the book\s+)?(?P<q>[A-Z][^?!.]{2,80})"
)
AUTHOR_ASK = re.compile(
    r"\b(?:books by|anything by|written by|novels by)\s+(?P<q>[^?!.]{3,60})", re.I
)
GENRE_ASK = re.compile(
    r"\b(?:recommend|suggest|any|some|good)\s+(?:a\s+|an\s+)?(?P<q>[a-z' ]{3,30}?)\s*"
    r"(?:books?|novels?|titles?|reads?)\b",
    re.I,
)
RENAME = re.compile(r"\b(?:instead|from now on|rather|actually|now)\b", re.I)
GENRE_FILLER = re.compile(r"\b(?:good|great|new|nice|some|any|fun|popular|recent)\b\s*", re.I)
FACT_NAME = re.compile(r"^- name: (?P<v>.+?) \(turn", re.M)
FOR_EXAMPLE = re.compile(r"For example: (?P<reply>.+)$", re.M)
"""The engine's example reply in this turn's note (played when no tools are bound)."""
FACT_BOOK = re.compile(r"^- last_book: (?P<id>BK\d{4}): (?P<label>.+?) \(turn", re.M)


def _system(messages: Sequence[BaseMessage]) -> str:
    """Text of the system messages (policy and fact sheet)."""
    return "\n".join(str(m.content) for m in messages if isinstance(m, SystemMessage))


def _last_human(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return str(message.content)
    return ""


def _trailing_results(messages: Sequence[BaseMessage]) -> list[ToolMessage]:
    """The tool results at the end of the prompt (this step's input)."""
    results: list[ToolMessage] = []
    for message in reversed(messages):
        if not isinstance(message, ToolMessage):
            break
        results.insert(0, message)
    return results


def aspect(text: str) -> str:
    """What the user asks about a book: ``price``, ``author``, ``stock``, ``details`` or ''."""
    lowered = text.lower()
    for name, words in (
        ("price", PRICE_WORDS),
        ("author", AUTHOR_WORDS),
        ("stock", STOCK_WORDS),
        ("details", DETAIL_WORDS),
    ):
        if any(word in lowered for word in words):
            return name
    return ""


def _field(content: str, label: str) -> str:
    """The value of ``Label: value`` in a details result ('' when absent)."""
    match = re.search(rf"^{label}: (.+)$", content, re.M)
    return match.group(1).strip() if match else ""


def _call(tool: str, tools: Sequence[ToolSpec], **args: object) -> AIMessage:
    """A call of ``tool`` when it is bound, else a plain apology (no tools this step)."""
    if tool not in {spec.name for spec in tools}:
        return AIMessage(content="Sorry, I can't look that up right now. Please try again.")
    return AIMessage(content="", tool_calls=[{"name": tool, "args": args, "id": ""}])


def _search_request(text: str) -> tuple[str, str] | None:
    """(query, field) when ``text`` names a title, an author or a genre."""
    if match := QUOTED.search(text):
        return match.group("q").strip(), "title"
    if match := AUTHOR_ASK.search(text):
        return match.group("q").strip(), "author"
    if match := TITLE_ASK.search(text):
        query = match.group("q").strip()
        if not REFERENCE.fullmatch(query.split()[0]):
            return query, "title"
    if match := GENRE_ASK.search(text):
        return GENRE_FILLER.sub("", match.group("q")).strip(), "genre"
    return None


def _answer_details(content: str, wanted: str) -> str:
    """A reply from a ``book_details`` result focused on ``wanted``."""
    title, author = _field(content, "Title"), _field(content, "Author")
    price, stock = _field(content, "Price"), _field(content, "Availability")
    if not title:
        return content
    if wanted == "price":
        return f"{title} costs {price}."
    if wanted == "author":
        return f"{title} was written by {author}."
    if wanted == "stock":
        return f"{title}: {stock}"
    return f"{title} by {author} ({_field(content, 'Genre')}), {price}. {stock}"


def _answer_search(content: str, query: str, by: str) -> str:
    """A reply from a ``search_books`` result (``by``: the field searched)."""
    lines = [line for line in content.splitlines() if line.strip()]
    if not lines or content.startswith("No books"):
        return f"Sorry, I couldn't find anything matching {query!r} in our catalogue."
    if len(lines) == 1 or (by == "title" and f": {query.lower()} by " in lines[0].lower()):
        return f"Yes, we have it: {lines[0]}."
    listed = "; ".join(lines[:3])
    return f"I found several books: {listed}. Which one would you like to know more about?"


def reply_from_results(results: Sequence[ToolMessage], user_text: str) -> str:
    """A grounded reply to ``user_text`` from this step's tool results."""
    last = results[-1]
    content = str(last.content).strip()
    if last.name == "book_details":
        return _answer_details(content, aspect(user_text))
    if last.name == "search_books":
        query, by = _search_request(user_text) or (user_text, "any")
        return _answer_search(content, query, by)
    return content


def _greeting(text: str, name: str) -> str:
    """A reply to a message that only gives (or asks for) the customer's name."""
    if NAME_QUESTION.search(text):
        return f"You're {name}." if name else "You haven't told me your name yet."
    if name and RENAME.search(text):
        return f"Of course — I'll call you {name} from now on."
    if name:
        return f"Nice to meet you, {name}! Which book can I help you find?"
    return "Hello! Which book can I help you find today?"


def bookstore_responder(messages: list[BaseMessage], tools: list[ToolSpec]) -> AIMessage:
    """The scripted bookstore assistant's next message."""
    system, text = _system(messages), _last_human(messages)
    name_match, book_match = FACT_NAME.search(system), FACT_BOOK.search(system)
    name = name_match.group("v") if name_match else ""
    results = _trailing_results(messages)
    if results:
        return AIMessage(content=reply_from_results(results, text))
    if not tools and (example := FOR_EXAMPLE.search(system)):
        return AIMessage(content=example.group("reply").strip())
    wanted = aspect(text)
    request = _search_request(text)
    if request is not None and request[1] == "title" and wanted:
        return _call("book_details", tools, book=request[0])
    if request is not None:
        return _call("search_books", tools, query=request[0], by=request[1])
    if wanted and REFERENCE.search(text):
        if book_match is None:
            return AIMessage(content="Which book do you mean? Tell me its title and I'll look.")
        book_id = book_match.group("id")
        tool = "check_availability" if wanted == "stock" else "book_details"
        return _call(tool, tools, book=book_id)
    if NAME_STATEMENT.search(text) or NAME_QUESTION.search(text):
        return AIMessage(content=_greeting(text, name))
    return AIMessage(
        content="I can search our catalogue by title, author or genre, and tell you prices and "
        "availability. What are you looking for?"
    )
