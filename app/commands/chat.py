"""``switchboard chat``: talk to a graph interactively, or replay a script of user turns."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from agents.input_guard import InvalidMessage
from app.observability.metrics import format_stats
from app.observability.setup import Observability
from app.runtime import SetupError, check_customer, compile_named, make_context, model_spec
from app.session import Session, TurnResult
from app.stores import open_checkpointer
from app.threads import ThreadForbidden, ThreadRegistry, UnknownThread
from llm.factory import is_stand_in


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``chat``."""
    parser = subparsers.add_parser("chat", help="chat with the bot (interactive or scripted)")
    parser.add_argument("--thread", help="resume this existing thread")
    parser.add_argument(
        "--customer",
        default=os.environ.get("SWITCHBOARD_CUSTOMER") or None,
        help="authenticated customer id (default $SWITCHBOARD_CUSTOMER; none = verify in chat)",
    )
    parser.add_argument("--model", help="model spec: local, scripted, openai:gpt-4o-mini, ...")
    parser.add_argument("--graph", default="support", help="support (default) or bookstore")
    parser.add_argument("--script", help="read user turns from FILE, one per line ('-' = stdin)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per turn")
    parser.add_argument("--database-url", default="", help="override SWITCHBOARD_DATABASE_URL")
    parser.add_argument(
        "--stats", action="store_true", help="print latency, model-call and token metrics at exit"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the chat; exit code 2 for bad settings."""
    try:
        spec = model_spec(args.model)
        customer = check_customer(args.customer, args.database_url)
        registry = ThreadRegistry(args.database_url)
        if args.thread:
            registry.authorize(args.thread, customer)
            thread = args.thread
        else:
            thread = registry.create(customer, args.graph)
    except (SetupError, UnknownThread, ThreadForbidden) as error:
        print(f"switchboard chat: {error}", file=sys.stderr)
        return 2
    context = make_context(customer, spec, args.database_url)
    observability = Observability.from_env()
    try:
        with open_checkpointer(args.database_url) as saver:
            graph = compile_named(args.graph, saver)
            session = Session(graph, thread, context, observability=observability)
            if args.script:
                lines = _script_lines(args.script)
                return run_script(session, lines, sys.stdout, as_json=args.json, registry=registry)
            return run_interactive(session, registry, spec)
    finally:
        if args.stats:
            print(format_stats(observability.metrics.summary()), file=sys.stderr)
        observability.shutdown()


def _script_lines(path: str) -> list[str]:
    """User turns from a file or stdin, one per line (a blank line is an empty message)."""
    stream: TextIO = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    with stream:
        return [line.rstrip("\r\n") for line in stream]


def run_script(
    session: Session,
    lines: Iterable[str],
    out: TextIO,
    as_json: bool,
    registry: ThreadRegistry | None = None,
) -> int:
    """Send each of ``lines`` as the customer's message (the graph decides what each one
    means: while a change awaits confirmation, a yes or no answers it)."""
    failures = 0
    for line in lines:
        try:
            result = session.send(line)
        except InvalidMessage as error:
            failures += 1
            _emit_error(session, str(error), out, as_json)
            continue
        if registry is not None:
            registry.touch(session.thread_id)
        _emit(result, out, as_json)
    return 1 if failures else 0


def _emit(result: TurnResult, out: TextIO, as_json: bool) -> None:
    """Print one turn's result."""
    if as_json:
        out.write(json.dumps(result.to_json(), default=str) + "\n")
    else:
        out.write(f"[{result.agent or 'bot'}] {result.reply}\n")
        if result.interrupt:
            out.write("  (waiting for your yes or no)\n")
    out.flush()


def _emit_error(session: Session, message: str, out: TextIO, as_json: bool) -> None:
    """Report a refused line without touching the thread."""
    print(f"switchboard chat: {message}", file=sys.stderr)
    if as_json:
        out.write(json.dumps({"thread": session.thread_id, "error": message}) + "\n")
        out.flush()


def run_interactive(session: Session, registry: ThreadRegistry, spec: str) -> int:
    """A read-eval-print loop with streamed replies and y/n confirmations."""
    if is_stand_in(spec):
        print("Note: using the scripted demo model (rule-based, no language model).")
    print(f"Thread {session.thread_id} — type your message, Ctrl-D or 'quit' to leave.")
    streamed: dict[str, Any] = {"any": False, "text": ""}

    def on_token(agent: str, text: str) -> None:
        if not streamed["any"]:
            sys.stdout.write(f"[{agent}] ")
            streamed["any"] = True
        streamed["text"] += text
        sys.stdout.write(text)
        sys.stdout.flush()

    while True:
        prompt = "yes/no> " if session.pending_interrupt() else "you> "
        try:
            line = input(prompt)
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line.strip().lower() in {"quit", "exit"}:
            return 0
        streamed.update(any=False, text="")
        try:
            result = session.send(line, on_token)
        except InvalidMessage as error:
            print(f"  ! {error}")
            continue
        registry.touch(session.thread_id)
        if streamed["any"]:
            print()
            if result.reply and result.reply.strip() != streamed["text"].strip():
                print(f"[guard] That reply was withdrawn; instead: {result.reply}")
        elif result.reply:
            print(f"[{result.agent or 'bot'}] {result.reply}")
