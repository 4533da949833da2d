"""Run settings of every graph, passed as ``context_schema`` (customer identity comes from here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Context:
    """Per-run settings; JSON-friendly so Studio and the HTTP server can pass them."""

    customer_id: str | None = None
    """Authenticated customer; ``None`` means the lookup flow must verify one first."""
    model: str = ""
    """Model spec (``scripted``, ``local``, ``openai:gpt-4o-mini``); empty = env or default."""
    database_url: str = ""
    """Telco store URL; empty = ``SWITCHBOARD_DATABASE_URL`` or the SQLite file in the data dir."""
    token_budget: int = 3000
    """Most prompt tokens any single model call may use."""
    window_budget: int = 1400
    """Tokens for the recent window; above it the oldest turns are folded into the summary."""
    summary_budget: int = 400
    """Tokens for the running summary."""
    facts_budget: int = 300
    """Tokens for the fact sheet."""
    passages_budget: int = 500
    """Tokens for retrieved knowledge-base passages."""
    classifier_threshold: float = 0.0
    """Local classifier confidence below which the LLM decides (0 = the classifier's default)."""
    max_message_chars: int = 4000
    """Longest user message accepted."""
