"""Server building blocks: settings, tokens, rate buckets, local locks, SSE, serve checks."""

from __future__ import annotations

import argparse

import pytest

from app.commands import serve
from app.locks import LocalLocks, hold, lock_backend, lock_key
from app.server.auth import customer_for_token, dev_token
from app.server.ratelimit import LocalLimiter
from app.server.settings import (
    Rate,
    ServerSettings,
    SettingsError,
    parse_policy,
    parse_rate,
    parse_tokens,
)
from app.server.sse import encode, parse_events


def test_rates_parse_counts_and_periods() -> None:
    assert parse_rate("X", "60/m") == Rate(burst=60, per_second=1.0)
    assert parse_rate("X", "10/s") == Rate(burst=10, per_second=10.0)
    assert parse_rate("X", "500/15m") == Rate(burst=500, per_second=500 / 900)
    assert parse_rate("X", "off") is None and parse_rate("X", "0") is None
    with pytest.raises(SettingsError, match="X='lots' is not a rate"):
        parse_rate("X", "lots")


def test_tokens_and_policy_parse_with_fix_it_errors() -> None:
    assert parse_tokens("a:C1001, b:C1002") == {"a": "C1001", "b": "C1002"}
    with pytest.raises(SettingsError, match="token:customer_id"):
        parse_tokens("secret-without-customer")
    assert parse_policy("Reject") == "reject"
    with pytest.raises(SettingsError, match="queue \\(default\\), reject or interrupt"):
        parse_policy("drop")


def test_settings_from_env() -> None:
    settings = ServerSettings.from_env(
        {
            "SWITCHBOARD_API_TOKENS": "t:C1",
            "SWITCHBOARD_BUSY_POLICY": "interrupt",
            "SWITCHBOARD_RATE_LIMIT_IP": "off",
            "SWITCHBOARD_DEV_LOGIN": "1",
        }
    )
    assert settings.api_tokens == {"t": "C1"} and settings.busy_policy == "interrupt"
    assert settings.rate_ip is None and settings.rate_customer == Rate(60, 1.0)
    assert settings.dev_login and len(settings.dev_secret) == 32
    with pytest.raises(SettingsError, match="SWITCHBOARD_TURN_WORKERS='x' must be a whole"):
        ServerSettings.from_env({"SWITCHBOARD_TURN_WORKERS": "x"})


def test_tokens_map_to_customers_and_dev_tokens_need_dev_mode() -> None:
    settings = ServerSettings(api_tokens={"tok": "C1001"}, dev_login=True, dev_secret="k")
    assert customer_for_token("tok", settings) == "C1001"
    assert customer_for_token(dev_token("k", "C1002"), settings) == "C1002"
    assert customer_for_token(dev_token("other-key", "C1002"), settings) is None
    off = ServerSettings(api_tokens={}, dev_login=False, dev_secret="k")
    assert customer_for_token(dev_token("k", "C1002"), off) is None


def test_local_bucket_allows_the_burst_then_asks_to_wait() -> None:
    limiter = LocalLimiter()
    rate = Rate(burst=3, per_second=1e-6)
    waits = [limiter.hit("k", rate) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] > 1000
    assert limiter.hit("other", rate) == 0.0


def test_local_locks_are_exclusive_until_released() -> None:
    locks = LocalLocks()
    lease = locks.try_acquire("t1")
    assert lease is not None
    assert locks.try_acquire("t1") is None and locks.try_acquire("t2") is not None
    lease.release()
    lease.release()  # harmless twice
    with hold(locks, "t1", timeout=1):
        assert locks.try_acquire("t1") is None
    assert locks.try_acquire("t1") is not None


def test_lock_keys_are_stable_signed_64_bit() -> None:
    assert lock_key("abc") == lock_key("abc") != lock_key("abd")
    assert -(2**63) <= lock_key("abc") < 2**63


def test_lock_backend_prefers_redis_then_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWITCHBOARD_LOCK_BACKEND", raising=False)
    assert lock_backend("postgresql://x/db", "redis://r") == "redis"
    assert lock_backend("postgresql://x/db", "") == "postgres"
    assert lock_backend("", "") == "local"
    monkeypatch.setenv("SWITCHBOARD_LOCK_BACKEND", "carrier-pigeon")
    with pytest.raises(ValueError, match="local, postgres or redis"):
        lock_backend("", "")


def test_sse_round_trip() -> None:
    body = encode("token", {"text": "a\nb"}, 1) + encode("done", {"turn": 2}, 2)
    assert parse_events(body.decode()) == [("token", {"text": "a\nb"}), ("done", {"turn": 2})]


def _args(**values: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "host": "127.0.0.1",
        "port": 8000,
        "workers": 1,
        "model": None,
        "database_url": None,
        "redis_url": None,
        "busy_policy": None,
        "dev_login": None,
    }
    base.update(values)
    return argparse.Namespace(**base)


def test_serve_turns_dev_login_on_for_loopback_only() -> None:
    env: dict[str, str] = {}
    serve.configure_env(_args(), env)
    assert env["SWITCHBOARD_DEV_LOGIN"] == "1" and len(env["SWITCHBOARD_DEV_SECRET"]) == 32
    public: dict[str, str] = {}
    serve.configure_env(_args(host="0.0.0.0", busy_policy="reject"), public)
    assert public["SWITCHBOARD_DEV_LOGIN"] == "0" and "SWITCHBOARD_DEV_SECRET" not in public
    assert public["SWITCHBOARD_BUSY_POLICY"] == "reject"


def test_serve_refuses_several_workers_without_shared_locks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SWITCHBOARD_LOCK_BACKEND", raising=False)
    problem = serve.check(_args(workers=2), ServerSettings())
    assert problem is not None and "SWITCHBOARD_REDIS_URL" in problem
    assert serve.check(_args(workers=2), ServerSettings(redis_url="redis://r")) is None
