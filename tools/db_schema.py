"""Telco store schema: SQLAlchemy Core tables, created the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Column, Double, ForeignKey, Integer, MetaData, PrimaryKeyConstraint, Table
from sqlalchemy import Text as T

from data_access import Tx

SCHEMA_VERSION = "1"

# Booleans are INTEGER 0/1, money is integer cents, dates are ISO-8601 TEXT, data is GB.
METADATA = MetaData()


store_meta = Table(
    "store_meta",
    METADATA,
    Column("key", T, primary_key=True),
    Column("value", T, nullable=False),
)
plans = Table(
    "plans",
    METADATA,
    Column("plan_id", T, primary_key=True),
    Column("name", T, nullable=False),
    Column("monthly_price_cents", Integer, nullable=False),
    Column("data_gb", Double),
    Column("roaming_zone", T, nullable=False),
    Column("roaming_day_pass_cents", Integer, nullable=False),
    Column("supports_5g", Integer, nullable=False),
    Column("description", T, nullable=False),
)
customers = Table(
    "customers",
    METADATA,
    Column("customer_id", T, primary_key=True),
    Column("full_name", T, nullable=False),
    Column("date_of_birth", T, nullable=False),
    Column("email", T, nullable=False),
    Column("contact_phone", T, nullable=False),
    Column("customer_since", T, nullable=False),
)
devices = Table(
    "devices",
    METADATA,
    Column("device_id", T, primary_key=True),
    Column("model", T, nullable=False),
    Column("esim_supported", Integer, nullable=False),
    Column("supports_5g", Integer, nullable=False),
    Column("sim_type", T, nullable=False),
    Column("mms_settings_ok", Integer, nullable=False),
    Column("apn_ok", Integer, nullable=False),
    Column("network_mode", T, nullable=False),
)
lines = Table(
    "lines",
    METADATA,
    Column("line_id", T, primary_key=True),
    Column("customer_id", T, ForeignKey("customers.customer_id"), nullable=False),
    Column("phone_number", T, nullable=False, unique=True),
    Column("plan_id", T, ForeignKey("plans.plan_id"), nullable=False),
    Column("status", T, nullable=False),
    Column("suspension_reason", T),
    Column("roaming_enabled", Integer, nullable=False),
    Column("data_used_gb", Double, nullable=False),
    Column("data_limit_gb", Double),
    Column("cycle_start", T, nullable=False),
    Column("contract_end_date", T, nullable=False),
    Column("activation_date", T, nullable=False),
    Column("device_id", T, ForeignKey("devices.device_id"), nullable=False),
)
bills = Table(
    "bills",
    METADATA,
    Column("bill_id", T, primary_key=True),
    Column("customer_id", T, ForeignKey("customers.customer_id"), nullable=False),
    Column("period_start", T, nullable=False),
    Column("period_end", T, nullable=False),
    Column("issue_date", T, nullable=False),
    Column("due_date", T, nullable=False),
    Column("status", T, nullable=False),
    Column("total_cents", Integer, nullable=False),
    Column("paid_date", T),
)
bill_items = Table(
    "bill_items",
    METADATA,
    Column("bill_id", T, ForeignKey("bills.bill_id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", T, nullable=False),
    Column("line_id", T),
    Column("description", T, nullable=False),
    Column("amount_cents", Integer, nullable=False),
    PrimaryKeyConstraint("bill_id", "position"),
)
payment_methods = Table(
    "payment_methods",
    METADATA,
    Column("payment_method_id", T, primary_key=True),
    Column("customer_id", T, ForeignKey("customers.customer_id"), nullable=False),
    Column("kind", T, nullable=False),
    Column("brand", T),
    Column("last4", T, nullable=False),
    Column("expiry", T),
    Column("bank_name", T),
    Column("is_default", Integer, nullable=False),
    Column("autopay", Integer, nullable=False),
)
usage_events = Table(
    "usage_events",
    METADATA,
    Column("event_id", T, primary_key=True),
    Column("line_id", T, ForeignKey("lines.line_id"), nullable=False),
    Column("event_date", T, nullable=False),
    Column("kind", T, nullable=False),
    Column("amount_gb", Double, nullable=False),
    Column("cost_cents", Integer, nullable=False),
)
payments = Table(
    "payments",
    METADATA,
    Column("payment_id", T, primary_key=True),
    Column("bill_id", T, ForeignKey("bills.bill_id"), nullable=False),
    Column("customer_id", T, nullable=False),
    Column("payment_method_id", T, nullable=False),
    Column("amount_cents", Integer, nullable=False),
    Column("paid_on", T, nullable=False),
)
payment_requests = Table(
    "payment_requests",
    METADATA,
    Column("request_id", T, primary_key=True),
    Column("bill_id", T, ForeignKey("bills.bill_id"), nullable=False),
    Column("customer_id", T, nullable=False),
    Column("amount_cents", Integer, nullable=False),
    Column("sent_to", T, nullable=False),
    Column("sent_on", T, nullable=False),
)
plan_changes = Table(
    "plan_changes",
    METADATA,
    Column("change_id", T, primary_key=True),
    Column("line_id", T, ForeignKey("lines.line_id"), nullable=False),
    Column("old_plan_id", T, nullable=False),
    Column("new_plan_id", T, nullable=False),
    Column("old_price_cents", Integer, nullable=False),
    Column("new_price_cents", Integer, nullable=False),
    Column("changed_on", T, nullable=False),
)
tickets = Table(
    "tickets",
    METADATA,
    Column("ticket_id", T, primary_key=True),
    Column("customer_id", T, nullable=False),
    Column("line_id", T),
    Column("category", T, nullable=False),
    Column("description", T, nullable=False),
    Column("status", T, nullable=False),
    Column("opened_on", T, nullable=False),
)
handoffs = Table(
    "handoffs",
    METADATA,
    Column("handoff_id", T, primary_key=True),
    Column("customer_id", T),
    Column("summary", T, nullable=False),
    Column("created_at", T, nullable=False),
)
confirmations = Table(
    "confirmations",
    METADATA,
    Column("tool_call_id", T, primary_key=True),
    Column("tool", T, nullable=False),
    Column("customer_id", T),
    Column("summary", T, nullable=False),
    Column("details", T, nullable=False),
    Column("created_at", T, nullable=False),
)
tool_runs = Table(
    "tool_runs",
    METADATA,
    Column("tool_call_id", T, primary_key=True),
    Column("tool", T, nullable=False),
    Column("customer_id", T),
    Column("result", T, nullable=False),
    Column("created_at", T, nullable=False),
)
security_events = Table(
    "security_events",
    METADATA,
    Column("event_id", T, primary_key=True),
    Column("customer_id", T),
    Column("tool", T, nullable=False),
    Column("kind", T, nullable=False),
    Column("reference_kind", T, nullable=False),
    Column("created_at", T, nullable=False),
)

TABLE_NAMES = tuple(METADATA.tables)
JOURNAL_TABLES = frozenset(
    {
        "payments",
        "payment_requests",
        "plan_changes",
        "tickets",
        "handoffs",
        "tool_runs",
        "confirmations",
        "security_events",
    }
)
"""Tables the store appends to (readable raw through ``TelcoStore.rows``)."""


def create_tables(tx: Tx) -> None:
    """Create every table that does not exist yet."""
    METADATA.create_all(tx.conn, checkfirst=True)


def drop_tables(tx: Tx) -> None:
    """Drop every store table (children first, so foreign keys never block)."""
    METADATA.drop_all(tx.conn, checkfirst=True)


def store_meta_exists(tx: Tx) -> bool:
    """Return whether the ``store_meta`` table exists (i.e. the store was initialised)."""
    return tx.has_table("store_meta")
