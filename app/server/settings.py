"""Server settings, read once from the environment and validated with fix-it messages."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

BusyPolicy = Literal["queue", "reject", "interrupt"]
BUSY_POLICIES: tuple[BusyPolicy, ...] = ("queue", "reject", "interrupt")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d*)\s*(s|sec|m|min|h|hour)\s*$")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
"""Values of an on/off setting that mean on."""
_UNIT_SECONDS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}


class SettingsError(ValueError):
    """A bad server setting; the message names the variable and the fix."""


@dataclass(frozen=True)
class Rate:
    """A token bucket: up to ``burst`` requests at once, refilled at ``per_second``."""

    burst: float
    per_second: float


@dataclass(frozen=True)
class ServerSettings:
    """Everything the HTTP server needs to know about its deployment."""

    database_url: str = ""
    """Checkpoints, threads, inbox and telco store ('' = the SQLite files in the data dir)."""
    redis_url: str = ""
    """Redis for cross-process turn locks and shared rate limits ('' = none)."""
    model: str = ""
    """Model spec for every turn ('' = ``SWITCHBOARD_MODEL`` or the default)."""
    graph: str = "support"
    """The graph the server runs."""
    api_tokens: Mapping[str, str] = field(default_factory=dict)
    """Bearer token → customer id."""
    dev_login: bool = False
    """Whether ``POST /v1/dev/login`` issues demo tokens (local development only)."""
    dev_secret: str = ""
    """Key that signs demo tokens (shared by the workers of one server)."""
    busy_policy: BusyPolicy = "queue"
    """What happens to a message that arrives while the thread's turn runs."""
    rate_customer: Rate | None = Rate(burst=60, per_second=1.0)
    """Per-customer request budget (``None`` = unlimited)."""
    rate_ip: Rate | None = Rate(burst=300, per_second=5.0)
    """Per-client-address request budget (``None`` = unlimited)."""
    max_body_bytes: int = 64 * 1024
    """Largest request body accepted."""
    max_message_chars: int = 4000
    """Longest user message accepted."""
    turn_workers: int = 8
    """Turns that may run at once in one worker process."""
    queue_timeout: float = 120.0
    """Seconds a request waits for its queued message before giving up (the message stays)."""
    janitor_interval: float = 5.0
    """Seconds between sweeps that finish orphaned messages (crashed worker, gone client)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServerSettings:
        """Settings from ``env`` (default ``os.environ``)."""
        env = os.environ if env is None else env
        dev_login = env.get("SWITCHBOARD_DEV_LOGIN", "").strip().lower() in TRUE_WORDS
        return cls(
            database_url=env.get("SWITCHBOARD_DATABASE_URL", "").strip(),
            redis_url=env.get("SWITCHBOARD_REDIS_URL", "").strip(),
            model=env.get("SWITCHBOARD_MODEL", "").strip(),
            graph=env.get("SWITCHBOARD_GRAPH", "support").strip() or "support",
            api_tokens=parse_tokens(env.get("SWITCHBOARD_API_TOKENS", "")),
            dev_login=dev_login,
            dev_secret=env.get("SWITCHBOARD_DEV_SECRET", "").strip()
            or (secrets.token_hex(16) if dev_login else ""),
            busy_policy=parse_policy(env.get("SWITCHBOARD_BUSY_POLICY", "queue")),
            rate_customer=parse_rate(
                "SWITCHBOARD_RATE_LIMIT_CUSTOMER",
                env.get("SWITCHBOARD_RATE_LIMIT_CUSTOMER", "60/m"),
            ),
            rate_ip=parse_rate(
                "SWITCHBOARD_RATE_LIMIT_IP", env.get("SWITCHBOARD_RATE_LIMIT_IP", "300/m")
            ),
            max_body_bytes=_int(env, "SWITCHBOARD_MAX_BODY_BYTES", 64 * 1024),
            max_message_chars=_int(env, "SWITCHBOARD_MAX_MESSAGE_CHARS", 4000),
            turn_workers=_int(env, "SWITCHBOARD_TURN_WORKERS", 8),
            queue_timeout=float(_int(env, "SWITCHBOARD_QUEUE_TIMEOUT", 120)),
        )


def parse_tokens(raw: str) -> dict[str, str]:
    """``"tok1:C1001,tok2:C1002"`` → ``{"tok1": "C1001", "tok2": "C1002"}``."""
    tokens: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        token, sep, customer = item.partition(":")
        if not sep or not token.strip() or not customer.strip():
            raise SettingsError(
                f"SWITCHBOARD_API_TOKENS has a bad entry {item.split(':')[0][:4]}…: write "
                "token:customer_id pairs separated by commas, e.g. 'tok1:C1001,tok2:C1002'."
            )
        tokens[token.strip()] = customer.strip()
    return tokens


def parse_policy(raw: str) -> BusyPolicy:
    """A valid busy policy."""
    value = raw.strip().lower() or "queue"
    for policy in BUSY_POLICIES:
        if value == policy:
            return policy
    raise SettingsError(
        f"SWITCHBOARD_BUSY_POLICY={raw!r} is not a policy: use queue (default), reject or "
        "interrupt."
    )


def parse_rate(name: str, raw: str) -> Rate | None:
    """``"60/m"``, ``"10/s"``, ``"500/15m"`` → a bucket; ``"off"`` or ``"0"`` → unlimited."""
    value = raw.strip().lower()
    if value in {"", "off", "none", "0", "unlimited"}:
        return None
    match = _RATE.match(value)
    if not match:
        raise SettingsError(
            f"{name}={raw!r} is not a rate: write COUNT/PERIOD such as 60/m, 10/s, 500/15m or "
            "1000/h, or 'off' to disable the limit."
        )
    count, periods, unit = float(match[1]), float(match[2] or 1), match[3]
    if count <= 0:
        return None
    return Rate(burst=count, per_second=count / (periods * _UNIT_SECONDS[unit]))


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} must be a whole number.") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be positive.")
    return value
