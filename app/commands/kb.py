"""``switchboard kb rebuild|search``: maintain and query the help-article knowledge base."""

from __future__ import annotations

import argparse

from tools import kb


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kb`` with its ``rebuild`` and ``search`` actions."""
    parser = subparsers.add_parser(
        "kb",
        help="rebuild or search the knowledge base (data/kb/*.md in a Chroma index)",
        description=(
            "rebuild: embed new or changed articles and drop deleted ones (incremental). "
            "search: print the best passages for a question with their [kb:<id>] tags."
        ),
    )
    actions = parser.add_subparsers(dest="kb_action", required=True, metavar="ACTION")
    rebuild = actions.add_parser("rebuild", help="bring the index up to date with data/kb")
    rebuild.add_argument("--quiet", action="store_true", help="no progress bar")
    search = actions.add_parser("search", help="search the knowledge base")
    search.add_argument("query", help="the question, in quotes")
    search.add_argument("-k", type=int, default=3, help="passages to show (default 3)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen action; returns the exit status."""
    if args.kb_action == "rebuild":
        report = kb.rebuild(progress=not args.quiet)
        removed = ", ".join(report.removed) or "none"
        print(
            f"Knowledge base up to date in {kb.index_dir()}: {len(report.embedded)} embedded, "
            f"{report.unchanged} unchanged, removed: {removed}."
        )
        return 0
    passages = kb.search(args.query, k=args.k)
    if not passages:
        print("No passages found.")
        return 1
    for passage in passages:
        print(f"{passage.score:.3f}  {passage.cite()}\n")
    return 0
