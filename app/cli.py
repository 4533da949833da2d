"""The ``switchboard`` command line: one subcommand per module in ``app/commands``."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from importlib.metadata import version

from dotenv import load_dotenv

from agents.guards.logging import install_pii_masking
from app.runtime import SetupError
from app.settings_check import check_settings, reads

COMMANDS = ("chat", "threads", "serve", "eval", "bench", "export", "reset_store", "kb", "research")
"""Subcommand modules in ``app/commands`` (``reset_store`` is spelled ``reset-store``)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="switchboard", description="Switchboard: a multi-turn customer-support bot."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('switchboard')}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"app.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"app.commands.{name}":
                continue
            raise
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; a bad setting exits 2 with one line, no traceback."""
    install_pii_masking()
    load_dotenv()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        check_settings(reads(command_name(args)), os.environ)
        return int(args.run(args) or 0)
    except SetupError as error:
        print(f"switchboard {args.command}: {error}", file=sys.stderr)
        return 2


def command_name(args: argparse.Namespace) -> str:
    """``chat``, ``reset-store``, or ``bench NAME`` for a benchmark."""
    if args.command == "bench":
        return f"bench {args.name}"
    return str(args.command)


if __name__ == "__main__":
    sys.exit(main())
