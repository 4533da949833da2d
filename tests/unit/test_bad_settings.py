"""Every ``SWITCHBOARD_*`` setting of .env.example, set badly, stops each command reading it
with exit code 2 and one line that names the setting (no traceback)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import cli
from app.commands import serve
from app.settings_check import CHECKS, READS, reads

ROOT = Path(__file__).resolve().parents[2]
NOT_READ_BY_COMMANDS = {
    "SWITCHBOARD_REQUIRE_SERVICES": "read by the test suite only",
    "SWITCHBOARD_DEV_SECRET": "any text is a valid signing key",
}
ARGV = {
    "chat": ["chat", "--model", "scripted", "--script", "-"],
    "serve": ["serve", "--port", "8765", "--model", "scripted"],
    "eval": ["eval", "--model", "scripted", "--scenario", "no-such-scenario"],
    "export": ["export", "--thread", "no-such-thread"],
    "reset-store": ["reset-store"],
    "kb": ["kb", "search", "roaming"],
    "research": ["research", "What do rivals charge?", "--model", "scripted"],
    "bench": ["bench", "context"],
    "bench triage": ["bench", "triage"],
    "bench tau2_telecom": ["bench", "tau2_telecom"],
    "bench load": ["bench", "load"],
}


def example_settings() -> list[str]:
    """The ``SWITCHBOARD_*`` names .env.example documents."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return sorted(set(re.findall(r"^#?\s*(SWITCHBOARD_[A-Z0-9_]+)=", text, flags=re.M)))


def bad_values(tmp: Path) -> dict[str, str]:
    """One bad value per setting."""
    a_file = tmp / "a-file"
    a_file.write_text("not a folder")
    empty = tmp / "empty"
    empty.mkdir()
    return {
        "SWITCHBOARD_MODEL": "nonsense",
        "SWITCHBOARD_FALLBACK_MODELS": "scripted,warp:drive",
        "SWITCHBOARD_HOSTED_MODEL": "warp-drive",
        "SWITCHBOARD_LOCAL_THREADS": "two",
        "SWITCHBOARD_LOCAL_CTX": "-1",
        "SWITCHBOARD_MODEL_TIMEOUT": "soon",
        "SWITCHBOARD_MODEL_RETRIES": "many",
        "SWITCHBOARD_MODEL_CACHE": str(a_file / "models"),
        "SWITCHBOARD_CACHE_DIR": str(a_file),
        "SWITCHBOARD_CUSTOMER": "C9999",
        "SWITCHBOARD_MAX_MESSAGE_CHARS": "lots",
        "SWITCHBOARD_TOKEN_BUDGET": "0",
        "SWITCHBOARD_DURABILITY": "forever",
        "SWITCHBOARD_DATA_DIR": str(a_file),
        "SWITCHBOARD_DATABASE_URL": "mysql://db/x",
        "SWITCHBOARD_PG_POOL_SIZE": "ten",
        "SWITCHBOARD_REDIS_URL": "localhost:6379",
        "SWITCHBOARD_TRANSCRIPT_URL": "oracle://x",
        "SWITCHBOARD_TODAY": "next tuesday",
        "SWITCHBOARD_API_TOKENS": "tok-without-customer",
        "SWITCHBOARD_DEV_LOGIN": "maybe",
        "SWITCHBOARD_BUSY_POLICY": "panic",
        "SWITCHBOARD_QUEUE_TIMEOUT": "1.5min",
        "SWITCHBOARD_LOCK_BACKEND": "carrier-pigeon",
        "SWITCHBOARD_TURN_WORKERS": "0",
        "SWITCHBOARD_RATE_LIMIT_CUSTOMER": "10000/1",
        "SWITCHBOARD_RATE_LIMIT_IP": "fast",
        "SWITCHBOARD_MAX_BODY_BYTES": "1MB",
        "SWITCHBOARD_GRAPH": "casino",
        "SWITCHBOARD_CATALOGUE_PATH": str(empty),
        "SWITCHBOARD_RESEARCH_DIR": str(empty),
        "SWITCHBOARD_RESEARCH_DEADLINE": "-5",
        "SWITCHBOARD_CLINC_DIR": str(empty),
        "SWITCHBOARD_TAU2_DIR": str(empty),
    }


def test_every_setting_has_a_check_and_a_bad_value(tmp_path: Path) -> None:
    documented = set(example_settings())
    bad = bad_values(tmp_path)
    assert len(documented) > 30
    assert documented == set(bad) | set(NOT_READ_BY_COMMANDS)
    assert set(bad) | {"SWITCHBOARD_DEV_SECRET"} == set(CHECKS)
    read = {name for names in READS.values() for name in names}
    assert set(bad) <= read, "every setting with a bad value is read by some command"
    assert set(ARGV) == set(READS)


def cases() -> list[tuple[str, str]]:
    """(setting, command) for every command that reads the setting."""
    return [
        (name, command)
        for command in READS
        for name in reads(command)
        if name not in NOT_READ_BY_COMMANDS
    ]


def test_each_command_stops_on_each_bad_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", open(__file__, encoding="utf-8"))  # noqa: SIM115
    monkeypatch.setattr("uvicorn.run", _never_serve)
    bad = bad_values(tmp_path)
    failures = []
    for name, command in cases():
        with monkeypatch.context() as patch:
            patch.setenv(name, bad[name])
            code = cli.main(ARGV[command])
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        if code != 2 or len(lines) != 1 or name not in lines[0] or "Traceback" in err:
            failures.append(f"{command} with {name}={bad[name]!r}: exit {code}, stderr {err!r}")
    assert not failures, "\n".join(failures)


def _never_serve(*args: object, **kwargs: object) -> None:
    raise AssertionError("serve started despite a bad setting")


def test_serve_itself_reports_a_bad_rate(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """``serve.run`` without the CLI's early check: the settings message, not UnboundLocalError."""
    monkeypatch.setenv("SWITCHBOARD_RATE_LIMIT_CUSTOMER", "10000/1")
    args = argparse.Namespace(
        host="127.0.0.1",
        port=8765,
        workers=1,
        model="scripted",
        database_url=None,
        redis_url=None,
        busy_policy=None,
        dev_login=None,
        log_level="warning",
    )
    assert serve.run(args) == 2
    assert "SWITCHBOARD_RATE_LIMIT_CUSTOMER='10000/1' is not a rate" in capsys.readouterr().err


def test_switchboard_serve_with_a_bad_rate_exits_2(tmp_path: Path) -> None:
    """The console command itself, in a fresh process."""
    env = {"SWITCHBOARD_RATE_LIMIT_CUSTOMER": "10000/1", "SWITCHBOARD_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--model", "scripted"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=600,  # about 3 s of CPU; generous for a loaded machine
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "switchboard serve: SWITCHBOARD_RATE_LIMIT_CUSTOMER='10000/1' is not a rate: write "
        "COUNT/PERIOD such as 60/m, 10/s, 500/15m or 1000/h, or 'off' to disable the limit."
    ]
