"""The server's resources for one worker process, and the async flow of a turn request."""

from __future__ import annotations

import asyncio
import importlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from agents.context import Context
from agents.triage import classify_local
from app.locks import TurnLocks, open_locks
from app.observability.setup import Observability
from app.runtime import GRAPHS, compile_named, make_context, model_spec
from app.server.errors import ApiError
from app.server.inbox import Entry, Inbox
from app.server.ratelimit import Limiter, open_limiter
from app.server.schemas import DemoCustomer
from app.server.settings import ServerSettings
from app.server.turns import TurnRunner
from app.stores import open_checkpointer, server_database_url
from app.threads import ThreadInfo, ThreadRegistry
from data_access import Database, open_database
from data_access.kv import ping_redis
from tools.store import open_store

log = logging.getLogger("switchboard.server")

T = TypeVar("T")
Event = tuple[str, dict[str, Any]]
Batch = list[Event]
_OWNER_CACHE_MAX = 100_000


@dataclass
class Ticket:
    """An accepted message: its inbox entry and whether this request added it."""

    entry: Entry
    created: bool


class Service:
    """Checkpointer, graph, inbox, locks and limits of one worker process."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self._stack = ExitStack()
        self._owners: dict[str, str | None] = {}
        self._background: set[asyncio.Future[Any]] = set()
        self.model = ""
        self.graph: Any = None
        self.db: Database
        self.inbox: Inbox
        self.registry: ThreadRegistry
        self.locks: TurnLocks
        self.limiter: Limiter
        self.runner: TurnRunner
        self.observability: Observability | None = None
        self._turn_pool: ThreadPoolExecutor | None = None
        """Threads that run turns: at most ``turn_workers`` turns at once in this process."""
        self._db_pool: ThreadPoolExecutor | None = None
        """Threads for the short blocking database calls of requests."""

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Open every resource (raises with a fix-it message when something is misconfigured)."""
        settings = self.settings
        self.model = model_spec(settings.model)
        pool_size = settings.turn_workers + 4
        self.db = self._stack.enter_context(
            closing(open_database(server_database_url(settings.database_url), pool_size=pool_size))
        )
        self.inbox = Inbox(self.db)
        self.inbox.setup()
        self.registry = ThreadRegistry(db=self.db)
        self.locks = self._stack.enter_context(
            closing(open_locks(settings.database_url, settings.redis_url, pool_size))
        )
        self.limiter = self._stack.enter_context(closing(open_limiter(settings.redis_url)))
        saver = self._stack.enter_context(open_checkpointer(settings.database_url or None))
        self.graph = compile_named(settings.graph, saver)
        warm_up(settings.graph)
        self.observability = Observability.from_env()
        self._stack.callback(self.observability.shutdown)
        self.runner = TurnRunner(
            self.graph,
            self.inbox,
            self.locks,
            self.context_for,
            interrupt_policy=settings.busy_policy == "interrupt",
            on_finished=self.registry.touch,
            observability=self.observability,
        )
        # Registered last, so closed first: turns in flight finish before the stores close.
        self._db_pool = ThreadPoolExecutor(pool_size, thread_name_prefix="sb-db")
        self._stack.callback(self._db_pool.shutdown, wait=True, cancel_futures=True)
        self._turn_pool = ThreadPoolExecutor(settings.turn_workers, thread_name_prefix="sb-turn")
        self._stack.callback(self._turn_pool.shutdown, wait=True, cancel_futures=True)
        log.info(
            "Serving graph %s with model %s, locks %s, rate limits %s",
            settings.graph,
            self.model,
            self.locks.backend,
            self.limiter.backend,
        )

    def close(self) -> None:
        """Release every resource."""
        self._stack.close()

    def in_db_thread(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run a short blocking call (a database read or write) off the event loop.

        A plain executor rather than ``anyio.to_thread``: this is on every request's path,
        and the executor hop costs a fraction of anyio's.
        """
        assert self._db_pool is not None, "the service is not started"
        return asyncio.get_running_loop().run_in_executor(self._db_pool, partial(fn, *args))

    def in_turn_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        """Run a turn on one of the ``turn_workers`` turn threads (callers beyond wait)."""
        assert self._turn_pool is not None, "the service is not started"
        call = partial(fn, *args, **kwargs)
        return asyncio.get_running_loop().run_in_executor(self._turn_pool, call)

    def context_for(self, customer_id: str | None) -> Context:
        """The run context of a turn for ``customer_id``."""
        return make_context(
            customer_id,
            self.model,
            self.settings.database_url,
            max_message_chars=self.settings.max_message_chars,
        )

    # -- threads ----------------------------------------------------------------------------

    async def authorize(self, thread_id: str, customer_id: str) -> str | None:
        """The thread's owner if it is ``customer_id``; ``UnknownThread``/``ThreadForbidden``."""
        if thread_id in self._owners and self._owners[thread_id] == customer_id:
            return customer_id
        info: ThreadInfo = await self.in_db_thread(self.registry.authorize, thread_id, customer_id)
        if len(self._owners) >= _OWNER_CACHE_MAX:
            self._owners.clear()
        self._owners[thread_id] = info.customer_id
        return info.customer_id

    async def confirmation_possible(self, thread_id: str, client_id: str | None = None) -> bool:
        """Whether the thread waits for a confirmation (or has queued turns that may ask one).

        A resent answer (same ``client_id``) is always possible: it reports the first outcome.
        """

        def check() -> bool:
            if self.inbox.unfinished_or_sent(thread_id, client_id):
                return True
            snapshot = self.graph.get_state({"configurable": {"thread_id": thread_id}})
            return any(task.interrupts for task in snapshot.tasks)

        return await self.in_db_thread(check)

    # -- turns ------------------------------------------------------------------------------

    async def accept(
        self, thread_id: str, kind: str, payload: dict[str, Any], client_id: str | None
    ) -> Ticket:
        """Put the message in the thread's inbox and apply the busy policy (409 on ``reject``)."""
        entry, created = await self.in_db_thread(
            self.inbox.enqueue, thread_id, kind, payload, client_id
        )
        ticket = Ticket(entry, created)
        if entry.final or not created:
            return ticket
        policy = self.settings.busy_policy
        if policy == "reject":
            # Probe the lock and let go at once: holding it across the response start would
            # leak it if the client vanished before the stream began.
            lease = await self.in_db_thread(self.locks.try_acquire, thread_id)
            if lease is not None:
                lease.release()
            ahead = await self.in_db_thread(self.inbox.ahead_of, thread_id, entry.seq)
            if lease is None or ahead:
                await self.in_db_thread(
                    lambda: self.inbox.finish(
                        thread_id, entry.seq, "rejected", error="thread busy", code="thread_busy"
                    )
                )
                raise ApiError(
                    409,
                    "thread_busy",
                    "A turn is already running on this thread and the server's busy policy is "
                    "'reject': wait for its 'done' event, then send again.",
                )
        elif policy == "interrupt":
            await self.in_db_thread(self.inbox.request_cancel, thread_id)
        return ticket

    async def run(self, ticket: Ticket, owner: str | None) -> AsyncIterator[Batch]:
        """Events of the accepted message's turn, ending with ``done`` or ``error``.

        Events come in batches: the ones a running turn produced since the last look, so a
        stream writes them to the socket together.
        """
        entry = ticket.entry
        yield [
            (
                "accepted",
                {"thread": entry.thread_id, "seq": entry.seq, "duplicate": not ticket.created},
            )
        ]
        streamed, announced = False, False
        deadline = time.monotonic() + self.settings.queue_timeout
        delay = 0.005
        fresh = entry if ticket.created else None
        while True:
            final: Entry | None = None
            async for batch in self._attempt(entry, owner, fresh):
                events = [event for event in batch if event[0] != "_final"]
                final = next((e[1]["entry"] for e in batch if e[0] == "_final"), final)
                if events:
                    streamed = True
                    yield events
            fresh = None
            if final is not None and final.final:
                break
            if not announced:
                ahead = await self.in_db_thread(self.inbox.ahead_of, entry.thread_id, entry.seq)
                yield [("queued", {"seq": entry.seq, "ahead": ahead})]
                announced = True
            if time.monotonic() > deadline:
                yield [
                    (
                        "error",
                        {
                            "code": "queue_timeout",
                            "message": "The thread stayed busy too long; the message is kept "
                            "and will run next. Fetch the thread state later.",
                        },
                    )
                ]
                return
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 1.6, 0.25)
        yield final_events(final, streamed)

    async def _attempt(
        self, entry: Entry, owner: str | None, fresh: Entry | None = None
    ) -> AsyncIterator[Batch]:
        """One try at running the inbox up to ``entry``; relays events from the worker thread.

        The last batch ends with ``("_final", {"entry": ...})``: the entry after the try.
        """
        loop = asyncio.get_running_loop()
        pending: list[Event] = []
        wake = asyncio.Event()

        def sink(kind: str, data: dict[str, Any]) -> None:
            pending.append((kind, data))  # the loop takes them in order, several at a time
            loop.call_soon_threadsafe(wake.set)

        def take() -> Batch:
            batch = pending[:]
            del pending[: len(batch)]
            return batch

        job = self.in_turn_thread(
            self.runner.attempt, entry.thread_id, owner, entry.seq, sink, fresh=fresh
        )
        job.add_done_callback(lambda _job: wake.set())
        try:
            while True:
                await wake.wait()
                wake.clear()
                finished = job.done()  # then every event of the try is in ``pending``
                batch = take()
                if finished:
                    break
                if batch:
                    yield batch
        finally:
            if not job.done():  # the client left; the turn still finishes in its thread
                self._background.add(job)
                job.add_done_callback(self._background.discard)
                job.add_done_callback(_log_failure)
        yield [*batch, ("_final", {"entry": job.result()})]

    async def sweep(self) -> int:
        """Finish orphaned inbox entries (crashed worker, gone client); return the thread count."""
        stale_after = max(2 * self.settings.janitor_interval, 10.0)
        threads = await self.in_db_thread(self.inbox.stale_threads, time.time() - stale_after)
        for thread_id in threads:
            try:
                info = await self.in_db_thread(self.registry.get, thread_id)
                await self.in_turn_thread(self.runner.attempt, thread_id, info.customer_id, None)
            except Exception as error:  # one bad thread must not stop the others' recovery
                log.warning("Sweep of thread %s failed: %s", thread_id, error)
        return len(threads)

    def demo_customers(self) -> list[DemoCustomer]:
        """Customers of the telco store (dev-mode sign-in list)."""
        store = open_store(self.settings.database_url or None)
        return [
            DemoCustomer(customer_id=c.customer_id, name=c.full_name) for c in store.customers()
        ]

    def ready(self) -> dict[str, str]:
        """Readiness checks by name: ``ok`` or the failure."""
        checks: dict[str, str] = {}
        try:
            self.db.ping()
            checks["database"] = "ok"
        except Exception as error:
            checks["database"] = f"failed: {type(error).__name__}"
        checks["graph"] = "ok" if self.graph is not None else "not compiled"
        if self.settings.redis_url:
            try:
                ping_redis(self.settings.redis_url)
                checks["redis"] = "ok"
            except Exception as error:
                checks["redis"] = f"failed: {type(error).__name__}"
        return checks


