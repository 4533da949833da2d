"""What code decides for a bookstore turn before the model phrases it: which book "it" is,
whether we carry it, which books are similar, what the reply must state, and the reply to
give when the model's reply leaves a decided fact out."""

from __future__ import annotations

from dataclasses import dataclass

from agents.bookstore.asking import (
    asks_book,
    asks_name,
    book_title,
    refers_back,
    stocked_book,
    wants_similar,
)
from agents.bookstore.state import BOOK_SLOT, NAME_SLOT
from conversation.facts import FactSheet
from tools.catalogue import Book, Catalogue, names_title

SIMILAR_COUNT = 3
"""Books offered for a "something similar" request."""

ASPECTS = (
    ("price", ("how much", "price", "cost", "expensive", "cheap")),
    ("author", ("who wrote", "author", "written by", "who is it by", "who's it by")),
    ("stock", ("in stock", "available", "availability", "have it", "copies", "on the shelf")),
)
"""What a customer asks about a book, by the words they use."""
NOT_CARRIED_PHRASES = (
    "don't carry",
    "do not carry",
    "don't have",
    "do not have",
    "don't stock",
    "do not stock",
    "not in our catalogue",
    "not in our catalog",
    "isn't in our",
    "is not in our",
    "not carry",
)
"""How a reply says the shop does not have a book."""
ASK_WHICH = "Which book do you mean? Tell me its title and I'll look."
ASK_SIMILAR = "Similar to which book? Tell me a title you liked and I'll find others like it."


@dataclass(frozen=True)
class TurnPlan:
    """The engine's decisions for one turn; the model phrases them."""

    note: str = ""
    """What code decided, told to the model in the system prompt ('' when nothing)."""
    tools: bool = True
    """Whether the model may call the catalogue tools this turn."""
    must_mention: tuple[str, ...] = ()
    """Titles, names or figures the reply has to state."""
    any_of: tuple[str, ...] = ()
    """Titles of which the reply has to state at least one (suggestions)."""
    not_carried: bool = False
    """The reply has to say that we do not carry the book (and give no price)."""
    foreign: tuple[str, ...] = ()
    """Titles the reply must not name (every other book, when only the asked one is meant)."""
    fallback: str = ""
    """The engine's own reply, used when the model's reply misses a decided fact."""

    def missing(self, reply: str) -> list[str]:
        """The decided facts ``reply`` leaves out (empty when the reply states them all)."""
        gone = [item for item in self.must_mention if not _states(reply, item)]
        if self.any_of and not any(_states(reply, title) for title in self.any_of):
            gone.append("one of: " + ", ".join(self.any_of))
        if self.not_carried and (
            not any(p in reply.lower() for p in NOT_CARRIED_PHRASES) or "$" in reply
        ):
            gone.append("that we do not carry it")
        gone += [f"not {title}" for title in self.foreign if names_title(reply, title)]
        return gone


def _states(reply: str, item: str) -> bool:
    """True when ``reply`` states ``item`` (a title by its words, anything else as written)."""
    return names_title(reply, item) or item.lower() in reply.lower()


def aspect(text: str) -> str:
    """What the customer asks about the book: ``price``, ``author``, ``stock`` or ''."""
    lowered = text.lower()
    return next((name for name, words in ASPECTS if any(w in lowered for w in words)), "")


def _about(book: Book, wanted: str) -> tuple[str, tuple[str, ...]]:
    """(the catalogue's answer, the figures it must state) for ``wanted`` about ``book``."""
    price = f"${book.price:.2f}"
    if wanted == "price":
        return f"{book.title} costs {price}.", (book.title, price)
    if wanted == "author":
        return f"{book.title} was written by {book.author}.", (book.title, book.author)
    if wanted == "stock":
        return f"{book.title}: {book.availability()}", (book.title,)
    answer = f"Yes, we have {book.title} by {book.author} ({book.genre}), {price}."
    return f"{answer} {book.availability()}", (book.title,)


def _not_carried(title: str, wanted: str) -> str:
    """The engine's reply about a book we do not carry."""
    what = {"price": "a price", "author": "details", "stock": "stock"}.get(wanted)
    reason = f", so I can't give you {what} for it" if what else ""
    return f"Sorry, we don't carry {title}{reason}. Shall I suggest something similar?"


def similar_books(book: Book, catalogue: Catalogue, count: int = SIMILAR_COUNT) -> list[Book]:
    """Books like ``book``: the same author first, then the same genre (never the book)."""
    others = [b for b in catalogue.all_books() if b.id != book.id and b.genre == book.genre]
    others.sort(key=lambda b: (b.author != book.author, b.stock == 0, b.id))
    return others[:count]


