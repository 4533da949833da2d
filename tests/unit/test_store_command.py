"""``switchboard reset-store``: resets the named store and reports bad URLs clearly."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from app.commands import reset_store
from tools.store import close_store, open_store


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="switchboard")
    reset_store.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_reset_store_restores_the_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cmd.sqlite3'}"
    store = open_store(url)
    store.run_write(
        "c-1", "make_payment", "C1001", lambda w: w.pay_bill("B20002", "C1001", "PM1001-1", 10920)
    )
    args = _parse(["reset-store", "--database-url", url])
    assert args.run(args) == 0
    assert "Telco store reset to seed" in capsys.readouterr().out
    assert store.bill("B20002").status == "overdue"  # type: ignore[union-attr]
    assert store.tool_run("c-1") is None
    close_store(url)


def test_reset_store_with_a_bad_url_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["reset-store", "--database-url", "mysql://root:hunter2@db/telco"])
    assert args.run(args) == 2
    err = capsys.readouterr().err
    assert "Unsupported store URL" in err and "hunter2" not in err