def warm_up(graph: str) -> None:
    """Load the graph's lazy models (classifier, embeddings) so the first turn is not slow.

    Uses the graph module's ``warm_up()`` when it has one; for the support graph it otherwise
    runs the local intent classifier once.
    """
    try:
        hook = getattr(importlib.import_module(GRAPHS[graph]), "warm_up", None)
        if callable(hook):
            hook()
        elif graph == "support":
            classify_local("hello")
    except Exception as error:  # a cold first turn is slower, not broken
        log.warning("Warm-up of graph %s failed: %s", graph, error)


def final_events(entry: Entry | None, streamed: bool) -> Batch:
    """The closing events for a final entry (replaying agent/tool events if none streamed)."""
    if entry is None:
        return [("error", {"code": "not_found", "message": "The message disappeared."})]
    if entry.status != "done" or entry.result is None:
        code = entry.error_code or ("thread_busy" if entry.status == "rejected" else "turn_failed")
        return [("error", {"code": code, "message": entry.error or "The turn failed."})]
    result = entry.result
    events: list[Event] = []
    if not streamed:
        if result.get("agent"):
            events.append(("agent", {"agent": result["agent"], "phase": result.get("phase")}))
        for call in result.get("tool_calls") or []:
            events.append(("tool", dict(call)))
    if result.get("interrupt"):
        events.append(("confirm", dict(result["interrupt"])))
    events.append(("done", dict(result)))
    return events


def _log_failure(job: asyncio.Future[Any]) -> None:
    if not job.cancelled() and job.exception() is not None:
        log.error("A turn finished with an error after its client left: %s", job.exception())
