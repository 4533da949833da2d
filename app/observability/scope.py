"""The thread and turn being processed, as context variables that logs and spans read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_THREAD: ContextVar[str | None] = ContextVar("switchboard_thread", default=None)
_TURN: ContextVar[int | None] = ContextVar("switchboard_turn", default=None)


@contextmanager
def turn_scope(thread_id: str, turn: int | None) -> Iterator[None]:
    """Mark everything run inside the block (and threads it starts) as ``thread_id``/``turn``."""
    thread_token = _THREAD.set(thread_id)
    turn_token = _TURN.set(turn)
    try:
        yield
    finally:
        _TURN.reset(turn_token)
        _THREAD.reset(thread_token)


def current_thread() -> str | None:
    """The thread of the turn being processed, if any."""
    return _THREAD.get()


def current_turn() -> int | None:
    """The number of the turn being processed, if known."""
    return _TURN.get()
