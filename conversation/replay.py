"""A request the engine says again for the customer (taken up later), marked as such.

A deferred message, a request kept until the customer is verified, and the rest of a message
after its identity details re-enter the conversation as a new human message, so the agents
read them as the newest request. They are the customer's earlier words, not a new message:
the transcript and anything counting user turns skip them.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage

REPLAY_KEY = "switchboard_replayed"
"""The ``additional_kwargs`` key that marks a replayed request."""


def replayed_request(text: str) -> HumanMessage:
    """The customer's earlier ``text``, said again by the engine."""
    return HumanMessage(content=text, additional_kwargs={REPLAY_KEY: True})


def is_replayed(message: Any) -> bool:
    """Whether ``message`` is a request the engine said again."""
    return isinstance(message, HumanMessage) and bool(message.additional_kwargs.get(REPLAY_KEY))
