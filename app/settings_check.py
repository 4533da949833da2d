"""Each ``SWITCHBOARD_*`` setting's check, and which commands read it: bad values stop early."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path

from app.runtime import GRAPHS, SetupError
from app.server.settings import TRUE_WORDS, SettingsError, parse_policy, parse_rate, parse_tokens
from app.session import DURABILITIES
from data_access import DatabaseUrlError, parse_database_url
from data_access.kv import RedisUrlError, check_redis_url
from llm.errors import ModelConfigError
from llm.factory import make_base_model

Check = Callable[[str, str], None]
"""Raises ``SetupError`` naming the setting and the fix when ``(name, raw value)`` is bad."""

_FALSE_WORDS = frozenset({"0", "false", "no", "off"})
CLINC_FILE = "clinc150_train_val.json"
"""The CLINC150 file ``SWITCHBOARD_CLINC_DIR`` must hold (the triage benchmark reads it)."""


def _bad(name: str, raw: str, problem: str, fix: str) -> SetupError:
    return SetupError(f"{name}={raw!r} {problem}: {fix}.")


def positive_int(example: int) -> Check:
    """A whole number above zero."""

    def check(name: str, raw: str) -> None:
        if not raw.isdigit() or int(raw) <= 0:
            raise _bad(name, raw, "is not a positive whole number", f"write e.g. {example}")

    return check


def count(example: int) -> Check:
    """A whole number, zero allowed."""

    def check(name: str, raw: str) -> None:
        if not raw.isdigit():
            raise _bad(name, raw, "is not a whole number", f"write e.g. {example}")

    return check


def seconds(example: int) -> Check:
    """A positive number of seconds."""

    def check(name: str, raw: str) -> None:
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not value > 0:
            raise _bad(name, raw, "is not a positive number of seconds", f"write e.g. {example}")

    return check


def choice(*options: str) -> Check:
    """One of ``options`` (case-insensitive)."""

    def check(name: str, raw: str) -> None:
        if raw.lower() not in options:
            raise _bad(name, raw, "is not valid", f"use one of {', '.join(options)}")

    return check


def switch(name: str, raw: str) -> None:
    """An on/off word."""
    if raw.lower() not in TRUE_WORDS | _FALSE_WORDS:
        raise _bad(name, raw, "is not on or off", "write 1 or 0 (also true/false, yes/no)")


def database_url(name: str, raw: str) -> None:
    """A PostgreSQL or SQLite URL (as the data-access layer parses it)."""
    try:
        parse_database_url(raw, name)
    except DatabaseUrlError:
        raise _bad(
            name,
            raw,
            "is not a database URL",
            "use postgresql://user@host:5432/db or sqlite:///path/to/file.sqlite, or unset it",
        ) from None


def redis_url(name: str, raw: str) -> None:
    """A Redis URL."""
    try:
        check_redis_url(raw, name)
    except RedisUrlError:
        raise _bad(
            name, raw, "is not a Redis URL", "use redis://host:6379/0, or unset it"
        ) from None


def model(name: str, raw: str) -> None:
    """Model specs (comma-separated), each one the factory can build."""
    for spec in filter(None, (part.strip() for part in raw.split(","))):
        try:
            make_base_model(spec)
        except ModelConfigError as error:
            raise SetupError(f"{name}={raw!r}: {error}") from None


def iso_date(name: str, raw: str) -> None:
    """A date written YYYY-MM-DD."""
    try:
        date.fromisoformat(raw)
    except ValueError:
        raise _bad(name, raw, "is not an ISO date", "write it like 2026-11-20") from None


def directory(name: str, raw: str) -> None:
    """A folder we may create (nothing else may sit at that path)."""
    path = Path(raw).expanduser()
    if any(part.exists() and not part.is_dir() for part in (path, *path.parents)):
        raise _bad(name, raw, "is not a folder (a file is in the way)", "point it at a folder")


def file_path(name: str, raw: str) -> None:
    """A file we may create (its folder must be creatable, and it must not be a folder)."""
    path = Path(raw).expanduser()
    if path.is_dir():
        raise _bad(name, raw, "is a folder", "point it at a file such as catalogue.sqlite")
    directory(name, str(path.parent))


def holding(*names: str) -> Check:
    """An existing folder that holds the files ``names``."""

    def check(name: str, raw: str) -> None:
        folder = Path(raw).expanduser()
        missing = [n for n in names if not (folder / n).exists()]
        if missing:
            raise _bad(name, raw, f"has no {missing[0]}", "point it at the folder that holds it")

    return check


def markdown_folder(name: str, raw: str) -> None:
    """An existing folder with Markdown documents."""
    folder = Path(raw).expanduser()
    if not folder.is_dir() or not any(folder.rglob("*.md")):
        raise _bad(
            name, raw, "holds no Markdown documents", "point it at a corpus like data/research"
        )


def graph(name: str, raw: str) -> None:
    """A graph name."""
    if raw not in GRAPHS:
        raise _bad(name, raw, "is not a graph", f"use one of {', '.join(GRAPHS)}")


def _parsed(parse: Callable[[str], object]) -> Check:
    def check(name: str, raw: str) -> None:
        try:
            parse(raw)
        except SettingsError as error:
            raise SetupError(str(error)) from None

    return check


def anything(name: str, raw: str) -> None:
    """Every value works (free text)."""


CHECKS: Mapping[str, Check] = {
    "SWITCHBOARD_MODEL": model,
    "SWITCHBOARD_FALLBACK_MODELS": model,
    "SWITCHBOARD_HOSTED_MODEL": model,
    "SWITCHBOARD_LOCAL_THREADS": positive_int(2),
    "SWITCHBOARD_LOCAL_CTX": positive_int(8192),
    "SWITCHBOARD_MODEL_TIMEOUT": seconds(60),
    "SWITCHBOARD_MODEL_RETRIES": count(2),
    "SWITCHBOARD_MODEL_CACHE": directory,
    "SWITCHBOARD_CACHE_DIR": directory,
    "SWITCHBOARD_CUSTOMER": anything,  # checked against the store by the chat (check_customer)
    "SWITCHBOARD_MAX_MESSAGE_CHARS": positive_int(4000),
    "SWITCHBOARD_TOKEN_BUDGET": positive_int(3000),
    "SWITCHBOARD_DURABILITY": choice(*DURABILITIES),
    "SWITCHBOARD_DATA_DIR": directory,
    "SWITCHBOARD_DATABASE_URL": database_url,
    "SWITCHBOARD_PG_POOL_SIZE": positive_int(10),
    "SWITCHBOARD_REDIS_URL": redis_url,
    "SWITCHBOARD_TRANSCRIPT_URL": database_url,
    "SWITCHBOARD_TODAY": iso_date,
    "SWITCHBOARD_API_TOKENS": _parsed(parse_tokens),
    "SWITCHBOARD_DEV_LOGIN": switch,
    "SWITCHBOARD_DEV_SECRET": anything,  # any text signs tokens
    "SWITCHBOARD_BUSY_POLICY": _parsed(parse_policy),
    "SWITCHBOARD_QUEUE_TIMEOUT": positive_int(120),
    "SWITCHBOARD_LOCK_BACKEND": choice("local", "postgres", "redis"),
    "SWITCHBOARD_TURN_WORKERS": positive_int(8),
    "SWITCHBOARD_RATE_LIMIT_CUSTOMER": _parsed(
        lambda raw: parse_rate("SWITCHBOARD_RATE_LIMIT_CUSTOMER", raw)
    ),
    "SWITCHBOARD_RATE_LIMIT_IP": _parsed(lambda raw: parse_rate("SWITCHBOARD_RATE_LIMIT_IP", raw)),
    "SWITCHBOARD_MAX_BODY_BYTES": positive_int(65536),
    "SWITCHBOARD_GRAPH": graph,
    "SWITCHBOARD_CATALOGUE_PATH": file_path,
    "SWITCHBOARD_RESEARCH_DIR": markdown_folder,
    "SWITCHBOARD_RESEARCH_DEADLINE": seconds(300),
    "SWITCHBOARD_CLINC_DIR": holding(CLINC_FILE),
    "SWITCHBOARD_TAU2_DIR": holding("tasks.json"),
}
"""The check of every setting a command reads (tests-only settings are not listed)."""

_MODEL = (
    "SWITCHBOARD_MODEL",
    "SWITCHBOARD_FALLBACK_MODELS",
    "SWITCHBOARD_LOCAL_THREADS",
    "SWITCHBOARD_LOCAL_CTX",
    "SWITCHBOARD_MODEL_TIMEOUT",
    "SWITCHBOARD_MODEL_RETRIES",
    "SWITCHBOARD_MODEL_CACHE",
    "SWITCHBOARD_CACHE_DIR",
    "SWITCHBOARD_DATA_DIR",
)
_TURNS = (
    *_MODEL,
    "SWITCHBOARD_MAX_MESSAGE_CHARS",
    "SWITCHBOARD_TOKEN_BUDGET",
    "SWITCHBOARD_DURABILITY",
    "SWITCHBOARD_TODAY",
)
_STORES = (
    "SWITCHBOARD_DATA_DIR",
    "SWITCHBOARD_DATABASE_URL",
    "SWITCHBOARD_PG_POOL_SIZE",
    "SWITCHBOARD_TRANSCRIPT_URL",
)
_GRAPHS = (
    "SWITCHBOARD_CATALOGUE_PATH",
    "SWITCHBOARD_RESEARCH_DIR",
    "SWITCHBOARD_RESEARCH_DEADLINE",
    "SWITCHBOARD_REDIS_URL",
)
_SERVER = (
    "SWITCHBOARD_GRAPH",
    "SWITCHBOARD_API_TOKENS",
    "SWITCHBOARD_DEV_LOGIN",
    "SWITCHBOARD_DEV_SECRET",
    "SWITCHBOARD_BUSY_POLICY",
    "SWITCHBOARD_QUEUE_TIMEOUT",
    "SWITCHBOARD_LOCK_BACKEND",
    "SWITCHBOARD_TURN_WORKERS",
    "SWITCHBOARD_RATE_LIMIT_CUSTOMER",
    "SWITCHBOARD_RATE_LIMIT_IP",
    "SWITCHBOARD_MAX_BODY_BYTES",
)

READS: Mapping[str, tuple[str, ...]] = {
    "chat": (*_TURNS, *_STORES, *_GRAPHS, "SWITCHBOARD_CUSTOMER"),
    "serve": (*_TURNS, *_STORES, *_GRAPHS, *_SERVER),
    "eval": (*_TURNS, "SWITCHBOARD_TRANSCRIPT_URL"),
    "export": ("SWITCHBOARD_DATA_DIR", "SWITCHBOARD_DATABASE_URL", "SWITCHBOARD_TRANSCRIPT_URL"),
    "reset-store": ("SWITCHBOARD_DATA_DIR", "SWITCHBOARD_DATABASE_URL", "SWITCHBOARD_TODAY"),
    "kb": ("SWITCHBOARD_DATA_DIR", "SWITCHBOARD_CACHE_DIR"),
    "research": (*_MODEL, *_GRAPHS[1:]),
    "bench": _TURNS,
    "bench triage": (
        *_TURNS,
        "SWITCHBOARD_CLINC_DIR",
        "SWITCHBOARD_TAU2_DIR",
        "SWITCHBOARD_HOSTED_MODEL",
    ),
    "bench tau2_telecom": (*_TURNS, "SWITCHBOARD_TAU2_DIR"),
    "bench load": (*_TURNS, *_STORES, "SWITCHBOARD_REDIS_URL"),
}
"""Settings each command reads (``bench NAME`` for a benchmark with settings of its own)."""


def reads(command: str) -> tuple[str, ...]:
    """The settings ``command`` (e.g. ``chat`` or ``bench triage``) reads."""
    if command in READS:
        return READS[command]
    return READS.get(command.split()[0], ())


def check_settings(names: Iterable[str], env: Mapping[str, str]) -> None:
    """Raise ``SetupError`` for the first of ``names`` whose value in ``env`` is bad."""
    for name in names:
        raw = env.get(name, "").strip()
        if raw:
            CHECKS[name](name, raw)
