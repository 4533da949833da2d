"""``switchboard bench NAME``: run the benchmark module ``benchmarks/NAME.py``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import benchmarks


def available() -> list[str]:
    """Names of the benchmarks that exist."""
    return sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if not m.name.startswith("_")
    )


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``bench``."""
    parser = subparsers.add_parser(
        "bench",
        help="run a benchmark (ours vs a baseline, in one run)",
        description="Run benchmarks/NAME.py; the remaining arguments go to it (try NAME --help).",
    )
    parser.add_argument("name", help="benchmark name: " + ", ".join(available()))
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for the benchmark")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the named benchmark."""
    if args.name not in available():
        print(
            f"switchboard bench: no benchmark named {args.name!r}. "
            f"Available: {', '.join(available())}.",
            file=sys.stderr,
        )
        return 2
    module = importlib.import_module(f"benchmarks.{args.name}")
    return int(module.main(list(args.rest)) or 0)
