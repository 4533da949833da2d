"""``switchboard reset-store``: put the telco account store back to its seed data."""

from __future__ import annotations

import argparse
import sys

from data_access import DatabaseUnavailable, DatabaseUrlError, redact_url
from tools.store import open_store


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``reset-store``."""
    parser = subparsers.add_parser(
        "reset-store",
        help="reset the telco account store to the seed data in data/telco",
        description=(
            "Drop and recreate the telco store's tables and reload data/telco. Every payment, "
            "plan change, ticket and tool-run record made since is lost."
        ),
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="store URL (postgresql://... or sqlite:///file); default: "
        "$SWITCHBOARD_DATABASE_URL or the SQLite file in the data directory",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Reset the store and report where; a connection or URL problem exits with 2."""
    try:
        store = open_store(args.database_url or None)
        store.reset_to_seed()
    except (DatabaseUrlError, DatabaseUnavailable) as error:
        print(f"switchboard reset-store: {error}", file=sys.stderr)
        return 2
    customers = len(store.customers())
    print(
        f"Telco store reset to seed: {redact_url(store.url)} ({store.dialect}, "
        f"{customers} customers, business date {store.today().isoformat()})."
    )
    return 0
