"""Load benchmark clients: scripted conversations against our server and ``langgraph dev``."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from app.server.sse import parse_events
from llm.factory import SCRIPTED


@dataclass(frozen=True)
class Step:
    """One request of a scripted conversation: a message, or an answer to a confirmation."""

    kind: Literal["message", "confirm"]
    text: str = ""
    approve: bool = True


def answer_text(step: Step) -> str:
    """How the thread's history holds a confirmation answer."""
    return "yes" if step.approve else "no"


def script(ref: str, turns: int) -> list[Step]:
    """``turns`` requests: reads, two ticket writes (one confirmed, one declined), small talk."""
    base = [
        Step("message", "hello"),
        Step("message", "show my bills"),
        Step("message", f"please open a ticket, my data is slow (ref {ref}-a)"),
        Step("confirm", approve=True),
        Step("message", "what plans are there"),
        Step("message", "how much is the unlimited plan"),
        Step("message", f"please open a ticket, no signal at home (ref {ref}-b)"),
        Step("confirm", approve=False),
        Step("message", "explain my bill"),
        Step("message", "thanks, bye"),
    ]
    extra = [Step("message", f"what plans are there ({n})") for n in range(turns - len(base))]
    return (base + extra)[:turns]


@dataclass
class Stats:
    """What one phase measured."""

    requests: int = 0
    latencies: list[float] = field(default_factory=list)
    errors_5xx: int = 0
    errors_4xx: int = 0
    stream_errors: int = 0
    transport_errors: int = 0
    retried_ok: int = 0
    failed: int = 0
    started: float = field(default_factory=time.perf_counter)
    finished: float = 0.0
    samples: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Keep a few error samples for the report."""
        if len(self.samples) < 5:
            self.samples.append(text[:300])

    def summary(self) -> dict[str, Any]:
        """Turns/s and latency percentiles (milliseconds)."""
        elapsed = max((self.finished or time.perf_counter()) - self.started, 1e-9)
        ok = len(self.latencies) + self.retried_ok
        ordered = sorted(self.latencies)
        return {
            "requests": self.requests,
            "turns_ok": ok,
            "seconds": round(elapsed, 2),
            "turns_per_s": round(ok / elapsed, 2),
            "p50_ms": _percentile(ordered, 50),
            "p95_ms": _percentile(ordered, 95),
            "p99_ms": _percentile(ordered, 99),
            "mean_ms": round(1000 * statistics.fmean(ordered), 1) if ordered else None,
            "errors_5xx": self.errors_5xx,
            "errors_4xx": self.errors_4xx,
            "stream_errors": self.stream_errors,
            "transport_errors": self.transport_errors,
            "retried_ok": self.retried_ok,
            "failed": self.failed,
            "error_samples": self.samples,
        }


def _percentile(ordered: list[float], pct: float) -> float | None:
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return round(1000 * ordered[index], 1)


@dataclass
class Conversation:
    """One scripted thread: who, which requests went out, which confirmed writes completed."""

    customer: str
    token: str
    ref: str
    steps: list[Step]
    thread: str = ""
    sent_messages: list[str] = field(default_factory=list)
    approved_refs: list[str] = field(default_factory=list)
    declined_refs: list[str] = field(default_factory=list)
    completed: int = 0
    pending_ticket: str = ""


def progress(label: str, done: int, total: int) -> None:
    """One progress line on stderr."""
    print(f"[load] {label}: {done}/{total}", file=sys.stderr, flush=True)


async def ticker(label: str, counter: Callable[[], int], total: int, every: float = 5.0) -> None:
    """Print progress every ``every`` seconds until cancelled."""
    while True:
        await asyncio.sleep(every)
        progress(label, counter(), total)


class OurClient:
    """Talks to ``switchboard serve`` over HTTP/SSE, retrying dropped connections idempotently."""

    def __init__(self, http: httpx.AsyncClient, base: str, retries: int = 0) -> None:
        self.http = http
        self.base = base
        self.retries = retries

    async def create_thread(self, token: str) -> str:
        """A new thread owned by the token's customer."""
        response = await self.http.post(
            f"{self.base}/v1/threads", headers={"Authorization": f"Bearer {token}"}
        )
        response.raise_for_status()
        return str(response.json()["thread_id"])

    async def request(
        self, conv: Conversation, step: Step, client_id: str, stats: Stats
    ) -> dict[str, Any] | None:
        """Run one step; the ``done`` payload, or ``None`` after recording the failure."""
        body: dict[str, Any] = {"client_message_id": client_id}
        if step.kind == "message":
            path, body["text"] = "messages", step.text
        else:
            path, body["approve"] = "confirm", step.approve
        url = f"{self.base}/v1/threads/{conv.thread}/{path}"
        headers = {"Authorization": f"Bearer {conv.token}", "Accept": "text/event-stream"}
        stats.requests += 1
        first = time.perf_counter()
        for attempt in range(self.retries + 1):
            start = time.perf_counter()
            try:
                response = await self.http.post(url, json=body, headers=headers)
            except httpx.TransportError as error:
                stats.transport_errors += 1
                stats.note(f"transport: {type(error).__name__} {error}")
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            return self._finish(response, stats, start if attempt == 0 else first, attempt > 0)
        stats.failed += 1
        return None

    @staticmethod
    def _finish(
        response: httpx.Response, stats: Stats, start: float, retried: bool
    ) -> dict[str, Any] | None:
        if response.status_code >= 500:
            stats.errors_5xx += 1
            stats.note(f"{response.status_code}: {response.text}")
            return None
        if response.status_code != 200:
            stats.errors_4xx += 1
            stats.note(f"{response.status_code}: {response.text}")
            return None
        events = parse_events(response.text)
        if not events or events[-1][0] != "done":
            stats.stream_errors += 1
            stats.note(f"stream ended with {events[-1] if events else 'nothing'}")
            return None
        if retried:
            stats.retried_ok += 1
        else:
            stats.latencies.append(time.perf_counter() - start)
        return events[-1][1] | {"_seq": events[0][1].get("seq")}


