"""The bookstore bot with the scripted model: pronouns resolve to the last book, the name
survives a restart, and threads are isolated."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from agents.bookstore.memory import name_update, prune_window
from agents.context import Context
from app.session import Session
from graphs.bookstore import compile_graph
from tools.catalogue import load_seed

CONTEXT = Context(model="scripted")


@pytest.fixture
def saver_path(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints.sqlite"


def open_saver(path: Path) -> SqliteSaver:
    saver = SqliteSaver(sqlite3.connect(str(path), check_same_thread=False))
    saver.setup()
    return saver


@pytest.fixture
def saver(saver_path: Path) -> Iterator[SqliteSaver]:
    saver = open_saver(saver_path)
    yield saver
    saver.conn.close()


def book(index: int) -> dict:
    return load_seed()[index]


def facts(session: Session) -> dict:
    return session.graph.get_state(session.config).values.get("facts", {})


def test_six_turns_resolve_it_and_that_one_to_the_last_book(saver: SqliteSaver) -> None:
    salt, other = book(0), book(19)
    session = Session(compile_graph(saver), "t-six", CONTEXT)
    replies = [
        session.send("Hi, I'm Alex."),
        session.send(f"Do you have {salt['title']}?"),
        session.send("How much is it?"),
        session.send("Call me Sam instead."),
        session.send("Who wrote that one?"),
        session.send(f"Tell me about '{other['title']}'. How much is it?"),
    ]
    assert "Alex" in replies[0].reply
    assert salt["title"] in replies[1].reply
    assert replies[2].tool_calls[0]["args"] == {"book": salt["id"]}
    assert f"${salt['price']:.2f}" in replies[2].reply
    assert "Sam" in replies[3].reply
    assert replies[4].tool_calls[0]["args"] == {"book": salt["id"]}
    assert salt["author"] in replies[4].reply
    assert f"${other['price']:.2f}" in replies[5].reply
    sheet = facts(session)
    assert sheet["name"]["value"] == "Sam"
    assert sheet["name"]["corrected_from"] == "Alex"
    assert sheet["last_book"]["value"].startswith(f"{other['id']}:")
    assert sheet["last_book"]["verified"] is True


def test_the_name_and_last_book_survive_a_restart(saver_path: Path) -> None:
    salt = book(0)
    first = open_saver(saver_path)
    session = Session(compile_graph(first), "t-restart", CONTEXT)
    session.send("My name is Priya.")
    session.send(f"Do you have {salt['title']}?")
    first.conn.close()

    second = open_saver(saver_path)
    try:
        again = Session(compile_graph(second), "t-restart", CONTEXT)
        assert "Priya" in again.send("What's my name?").reply
        price = again.send("How much is it?")
        assert price.tool_calls[0]["args"] == {"book": salt["id"]}
        assert f"${salt['price']:.2f}" in price.reply
    finally:
        second.conn.close()


def test_two_threads_never_see_each_others_name_or_book(saver: SqliteSaver) -> None:
    graph = compile_graph(saver)
    alex, bea = Session(graph, "t-alex", CONTEXT), Session(graph, "t-bea", CONTEXT)
    alex.send("I'm Alex.")
    alex.send(f"Do you have {book(0)['title']}?")
    bea.send("My name is Bea.")
    assert "Bea" in bea.send("What's my name?").reply
    assert "Alex" in alex.send("What's my name?").reply
    orphan = bea.send("How much is it?")
    assert orphan.tool_calls == []
    assert "Which book" in orphan.reply
    assert "last_book" not in facts(bea)
    assert facts(alex)["last_book"]["value"].startswith(book(0)["id"])


def test_old_turns_are_dropped_from_the_window_but_the_facts_stay(saver: SqliteSaver) -> None:
    session = Session(compile_graph(saver), "t-long", CONTEXT)
    session.send("Call me Kofi.")
    session.send(f"Do you have {book(3)['title']}?")
    for _ in range(8):
        session.send("What's my name?")
    values = session.graph.get_state(session.config).values
    humans = [m for m in values["messages"] if m.type == "human"]
    assert len(humans) == 6
    assert values["facts"]["name"]["value"] == "Kofi"
    assert "Kofi" in session.send("What's my name?").reply
    assert f"${book(3)['price']:.2f}" in session.send("How much is that one?").reply


def test_name_patterns_skip_words_that_are_not_names() -> None:
    assert name_update(None, "call me back later", 1) == {}
    assert name_update(None, "I'm looking for a thriller", 1) == {}
    assert name_update(None, "hi, my name is anya", 1)["name"]["value"] == "Anya"
    first = name_update(None, "I'm Alex", 1)
    renamed = name_update(first, "Actually, call me Sam instead", 2)
    assert renamed["name"]["value"] == "Sam" and renamed["name"]["correction"] is True


def test_prune_window_keeps_recent_turns_only() -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    messages = []
    for i in range(8):
        messages += [HumanMessage(content=f"q{i}", id=f"h{i}"), AIMessage(content="a", id=f"a{i}")]
    removals = prune_window(messages, keep_turns=3)
    assert [r.id for r in removals] == [m.id for m in messages[:10]]
    assert prune_window(messages[:4], keep_turns=3) == []


def test_graph_is_exported_without_a_checkpointer() -> None:
    from graphs import bookstore

    assert bookstore.graph.checkpointer is None
    assert {"begin_turn", "bookstore", "tools", "remember"} <= set(bookstore.graph.nodes)


def _chat(data_dir: Path, lines: str, *extra: str) -> list[dict]:
    """Run ``switchboard chat --graph bookstore`` in a new process; its JSON turn lines."""
    import json
    import os
    import subprocess
    import sys

    from conversation.paths import repo_root

    env = {**os.environ, "SWITCHBOARD_DATA_DIR": str(data_dir), "SWITCHBOARD_MODEL": "scripted"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "chat",
            "--graph",
            "bookstore",
            "--script",
            "-",
            "--json",
            *extra,
        ],
        input=lines,
        capture_output=True,
        text=True,
        cwd=repo_root(),
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_the_name_survives_a_new_process_through_the_cli(tmp_path: Path) -> None:
    first = _chat(tmp_path, f"I'm Maren.\nDo you have {book(7)['title']}?\n")
    thread = first[0]["thread"]
    assert book(7)["title"] in first[1]["reply"]
    second = _chat(tmp_path, "What's my name?\nWho wrote it?\n", "--thread", thread)
    assert "Maren" in second[0]["reply"]
    assert book(7)["author"] in second[1]["reply"]


def test_unusable_input_is_refused_without_touching_the_memory(saver: SqliteSaver) -> None:
    graph = compile_graph(saver)
    config = {"configurable": {"thread_id": "t-guard"}}
    graph.invoke({"messages": [{"role": "user", "content": "I'm Alex."}]}, config, context=CONTEXT)
    graph.invoke({"messages": [{"role": "user", "content": "x" * 5000}]}, config, context=CONTEXT)
    values = graph.get_state(config).values
    assert "limit is 4000" in values["messages"][-1].content
    assert all("x" * 100 not in str(m.content) for m in values["messages"])
    assert values["facts"]["name"]["value"] == "Alex"
