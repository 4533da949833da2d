"""Bookstore memory with the scripted model: the asked book (carried or not) is "it", a search
hit the customer never named is not, "something similar" keeps the asked book, corrections win."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from agents.bookstore.agent import guard_reply
from agents.bookstore.asking import NOT_CARRIED, asked_value
from agents.bookstore.memory import ask_update, book_update
from agents.bookstore.turn_plan import plan_turn, similar_books
from agents.context import Context
from app.session import Session
from graphs.bookstore import compile_graph
from tools.catalogue import open_catalogue

CONTEXT = Context(model="scripted")


def session(thread: str) -> Session:
    return Session(compile_graph(InMemorySaver()), thread, CONTEXT)


def facts(chat: Session) -> dict:
    return chat.graph.get_state(chat.config).values.get("facts", {})


def test_a_title_we_do_not_carry_is_remembered_as_asked_and_is_it() -> None:
    chat = session("t-dune")
    chat.send("Hi, I'm Sam")
    asked = chat.send("Do you have Dune?")
    assert asked.tool_calls == []
    assert "don't carry Dune" in asked.reply
    book = facts(chat)["last_book"]
    assert book["value"] == "Dune" + NOT_CARRIED
    assert book["turn"] == 2 and book["verified"] is True
    price = chat.send("How much is it?")
    assert price.tool_calls == []
    assert "Dune" in price.reply and "don't carry" in price.reply and "$" not in price.reply
    recall = chat.send("What's my name and which book was I asking about?")
    assert "Sam" in recall.reply and "Dune" in recall.reply
    assert "Memory Freighter" not in recall.reply


def test_something_similar_keeps_the_asked_book_as_it() -> None:
    catalogue = open_catalogue()
    violin = catalogue.find_title("The Tin Violin")
    assert violin is not None
    chat = session("t-violin")
    chat.send("Hi, I'm Sam")
    found = chat.send("Do you have The Tin Violin?")
    assert "Tin Violin" in found.reply
    similar = chat.send("Can you suggest something similar?")
    picks = similar_books(violin, catalogue)
    assert any(p.title in similar.reply for p in picks)
    assert all(p.genre == violin.genre for p in picks) and violin not in picks
    assert facts(chat)["last_book"]["value"] == violin.label
    price = chat.send("How much is it?")
    assert price.tool_calls[0]["args"] == {"book": violin.id}
    assert f"${violin.price:.2f}" in price.reply
    recall = chat.send("What's my name and which book was I asking about?")
    assert "Sam" in recall.reply and "Tin Violin" in recall.reply


def test_a_search_hit_the_customer_never_named_does_not_become_it() -> None:
    freighter = open_catalogue().find_title("The Memory Freighter")
    assert freighter is not None
    hit = {"title": freighter.title, "label": freighter.label, "id": freighter.id}
    call = AIMessage(content="", tool_calls=[{"name": "search_books", "args": {}, "id": "c1"}])
    result = ToolMessage(content=freighter.line(), tool_call_id="c1", artifact={"focus": hit})
    unnamed = [HumanMessage(content="Any good space operas?"), call, result]
    assert book_update(None, unnamed, 1) == {}
    named = [HumanMessage(content="is the memory freighter good?"), call, result]
    assert book_update(None, named, 1)["last_book"]["value"] == freighter.label


def test_a_correction_replaces_the_asked_book_through_the_fact_sheet() -> None:
    first = ask_update(None, "Do you have Dune?", 1)
    corrected = ask_update(first, "Sorry, I meant The Tin Violin", 2)["last_book"]
    assert corrected["value"].startswith("BK0010:")
    assert corrected["corrected_from"] == "Dune" + NOT_CARRIED
    assert corrected["correction"] is True


def test_only_titles_become_the_asked_book() -> None:
    catalogue = open_catalogue()
    assert "last_book" not in ask_update(None, "My name is Sam", 1)
    assert "last_book" not in ask_update(None, "Do you have any mystery books?", 1)
    assert "last_book" not in ask_update(None, "How much is it?", 1)
    assert "last_book" not in ask_update(None, "do you have something similar?", 1)
    assert asked_value(catalogue, "The Tin Violin in paperback").startswith("BK0010:")
    assert asked_value(catalogue, "a quiet year in vellmoor").startswith("BK0002:")
    stocked = ask_update(None, "Is The Tin Violin in stock?", 1)
    assert stocked["last_book"]["value"].startswith("BK0010:")
    quoted = ask_update(None, "Have you got 'the left hand of darkness'?", 1)
    assert quoted["last_book"]["value"] == "The left hand of darkness" + NOT_CARRIED


def test_a_reply_that_names_another_book_for_it_is_replaced() -> None:
    sheet = ask_update(None, "Do you have Dune?", 1)
    plan = plan_turn(sheet, "How much is it?", 2, open_catalogue())
    assert plan.tools is False and plan.must_mention == ("Dune",)
    wrong = AIMessage(content="The Memory Freighter is currently priced at $13.95.")
    reply, missing = guard_reply(wrong, plan)
    assert missing and "don't carry Dune" in str(reply.content)
    right = AIMessage(content="We don't stock Dune, I'm afraid. Something similar?")
    assert guard_reply(right, plan) == (right, [])
