"""Shared set-up for the entry points: validate settings, open stores, compile graphs."""

from __future__ import annotations

import importlib
import os
from typing import Any

from agents.context import Context
from llm.errors import ModelConfigError
from llm.factory import make_model, resolve_spec
from tools.store import open_store

GRAPHS = {
    "support": "graphs.support",
    "bookstore": "graphs.bookstore",
    "research": "graphs.research",
}


class SetupError(ValueError):
    """A bad setting; the message names the problem and the fix."""


def model_spec(explicit: str | None) -> str:
    """The model spec to use, validated (raises ``SetupError`` with the fix)."""
    spec = (explicit or "").strip() or resolve_spec(None)
    try:
        make_model(spec)
    except ModelConfigError as error:
        raise SetupError(str(error)) from error
    return spec


def check_customer(customer_id: str | None, database_url: str = "") -> str | None:
    """``customer_id`` if it exists in the telco store (``None`` means: verify in the chat)."""
    if not customer_id:
        return None

    if open_store(database_url or None).customer(customer_id) is None:
        raise SetupError(
            f"Unknown customer {customer_id!r} (--customer or SWITCHBOARD_CUSTOMER): use an id "
            "from the telco store (for example C1001), or omit both to verify in the chat."
        )
    return customer_id


def make_context(
    customer_id: str | None, model: str, database_url: str = "", **overrides: Any
) -> Context:
    """The run context for a session."""
    limit = int(os.environ.get("SWITCHBOARD_MAX_MESSAGE_CHARS", "4000"))
    budget = int(os.environ.get("SWITCHBOARD_TOKEN_BUDGET", "3000"))
    settings: dict[str, Any] = {"max_message_chars": limit, "token_budget": budget}
    settings.update(overrides)
    return Context(customer_id=customer_id, model=model, database_url=database_url, **settings)


def compile_named(graph: str, checkpointer: Any) -> Any:
    """Compile the graph named ``graph`` with ``checkpointer``."""
    if graph not in GRAPHS:
        raise SetupError(f"Unknown graph {graph!r}. Choose one of: {', '.join(GRAPHS)}.")
    module = importlib.import_module(GRAPHS[graph])
    return module.compile_graph(checkpointer)