async def converse(
    send: Callable[[Conversation, Step, str], Awaitable[dict[str, Any] | None]],
    conv: Conversation,
) -> None:
    """Play the conversation's steps in order; stop at the first failed step."""
    for index, step in enumerate(conv.steps):
        # An answer is the customer's next message too: the graph stores it as "yes" or "no"
        # and counts it as a turn (docs/turns.md).
        conv.sent_messages.append(step.text if step.kind == "message" else answer_text(step))
        result = await send(conv, step, f"{conv.ref}-{index}")
        if result is None:
            return
        conv.completed += 1
        if step.kind == "message" and "open a ticket" in step.text:
            conv.pending_ticket = step.text.rsplit("(ref ", 1)[1].rstrip(")")
        elif step.kind == "confirm" and conv.pending_ticket:
            target = conv.approved_refs if step.approve else conv.declined_refs
            target.append(conv.pending_ticket)
            conv.pending_ticket = ""


class BaselineClient:
    """Talks to ``langgraph dev`` through ``langgraph_sdk`` (streaming runs, like ours)."""

    def __init__(self, url: str, database_url: str) -> None:
        # Lazy: langgraph_sdk is a dev-only dependency.
        from langgraph_sdk import get_client

        self.client = get_client(url=url, timeout=300.0)
        self.database_url = database_url

    def context(self, customer: str) -> dict[str, Any]:
        """The run context: the same customer, model and telco store as our server."""
        return {"customer_id": customer, "model": SCRIPTED, "database_url": self.database_url}

    async def create_thread(self) -> str:
        """A new in-memory thread."""
        thread = await self.client.threads.create()
        return str(thread["thread_id"])

    async def request(
        self, conv: Conversation, step: Step, _client_id: str, stats: Stats
    ) -> dict[str, Any] | None:
        """Stream one run to its end; ``{}`` on success, ``None`` after recording the failure."""
        stats.requests += 1
        start = time.perf_counter()
        kwargs: dict[str, Any]
        if step.kind == "message":
            kwargs = {"input": {"messages": [{"role": "user", "content": step.text}]}}
        else:
            kwargs = {"command": {"resume": step.approve}}
        try:
            async for part in self.client.runs.stream(
                conv.thread,
                "support",
                context=self.context(conv.customer),
                stream_mode="updates",
                **kwargs,
            ):
                if part.event == "error":
                    stats.stream_errors += 1
                    stats.note(f"baseline error event: {part.data}")
                    return None
        except httpx.HTTPStatusError as error:
            status = error.response.status_code
            stats.errors_5xx += status >= 500
            stats.errors_4xx += status < 500
            stats.note(f"baseline {status}: {error.response.text}")
            return None
        except httpx.TransportError as error:
            stats.transport_errors += 1
            stats.note(f"baseline transport: {error}")
            return None
        stats.latencies.append(time.perf_counter() - start)
        return {}

    async def turn_count(self, thread: str) -> int:
        """The thread's ``turn`` counter."""
        state = await self.client.threads.get_state(thread)
        values = state.get("values") or {}
        return int(values.get("turn") or 0) if isinstance(values, dict) else 0
