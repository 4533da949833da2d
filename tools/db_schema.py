"""Telco store schema: portable SQL that runs unchanged on SQLite and PostgreSQL."""

from __future__ import annotations

from tools.db import Tx

SCHEMA_VERSION = "1"

# Booleans are INTEGER 0/1, money is integer cents, dates are ISO-8601 TEXT, data is GB.
TABLES: tuple[tuple[str, str], ...] = (
    ("store_meta", "key TEXT PRIMARY KEY, value TEXT NOT NULL"),
    (
        "plans",
        "plan_id TEXT PRIMARY KEY, name TEXT NOT NULL, monthly_price_cents INTEGER NOT NULL, "
        "data_gb DOUBLE PRECISION, roaming_zone TEXT NOT NULL, "
        "roaming_day_pass_cents INTEGER NOT NULL, supports_5g INTEGER NOT NULL, "
        "description TEXT NOT NULL",
    ),
    (
        "customers",
        "customer_id TEXT PRIMARY KEY, full_name TEXT NOT NULL, date_of_birth TEXT NOT NULL, "
        "email TEXT NOT NULL, contact_phone TEXT NOT NULL, customer_since TEXT NOT NULL",
    ),
    (
        "devices",
        "device_id TEXT PRIMARY KEY, model TEXT NOT NULL, esim_supported INTEGER NOT NULL, "
        "supports_5g INTEGER NOT NULL, sim_type TEXT NOT NULL, mms_settings_ok INTEGER NOT NULL, "
        "apn_ok INTEGER NOT NULL, network_mode TEXT NOT NULL",
    ),
    (
        "lines",
        "line_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(customer_id), "
        "phone_number TEXT NOT NULL UNIQUE, plan_id TEXT NOT NULL REFERENCES plans(plan_id), "
        "status TEXT NOT NULL, suspension_reason TEXT, roaming_enabled INTEGER NOT NULL, "
        "data_used_gb DOUBLE PRECISION NOT NULL, data_limit_gb DOUBLE PRECISION, "
        "cycle_start TEXT NOT NULL, contract_end_date TEXT NOT NULL, "
        "activation_date TEXT NOT NULL, device_id TEXT NOT NULL REFERENCES devices(device_id)",
    ),
    (
        "bills",
        "bill_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(customer_id), "
        "period_start TEXT NOT NULL, period_end TEXT NOT NULL, issue_date TEXT NOT NULL, "
        "due_date TEXT NOT NULL, status TEXT NOT NULL, total_cents INTEGER NOT NULL, "
        "paid_date TEXT",
    ),
    (
        "bill_items",
        "bill_id TEXT NOT NULL REFERENCES bills(bill_id), position INTEGER NOT NULL, "
        "kind TEXT NOT NULL, line_id TEXT, description TEXT NOT NULL, "
        "amount_cents INTEGER NOT NULL, PRIMARY KEY (bill_id, position)",
    ),
    (
        "payment_methods",
        "payment_method_id TEXT PRIMARY KEY, "
        "customer_id TEXT NOT NULL REFERENCES customers(customer_id), kind TEXT NOT NULL, "
        "brand TEXT, last4 TEXT NOT NULL, expiry TEXT, bank_name TEXT, "
        "is_default INTEGER NOT NULL, autopay INTEGER NOT NULL",
    ),
    (
        "usage_events",
        "event_id TEXT PRIMARY KEY, line_id TEXT NOT NULL REFERENCES lines(line_id), "
        "event_date TEXT NOT NULL, kind TEXT NOT NULL, amount_gb DOUBLE PRECISION NOT NULL, "
        "cost_cents INTEGER NOT NULL",
    ),
    (
        "payments",
        "payment_id TEXT PRIMARY KEY, bill_id TEXT NOT NULL REFERENCES bills(bill_id), "
        "customer_id TEXT NOT NULL, payment_method_id TEXT NOT NULL, "
        "amount_cents INTEGER NOT NULL, paid_on TEXT NOT NULL",
    ),
    (
        "payment_requests",
        "request_id TEXT PRIMARY KEY, bill_id TEXT NOT NULL REFERENCES bills(bill_id), "
        "customer_id TEXT NOT NULL, amount_cents INTEGER NOT NULL, sent_to TEXT NOT NULL, "
        "sent_on TEXT NOT NULL",
    ),
    (
        "plan_changes",
        "change_id TEXT PRIMARY KEY, line_id TEXT NOT NULL REFERENCES lines(line_id), "
        "old_plan_id TEXT NOT NULL, new_plan_id TEXT NOT NULL, old_price_cents INTEGER NOT NULL, "
        "new_price_cents INTEGER NOT NULL, changed_on TEXT NOT NULL",
    ),
    (
        "tickets",
        "ticket_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, line_id TEXT, "
        "category TEXT NOT NULL, description TEXT NOT NULL, status TEXT NOT NULL, "
        "opened_on TEXT NOT NULL",
    ),
    (
        "handoffs",
        "handoff_id TEXT PRIMARY KEY, customer_id TEXT, summary TEXT NOT NULL, "
        "created_at TEXT NOT NULL",
    ),
    (
        "confirmations",
        "tool_call_id TEXT PRIMARY KEY, tool TEXT NOT NULL, customer_id TEXT, "
        "summary TEXT NOT NULL, details TEXT NOT NULL, created_at TEXT NOT NULL",
    ),
    (
        "tool_runs",
        "tool_call_id TEXT PRIMARY KEY, tool TEXT NOT NULL, customer_id TEXT, "
        "result TEXT NOT NULL, created_at TEXT NOT NULL",
    ),
    (
        "security_events",
        "event_id TEXT PRIMARY KEY, customer_id TEXT, tool TEXT NOT NULL, kind TEXT NOT NULL, "
        "reference_kind TEXT NOT NULL, created_at TEXT NOT NULL",
    ),
)

TABLE_NAMES = tuple(name for name, _ in TABLES)


def create_tables(tx: Tx) -> None:
    """Create every table that does not exist yet."""
    for name, columns in TABLES:
        tx.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


def drop_tables(tx: Tx) -> None:
    """Drop every store table (children first, so foreign keys never block)."""
    for name in reversed(TABLE_NAMES):
        tx.execute(f"DROP TABLE IF EXISTS {name}")


def store_meta_exists(tx: Tx, dialect: str) -> bool:
    """Return whether the ``store_meta`` table exists (i.e. the store was initialised)."""
    if dialect == "postgres":
        row = tx.one("SELECT to_regclass('store_meta') IS NOT NULL AS present")
        return bool(row and row["present"])
    row = tx.one("SELECT 1 AS present FROM sqlite_master WHERE type='table' AND name='store_meta'")
    return row is not None
