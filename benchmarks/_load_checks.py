"""Load benchmark checks: every thread's history, the storm's order, and write effects."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchmarks._load_client import Conversation
from tools.store import open_store


@dataclass
class Consistency:
    """What the audit of the threads found."""

    threads: int = 0
    expected_turns: int = 0
    found_turns: int = 0
    lost_turns: int = 0
    duplicated_turns: int = 0
    unfinished_inbox: int = 0
    stuck_threads: int = 0
    problems: list[str] = field(default_factory=list)

    def add_problem(self, text: str) -> None:
        """Keep a few examples."""
        if len(self.problems) < 8:
            self.problems.append(text)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "threads": self.threads,
            "expected_turns": self.expected_turns,
            "found_turns": self.found_turns,
            "lost_turns": self.lost_turns,
            "duplicated_turns": self.duplicated_turns,
            "unfinished_inbox": self.unfinished_inbox,
            "stuck_threads": self.stuck_threads,
            "consistent": self.lost_turns == 0
            and self.duplicated_turns == 0
            and self.unfinished_inbox == 0
            and self.stuck_threads == 0,
            "problems": self.problems,
        }


async def _get(http: httpx.AsyncClient, url: str, token: str) -> dict[str, Any]:
    for attempt in range(5):
        try:
            response = await http.get(url, headers={"Authorization": f"Bearer {token}"})
            response.raise_for_status()
            data: dict[str, Any] = response.json()
            return data
        except httpx.HTTPError:
            if attempt == 4:
                raise
            await asyncio.sleep(1.0)
    raise AssertionError("unreachable")


async def audit_thread(
    http: httpx.AsyncClient, base: str, conv: Conversation, result: Consistency
) -> None:
    """Compare what the client sent with the thread's full history, state and inbox."""
    root = f"{base}/v1/threads/{conv.thread}"
    history = await _get(http, f"{root}/history", conv.token)
    state = await _get(http, f"{root}/state", conv.token)
    users = [m["content"] for m in history["messages"] if m["role"] == "user"]
    sent, seen = Counter(conv.sent_messages), Counter(users)
    lost = sum((sent - seen).values())
    duplicated = sum((seen - sent).values()) + max(0, history["turn"] - len(conv.sent_messages))
    result.threads += 1
    result.expected_turns += len(conv.sent_messages)
    result.found_turns += len(users)
    result.lost_turns += lost
    result.duplicated_turns += duplicated
    if lost or duplicated:
        result.add_problem(
            f"thread {conv.thread}: sent {len(conv.sent_messages)}, history {len(users)}, "
            f"turn {history['turn']}"
        )
    unfinished = [e for e in state["inbox"] if e["status"] in {"queued", "running"}]
    result.unfinished_inbox += len(unfinished)
    if state["pending_nodes"] and not state["pending_confirmation"]:
        result.stuck_threads += 1
        result.add_problem(f"thread {conv.thread} stopped mid-turn at {state['pending_nodes']}")


async def audit(
    http: httpx.AsyncClient, base: str, conversations: list[Conversation], parallel: int = 8
) -> Consistency:
    """Audit every conversation (a few at a time)."""
    result = Consistency()
    gate = asyncio.Semaphore(parallel)

    async def one(conv: Conversation) -> None:
        async with gate:
            await audit_thread(http, base, conv, result)

    await asyncio.gather(*(one(conv) for conv in conversations if conv.thread))
    return result


def storm_verdict(
    accepted: dict[int, int], texts: dict[int, str], history: dict[str, Any], thread: str
) -> dict[str, Any]:
    """Whether the storm's messages ran in sequence order, each exactly once.

    ``accepted`` maps message index → inbox sequence number, ``texts`` index → text.
    """
    users = [m for m in history["messages"] if m["role"] == "user"]
    order = sorted(accepted, key=accepted.__getitem__)
    expected_texts = [texts[i] for i in order]
    in_order = [m["content"] for m in users] == expected_texts
    ids = [m["id"] for m in users]
    exactly_once = (
        len(ids) == len(set(ids)) == len(texts)
        and history["turn"] == len(texts)
        and sorted(accepted.values()) == list(range(1, len(texts) + 1))
        and ids == [f"{thread}:{accepted[i]}" for i in order]
    )
    return {
        "storm_messages": len(texts),
        "storm_answered": len(accepted),
        "storm_in_order": in_order,
        "storm_exactly_once": exactly_once,
    }


def write_effects(
    database_url: str, run_id: str, conversations: list[Conversation]
) -> dict[str, Any]:
    """Tickets in the telco store against the confirmed and declined ticket requests."""
    store = open_store(database_url)
    rows = store.rows("tickets", "description LIKE ?", (f"%(ref {run_id}-%",))
    counts = Counter(row["description"].rsplit("(ref ", 1)[1].rstrip(")") for row in rows)
    approved = {ref for conv in conversations for ref in conv.approved_refs}
    declined = {ref for conv in conversations for ref in conv.declined_refs}
    runs = store.rows("tool_runs", "tool = ?", ("open_ticket",))
    run_ids = Counter(row["tool_call_id"] for row in runs)
    return {
        "writes_confirmed": len(approved),
        "writes_found": sum(counts.values()),
        "writes_run_twice": sum(n - 1 for n in counts.values() if n > 1)
        + sum(n - 1 for n in run_ids.values() if n > 1),
        "writes_missing": len(approved - set(counts)),
        "writes_after_decline": len(declined & set(counts)),
    }
