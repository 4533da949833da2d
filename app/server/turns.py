"""Run a thread's inbox in order under its turn lock; finish turns a crashed worker left."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage

from agents.context import Context
from agents.input_guard import InvalidMessage
from agents.roster import support_roster
from app.locks import Lease, TurnLocks
from app.observability.setup import Observability
from app.server.inbox import Entry, Inbox
from app.session import NothingToAnswer, Session, TurnResult, update_messages

log = logging.getLogger("switchboard.server.turns")

EventSink = Callable[[str, dict[str, Any]], None]
"""Receives (event kind, payload) as a turn runs: token, agent, tool."""
ContextFactory = Callable[[str | None], Context]
"""Builds the run context for the thread owner."""


class TurnCut(Exception):
    """Raised inside a turn to stop it at a safe point (busy policy ``interrupt``)."""


def _interrupts(snapshot: Any) -> list[Any]:
    return [item for task in snapshot.tasks for item in task.interrupts]


def _has_tool_calls(update: Any) -> bool:
    return any(isinstance(m, AIMessage) and m.tool_calls for m in update_messages(update))


class TurnRunner:
    """Processes inbox entries of one thread at a time; callers must hold the thread's lock."""

    def __init__(
        self,
        graph: Any,
        inbox: Inbox,
        locks: TurnLocks,
        context_for: ContextFactory,
        interrupt_policy: bool = False,
        on_finished: Callable[[str], None] | None = None,
        observability: Observability | None = None,
    ) -> None:
        self.graph = graph
        self.inbox = inbox
        self.locks = locks
        self.context_for = context_for
        self.interrupt_policy = interrupt_policy
        self.on_finished = on_finished
        self.observability = observability
        self.agent_nodes = frozenset(support_roster().names)
        """Nodes whose model output is the reply (tokens from other nodes are not streamed)."""

    def attempt(
        self,
        thread_id: str,
        owner: str | None,
        seq: int | None,
        sink: EventSink | None = None,
        lease: Lease | None = None,
        fresh: Entry | None = None,
    ) -> Entry | None:
        """Process pending entries up to ``seq`` (all when ``None``) if the thread lock is free.

        Returns the entry ``seq`` once it is final, ``None`` while it still waits its turn
        (another process holds the lock). Uses ``lease`` when the caller already holds it;
        ``fresh`` is entry ``seq`` as it was just accepted (saves reading it back).
        """
        if seq is not None:
            entry = fresh if fresh is not None and fresh.seq == seq else None
            entry = entry or self.inbox.get(thread_id, seq)
            if entry is None or entry.final:
                if lease is not None:
                    lease.release()
                return entry
        if lease is None:
            lease = self.locks.try_acquire(thread_id)
            if lease is None:
                return None
        final: Entry | None = None
        try:
            while (claimed := self.inbox.claim_next(thread_id, seq)) is not None:
                done = self.process(claimed, owner, sink if claimed.seq == seq else None)
                if claimed.seq == seq:
                    final = done
                    break
        finally:
            lease.release()
        if seq is not None and final is None:
            final = self.inbox.get(thread_id, seq)
        return final

    def process(self, entry: Entry, owner: str | None, sink: EventSink | None) -> Entry | None:
        """Run one claimed entry to its final status (the caller holds the thread's lock).

        ``entry`` comes from ``Inbox.claim_next``: more than one attempt means an earlier
        one was cut off (a crashed worker) and this one recovers it.
        """
        recovering = entry.attempts > 1
        session = Session(
            self.graph,
            entry.thread_id,
            self.context_for(owner),
            metadata={"sb_seq": entry.seq},
            observability=self.observability,
        )
        try:
            result, extra = self._execute(session, entry, recovering, sink)
        except InvalidMessage as error:
            return self.inbox.finish(
                entry.thread_id, entry.seq, "failed", error=str(error), code="invalid_message"
            )
        except NothingToAnswer as error:
            return self.inbox.finish(
                entry.thread_id, entry.seq, "failed", error=str(error), code="nothing_to_confirm"
            )
        except Exception as error:
            log.exception("Turn %s of thread %s failed", entry.seq, entry.thread_id)
            message = f"The turn failed ({type(error).__name__}); the error is logged. Retry."
            return self.inbox.finish(
                entry.thread_id, entry.seq, "failed", error=message, code="turn_failed"
            )
        payload = {
            **result.to_json(),
            "seq": entry.seq,
            "recovered": False,
            "cut_short": False,
            **extra,
        }
        final = self.inbox.finish(entry.thread_id, entry.seq, "done", result=payload)
        if self.on_finished is not None:
            self.on_finished(entry.thread_id)
        return final

    def _execute(
        self, session: Session, entry: Entry, recovering: bool, sink: EventSink | None
    ) -> tuple[TurnResult, dict[str, Any]]:
        snapshot = self.graph.get_state(session.config)
        interrupted = bool(_interrupts(snapshot))
        stored_seq = (snapshot.metadata or {}).get("sb_seq")
        on_token, on_update = self._hooks(entry, sink)
        if recovering and stored_seq == entry.seq:
            # The crashed attempt got this input into a checkpoint: finish it, never re-send.
            if snapshot.next and not interrupted:
                return session.resume(on_token, on_update), {"recovered": True}
            return session.current(), {"recovered": True}
        known = snapshot  # the state the new input starts from, while nothing else ran
        if snapshot.next and not interrupted and self._unfinished(entry.thread_id, stored_seq):
            interrupted = self._finish_leftover(session, stored_seq)
            known = None
        try:
            if entry.kind == "answer":
                if not interrupted:
                    raise NothingToAnswer("There is no pending confirmation to answer.")
                approve = bool(entry.payload["approve"])
                return session.answer(approve, on_token, on_update, known), {}
            text = str(entry.payload["text"])
            # Whatever the thread waits for, the graph decides what the message means.
            message_id = f"{entry.thread_id}:{entry.seq}"
            return session.send(text, on_token, on_update, message_id, known), {}
        except TurnCut:
            return session.current(), {"cut_short": True}

    def _finish_leftover(self, session: Session, stored_seq: Any) -> bool:
        """Resume a turn an earlier run left half done; whether it now waits for a confirmation.

        If that turn fails again, the new message still runs: new input starts the graph
        afresh and LangGraph drops the leftover nodes.
        """
        log.warning("Thread %s: finishing an unfinished turn first", session.thread_id)
        leftover = Session(
            session.graph,
            session.thread_id,
            session.context,
            {"sb_seq": stored_seq},
            observability=session.observability,
        )
        try:
            leftover.resume()
        except Exception as error:
            log.warning("Thread %s: the unfinished turn failed again: %s", session.thread_id, error)
        return bool(_interrupts(self.graph.get_state(session.config)))

    def _unfinished(self, thread_id: str, stored_seq: Any) -> bool:
        """Whether the checkpoint's pending nodes belong to a turn that should still finish."""
        if not isinstance(stored_seq, int):
            return True
        previous = self.inbox.get(thread_id, stored_seq)
        return not (previous and previous.result and previous.result.get("cut_short"))

    def _hooks(
        self, entry: Entry, sink: EventSink | None
    ) -> tuple[Callable[[str, str], None] | None, Callable[[str, Any], None] | None]:
        """Token and update callbacks: events for the waiting client, cancellation checks."""
        if sink is None and not self.interrupt_policy:
            return None, None
        state: dict[str, Any] = {"agent": None}

        def on_token(node: str, text: str) -> None:
            if sink is None or node not in self.agent_nodes:
                return  # classifier or summarizer output is not part of the reply
            if node != state["agent"]:
                state["agent"] = node
                sink("agent", {"agent": node, "phase": None})
            sink("token", {"agent": node, "text": text})

        def on_update(node: str, update: Any) -> None:
            if sink is not None and isinstance(update, dict):
                self._emit_update(sink, state, update)
                if node == "guard_output":
                    self._emit_replacement(sink, update)
                elif node not in self.agent_nodes:
                    self._emit_engine_reply(sink, state, update)
            if (
                self.interrupt_policy
                and not _has_tool_calls(update)
                and self.inbox.cancel_requested(entry.thread_id, entry.seq)
            ):
                raise TurnCut(f"turn {entry.seq} interrupted by a newer message")

        return (on_token if sink is not None else None), on_update

    @staticmethod
    def _emit_engine_reply(sink: EventSink, state: dict[str, Any], update: dict[str, Any]) -> None:
        """A reply the engine wrote (no model streamed it): its text as one token event."""
        for message in update_messages(update):
            if isinstance(message, AIMessage) and not message.tool_calls and message.text:
                sink("token", {"agent": message.name or state["agent"], "text": message.text})

    @staticmethod
    def _emit_replacement(sink: EventSink, update: dict[str, Any]) -> None:
        """The output guard replaced the streamed reply: send the text that stands instead."""
        for message in update_messages(update):
            if isinstance(message, AIMessage) and not message.tool_calls:
                sink("replace", {"text": message.text, "reason": "output_guard"})

    @staticmethod
    def _emit_update(sink: EventSink, state: dict[str, Any], update: dict[str, Any]) -> None:
        agent = update.get("agent")
        if agent and agent != state["agent"]:
            state["agent"] = agent
            sink("agent", {"agent": agent, "phase": update.get("phase")})
        for message in update_messages(update):
            if isinstance(message, AIMessage):
                for call in message.tool_calls:
                    sink("tool", {"name": call["name"], "args": call["args"], "id": call["id"]})
            elif isinstance(message, ToolMessage):
                sink("tool_result", {"name": message.name, "id": message.tool_call_id})
