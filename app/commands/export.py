"""``switchboard export --thread ID``: a thread's full transcript as JSON lines."""

from __future__ import annotations

import argparse
import json
import sys

from conversation.transcript import UnknownThread, open_transcript


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``export``."""
    parser = subparsers.add_parser(
        "export",
        help="print a thread's full transcript (PII masked) as JSON lines",
        description=(
            "Print every stored message of a thread, oldest first, one JSON object per line "
            "(thread_id, seq, turn, message_id, role, agent, content, tool_calls, "
            "tool_call_id, created_at)."
        ),
    )
    parser.add_argument("--thread", required=True, help="thread id")
    parser.add_argument(
        "--database-url",
        default=None,
        help=(
            "transcript store URL (sqlite:///path or postgresql://...); default "
            "$SWITCHBOARD_TRANSCRIPT_URL, a postgresql:// $SWITCHBOARD_DATABASE_URL, "
            "or transcripts.sqlite in the data dir"
        ),
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the transcript; exit code 2 when the thread is unknown or the URL unusable."""
    try:
        store = open_transcript(args.database_url)
        records = store.export(args.thread)
    except UnknownThread as error:
        print(
            f"switchboard export: {error}. Check the thread id, or pass the store that "
            "holds it with --database-url.",
            file=sys.stderr,
        )
        return 2
    except ValueError as error:
        print(f"switchboard export: {error}", file=sys.stderr)
        return 2
    out = sys.stdout
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    return 0