def _others(catalogue: Catalogue, title: str) -> tuple[str, ...]:
    """Every catalogue title except ``title`` (the reply must name none of them)."""
    return tuple(b.title for b in catalogue.all_books() if not names_title(title, b.title))


def _recall(text: str, name: str, title: str, carried: bool, others: tuple[str, ...]) -> TurnPlan:
    """Plan for "what's my name / which book was I asking about"."""
    parts, must = [], []
    if asks_name(text) or not asks_book(text):
        parts.append(f"You're {name}" if name else "You haven't told me your name yet")
        must += [name] if name else []
    if asks_book(text):
        if title:
            tail = "" if carried else ", which we don't carry"
            parts.append(f"you were asking about {title}{tail}")
            must.append(title)
        else:
            parts.append("you haven't asked about a book yet")
    reply = ", and ".join(parts) + "."
    facts = [f"the customer's name is {name}" if name else "the customer gave no name"]
    facts.append(f"the book they asked about is {title}" if title else "they named no book yet")
    note = f"The customer asks what you remember: {'; '.join(facts)}. For example: {reply}"
    return TurnPlan(
        note=note, tools=False, must_mention=tuple(must), fallback=reply, foreign=others
    )


def _similar(title: str, book: Book | None, catalogue: Catalogue) -> TurnPlan:
    """Plan for "something similar / another one" measured against the asked book."""
    if not title:
        return TurnPlan(
            note="The customer wants something similar but has named no book yet: ask which. "
            f"For example: {ASK_SIMILAR}",
            tools=False,
            fallback=ASK_SIMILAR,
        )
    if book is None:
        return TurnPlan(
            note=(
                f"The customer wants something similar to {title}, which we do not carry, so "
                "the catalogue cannot match it. Ask which genre or author they enjoy, or search "
                f"the catalogue by genre. The book they asked about stays {title}."
            )
        )
    picks = similar_books(book, catalogue)
    listed = "; ".join(f"{b.title} by {b.author} (${b.price:.2f})" for b in picks)
    reply = (
        f"If you liked {book.title}, you might enjoy: {listed}. "
        "Would you like to know more about one of them?"
    )
    note = (
        f"The customer wants books similar to {book.title} by {book.author} ({book.genre}). "
        f"From our catalogue, offer these and no others: {listed}. "
        f"The book they asked about stays {book.title}. For example: {reply}"
    )
    return TurnPlan(note=note, tools=False, any_of=tuple(b.title for b in picks), fallback=reply)


def plan_turn(facts: FactSheet | None, text: str, turn: int, catalogue: Catalogue) -> TurnPlan:
    """The engine's decisions for the customer's message ``text`` in ``turn``."""
    sheet = facts or {}
    asked, named = sheet.get(BOOK_SLOT), sheet.get(NAME_SLOT)
    name = named["value"] if named else ""
    title = book_title(asked["value"], catalogue) if asked else ""
    book = stocked_book(asked["value"], catalogue) if asked else None
    asked_now = asked is not None and asked["turn"] == turn
    if asks_name(text) or asks_book(text):
        return _recall(text, name, title, book is not None, _others(catalogue, title))
    if wants_similar(text) and not asked_now:
        return _similar(title, book, catalogue)
    if not asked_now and not refers_back(text):
        return TurnPlan()
    wanted = aspect(text)
    if asked is None:
        return TurnPlan(
            note=f"No book has been named yet: ask which book the customer means. "
            f"For example: {ASK_WHICH}",
            tools=False,
            fallback=ASK_WHICH,
        )
    if book is None:
        reply = _not_carried(title, wanted)
        note = (
            f"The book the customer means is {title}. We do not carry {title}: the catalogue "
            "was checked and has no such title. Tell them so, name no other book and no "
            f"price, and offer to suggest something similar. For example: {reply}"
        )
        return TurnPlan(
            note=note,
            tools=False,
            must_mention=(title,),
            fallback=reply,
            not_carried=True,
            foreign=_others(catalogue, title),
        )
    answer, must = _about(book, wanted)
    pointer = "asked about" if asked_now else 'means by "it"'
    note = (
        f"The book the customer {pointer} is {book.label}. Look it up with book_details or "
        f'check_availability (book="{book.id}") and answer from the result.'
    )
    return TurnPlan(note=note, must_mention=must, fallback=answer)
