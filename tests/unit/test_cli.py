"""The chat CLI in separate processes: script mode, restarts, and clear errors for bad input."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import build_parser

pytestmark = pytest.mark.timeout(600)


def switchboard(*args: str, stdin: str = "", data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a new process on the data directory ``data_dir``."""
    env = {**os.environ, "SWITCHBOARD_DATA_DIR": str(data_dir), "SWITCHBOARD_MODEL": "scripted"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def turns(output: str) -> list[dict[str, object]]:
    """The JSON objects printed by ``--json`` mode."""
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def stored_checkpoints(data_dir: Path) -> int:
    """Checkpoints in the data directory's SQLite file."""
    with sqlite3.connect(str(data_dir / "checkpoints.sqlite")) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0])


@pytest.fixture(scope="module")
def conversation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    """A scripted conversation with a confirmation, played in its own process."""
    data_dir = tmp_path_factory.mktemp("cli")
    script = "Is any of my bills overdue?\nswitch me to the Unlimited plan\nyes\n"
    done = switchboard(
        "chat", "--customer", "C1001", "--script", "-", "--json", stdin=script, data_dir=data_dir
    )
    assert done.returncode == 0, done.stderr
    return data_dir, turns(done.stdout)


def test_script_mode_prints_one_json_object_per_turn_with_the_interrupt(
    conversation: tuple[Path, list[dict[str, object]]],
) -> None:
    _, results = conversation
    assert len(results) == 3
    for result in results:
        assert {"thread", "turn", "intent", "agent", "tool_calls", "reply", "interrupt"} <= set(
            result
        )
    first, asked, confirmed = results
    assert first["intent"] == "billing" and first["agent"] == "billing"
    assert "109.20" in str(first["reply"])
    assert isinstance(asked["interrupt"], dict) and asked["interrupt"]["kind"] == "confirm"
    assert confirmed["interrupt"] is None
    assert "now on Unlimited" in str(confirmed["reply"])


def test_a_thread_resumed_in_a_new_process_keeps_its_history(
    conversation: tuple[Path, list[dict[str, object]]],
) -> None:
    data_dir, results = conversation
    thread = str(results[0]["thread"])
    again = switchboard(
        "chat",
        "--customer",
        "C1001",
        "--thread",
        thread,
        "--script",
        "-",
        "--json",
        stdin="thanks!\n",
        data_dir=data_dir,
    )
    assert again.returncode == 0, again.stderr
    (result,) = turns(again.stdout)
    assert result["thread"] == thread
    assert result["turn"] == 4  # the three earlier messages (the yes too) were kept


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (("--customer", "C1001"), "   \n", "message is empty"),
        (("--customer", "C1001"), "x" * 5000 + "\n", "limit is 4000"),
        (("--customer", "C1001", "--thread", "no-such-thread"), "hi\n", "Unknown thread"),
        (("--customer", "C9999"), "hi\n", "Unknown customer 'C9999'"),
        (("--customer", "C1001", "--model", "nonsense:model"), "hi\n", "unknown model spec"),
        (("--customer", "C1001", "--model", "martian"), "hi\n", "valid forms"),
    ],
)
def test_bad_input_gets_a_clear_error_and_stored_state_is_untouched(
    conversation: tuple[Path, list[dict[str, object]]],
    args: tuple[str, ...],
    stdin: str,
    expected: str,
) -> None:
    data_dir, _ = conversation
    before = stored_checkpoints(data_dir)
    done = switchboard("chat", *args, "--script", "-", "--json", stdin=stdin, data_dir=data_dir)
    assert done.returncode != 0
    assert expected.lower() in done.stderr.lower()
    assert "Traceback" not in done.stderr
    assert stored_checkpoints(data_dir) == before


def test_another_customer_cannot_resume_a_thread(
    conversation: tuple[Path, list[dict[str, object]]],
) -> None:
    data_dir, results = conversation
    thread = str(results[0]["thread"])
    done = switchboard(
        "chat",
        "--customer",
        "C1002",
        "--thread",
        thread,
        "--script",
        "-",
        stdin="hi\n",
        data_dir=data_dir,
    )
    assert done.returncode == 2
    assert "belongs to another customer" in done.stderr


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == "switchboard 0.1.0"
