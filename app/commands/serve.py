"""``switchboard serve``: the HTTP API and web chat page under uvicorn (one or more workers)."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import MutableMapping
from typing import Any

import uvicorn

from app.locks import lock_backend
from app.runtime import SetupError, model_spec
from app.server.settings import TRUE_WORDS, ServerSettings, SettingsError
from app.server.workers import Supervisor, reuse_port_available

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
APP_FACTORY = "app.server.app:create_app"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``serve``."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the HTTP API and the web chat page",
        description="Serve the support graph over HTTP (see docs/service.md).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--model", help="model spec for every turn (default $SWITCHBOARD_MODEL)")
    parser.add_argument("--database-url", help="override SWITCHBOARD_DATABASE_URL")
    parser.add_argument("--redis-url", help="override SWITCHBOARD_REDIS_URL")
    parser.add_argument(
        "--busy-policy",
        choices=["queue", "reject", "interrupt"],
        help="message arriving during a running turn (default $SWITCHBOARD_BUSY_POLICY or queue)",
    )
    parser.add_argument(
        "--dev-login",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="issue demo tokens at POST /v1/dev/login (default: on for loopback hosts only)",
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level")
    parser.set_defaults(run=run)


def configure_env(args: argparse.Namespace, env: MutableMapping[str, str]) -> None:
    """Write the options into ``env``, where every worker process reads its settings."""
    for option, name in (
        ("model", "SWITCHBOARD_MODEL"),
        ("database_url", "SWITCHBOARD_DATABASE_URL"),
        ("redis_url", "SWITCHBOARD_REDIS_URL"),
        ("busy_policy", "SWITCHBOARD_BUSY_POLICY"),
    ):
        value = getattr(args, option, None)
        if value is not None:
            env[name] = value
    dev = args.dev_login
    if dev is None:
        default = "1" if args.host in LOOPBACK else "0"
        dev = env.get("SWITCHBOARD_DEV_LOGIN", default).strip().lower() in TRUE_WORDS
    env["SWITCHBOARD_DEV_LOGIN"] = "1" if dev else "0"
    if dev and not env.get("SWITCHBOARD_DEV_SECRET"):
        env["SWITCHBOARD_DEV_SECRET"] = secrets.token_hex(16)  # shared by this server's workers


def check(args: argparse.Namespace, settings: ServerSettings) -> str | None:
    """A fix-it message when the options cannot work together, else ``None``."""
    if args.workers < 1:
        return "--workers must be at least 1."
    if not 0 < args.port < 65536:
        return "--port must be between 1 and 65535."

    locks = lock_backend(settings.database_url, settings.redis_url)
    if args.workers > 1 and locks == "local":
        return (
            "Several workers need cross-process turn locks: set SWITCHBOARD_DATABASE_URL="
            "postgresql://... or SWITCHBOARD_REDIS_URL=redis://..., or use --workers 1."
        )
    if settings.dev_login and args.host not in LOOPBACK:
        print(
            "switchboard serve: warning: dev login is on for a non-loopback address; anyone who "
            "can reach it can sign in as any customer.",
            file=sys.stderr,
        )
    return None


def run(args: argparse.Namespace) -> int:
    """Validate the settings, then run uvicorn until interrupted."""
    configure_env(args, os.environ)
    try:
        settings = ServerSettings.from_env()
        model_spec(settings.model)
    except (SettingsError, SetupError, ValueError) as error:
        print(f"switchboard serve: {error}", file=sys.stderr)
        return 2
    problem = check(args, settings)
    if problem:
        print(f"switchboard serve: {problem}", file=sys.stderr)
        return 2

    where = f"http://{args.host}:{args.port}/"
    print(f"Switchboard on {where} (API docs at {where}docs)", file=sys.stderr)
    options: dict[str, Any] = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "timeout_graceful_shutdown": 10,
        # Longer than clients' idle pooled connections usually live, so a client rarely
        # reuses a connection the server is closing at that very moment.
        "timeout_keep_alive": 75,
    }
    if args.workers > 1 and reuse_port_available():
        # A socket per worker, so the kernel balances connections (app/server/workers.py).
        Supervisor(uvicorn.Config(APP_FACTORY, **options), args.workers).run()
    else:
        uvicorn.run(APP_FACTORY, workers=args.workers, **options)
    return 0
