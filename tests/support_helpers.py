"""Helpers for tests that drive the support graph with the scripted model."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langgraph.checkpoint.sqlite import SqliteSaver

from agents.context import Context
from app.session import Session
from graphs.support import compile_graph


def letters_ref(length: int = 10) -> str:
    """A random reference made of letters only (digits would read as a line or phone number)."""
    return "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:length])


def sqlite_saver(path: Path) -> SqliteSaver:
    """A SQLite checkpointer on ``path`` (caller closes ``saver.conn``)."""
    saver = SqliteSaver(sqlite3.connect(str(path), check_same_thread=False))
    saver.setup()
    return saver


def session(
    saver: SqliteSaver, thread: str, customer: str | None = "C1001", **context: Any
) -> Session:
    """A session on the support graph with the scripted model."""
    ctx = Context(customer_id=customer, model="scripted", **context)
    return Session(compile_graph(saver), thread, ctx)


def dangling_calls(messages: Sequence[BaseMessage]) -> list[str]:
    """Ids of AI tool calls in ``messages`` that have no tool message (providers reject them)."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    return [
        str(call["id"])
        for m in messages
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call["id"] not in answered
    ]


def checkpoint_count(path: Path) -> int:
    """Number of checkpoints stored in the SQLite file ``path``."""
    with sqlite3.connect(str(path)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0])
