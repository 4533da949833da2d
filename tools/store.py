"""Typed repository over the telco account store (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Select, func, insert, literal, select, union_all

from conversation.paths import data_dir
from data_access import Database, Row, Tx, file_url, open_database, parse_database_url
from tools import db_schema as schema
from tools.db_models import (
    Bill,
    BillItem,
    Confirmation,
    Customer,
    Device,
    Line,
    PaymentMethod,
    Plan,
    StoreInfo,
    ToolRun,
    UsageEvent,
    gb,
    money,
)
from tools.db_schema import SCHEMA_VERSION, create_tables, drop_tables, store_meta_exists
from tools.db_seed import Seed, insert_seed, load_seed
from tools.db_writes import StoreWriter, WriteConflict
from tools.security_events import SecurityEvents
from tools.write_journal import WriteJournal, now_iso

__all__ = [
    "Bill",
    "BillItem",
    "Confirmation",
    "Customer",
    "Device",
    "Line",
    "PaymentMethod",
    "Plan",
    "StoreInfo",
    "StoreWriter",
    "TelcoStore",
    "ToolRun",
    "UsageEvent",
    "WriteConflict",
    "close_store",
    "close_stores",
    "default_store_url",
    "gb",
    "money",
    "open_store",
    "phone_digits",
]

log = logging.getLogger("switchboard.tools.store")

TODAY_ENV = "SWITCHBOARD_TODAY"
URL_ENV = "SWITCHBOARD_DATABASE_URL"
INIT_LOCK = "telco-store-init"
DIALECT_NAMES = {"postgresql": "postgres", "sqlite": "sqlite"}
"""``TelcoStore.dialect`` as it was always spelled."""


def _line_query() -> Select[Any]:
    """Lines joined with their plan and device (the columns ``_line_from_joined`` reads)."""
    lines, plans, devices = schema.lines, schema.plans, schema.devices
    return (
        select(
            lines,
            plans.c.name,
            plans.c.monthly_price_cents,
            plans.c.data_gb,
            plans.c.roaming_zone,
            plans.c.roaming_day_pass_cents,
            plans.c.supports_5g.label("plan_5g"),
            plans.c.description,
            devices.c.model,
            devices.c.esim_supported,
            devices.c.supports_5g.label("device_5g"),
            devices.c.sim_type,
            devices.c.mms_settings_ok,
            devices.c.apn_ok,
            devices.c.network_mode,
        )
        .join_from(lines, plans, plans.c.plan_id == lines.c.plan_id)
        .join_from(lines, devices, devices.c.device_id == lines.c.device_id)
    )


def phone_digits(value: str) -> str:
    """Normalise a phone number to its digits, assuming country code 1 for 10 digits."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return "1" + digits if len(digits) == 10 else digits


def _line_from_joined(row: Row) -> Line:
    plan = Plan.from_row({**row, "supports_5g": row["plan_5g"]})
    device = Device.from_row({**row, "supports_5g": row["device_5g"]})
    return Line.from_row(row, plan, device)


class TelcoStore:
    """Accounts, plans, lines and bills of one database, with its write journal
    (``WriteJournal``) and refused-attempt counts (``SecurityEvents``)."""

    def __init__(self, url: str, db: Database, seed: Seed) -> None:
        self.url = url
        self.db = db
        self._seed = seed
        self.journal = WriteJournal(db, self.today)
        self.security = SecurityEvents(db)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgres``."""
        return DIALECT_NAMES[self.db.kind]

    # -- lifecycle ---------------------------------------------------------------------------

    def ensure_seeded(self) -> None:
        """Create and seed the store unless it already holds this schema version."""
        with self.db.transaction() as tx:
            self._lock_for_init(tx)
            if store_meta_exists(tx):
                version = tx.scalar(
                    select(schema.store_meta.c.value).where(
                        schema.store_meta.c.key == "schema_version"
                    )
                )
                if version == SCHEMA_VERSION:
                    return
                log.warning("Telco store %s has an old schema; reseeding it.", self.db.url.redacted)
            self._reseed(tx)

    def reset_to_seed(self) -> None:
        """Drop every table and reload the seed: the store returns to its initial state."""
        with self.db.transaction() as tx:
            self._lock_for_init(tx)
            self._reseed(tx)

    @staticmethod
    def _lock_for_init(tx: Tx) -> None:
        tx.lock(INIT_LOCK)
        tx.ensure_namespace()

    def _reseed(self, tx: Tx) -> None:
        drop_tables(tx)
        create_tables(tx)
        insert_seed(tx, self._seed)
        meta = self._seed.data["metadata"]
        tx.executemany(
            insert(schema.store_meta),
            [
                {"key": "schema_version", "value": SCHEMA_VERSION},
                {"key": "seed_sha256", "value": self._seed.sha256},
                {"key": "seeded_at", "value": now_iso()},
                {"key": "metadata", "value": json.dumps(meta, sort_keys=True)},
            ],
        )

    def close(self) -> None:
        """Release database connections."""
        self.db.close()

    def _one(self, query: Any) -> Row | None:
        with self.db.read() as tx:
            return tx.one(query)

    def _all(self, query: Any, params: tuple[Any, ...] = ()) -> list[Row]:
        with self.db.read() as tx:
            return tx.all(query, params or None)

    # -- business constants --------------------------------------------------------------------

    def info(self) -> StoreInfo:
        """Return brand, business date and pricing constants from the seed metadata."""
        meta = self._seed.data["metadata"]
        return StoreInfo(
            brand=meta["brand"],
            as_of=date.fromisoformat(meta["as_of"]),
            refuel_price_per_gb_cents=int(meta["refuel_price_per_gb_cents"]),
            refuel_max_gb=float(meta["refuel_max_gb"]),
            late_fee_cents=int(meta["late_fee_cents"]),
            cycle_end=date.fromisoformat(meta["billing_cycle_end"]),
        )

    def today(self) -> date:
        """Business date: ``$SWITCHBOARD_TODAY`` if set, else the seed's ``as_of``."""
        raw = os.environ.get(TODAY_ENV, "").strip()
        if not raw:
            return self.info().as_of
        try:
            return date.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError(f"{TODAY_ENV}={raw!r} is not an ISO date like 2026-11-20.") from exc

    # -- reads -----------------------------------------------------------------------------------

    def customer(self, customer_id: str) -> Customer | None:
        """Return a customer by id."""
        customers = schema.customers
        row = self._one(select(customers).where(customers.c.customer_id == customer_id))
        return Customer.from_row(row) if row else None

    def customers(self) -> list[Customer]:
        """Return every customer, by id."""
        customers = schema.customers
        rows = self._all(select(customers).order_by(customers.c.customer_id))
        return [Customer.from_row(r) for r in rows]

    def customer_ids_by_phone(self, phone: str) -> list[str]:
        """Return ids of customers owning a line or contact number equal to ``phone``."""
        wanted = phone_digits(phone)
        if not wanted:
            return []
        lines, customers = schema.lines, schema.customers
        rows = self._all(
            union_all(
                select(lines.c.customer_id, lines.c.phone_number.label("phone")),
                select(customers.c.customer_id, customers.c.contact_phone.label("phone")),
            )
        )
        return sorted({r["customer_id"] for r in rows if phone_digits(r["phone"]) == wanted})

    def plans(self) -> list[Plan]:
        """Return every plan, cheapest first."""
        plans = schema.plans
        rows = self._all(select(plans).order_by(plans.c.monthly_price_cents, plans.c.plan_id))
        return [Plan.from_row(r) for r in rows]

    def plan(self, plan_id: str) -> Plan | None:
        """Return a plan by id."""
        plans = schema.plans
        row = self._one(select(plans).where(plans.c.plan_id == plan_id))
        return Plan.from_row(row) if row else None

    def lines(self, customer_id: str) -> list[Line]:
        """Return a customer's lines with plan and device, by line id."""
        lines = schema.lines
        query = _line_query().where(lines.c.customer_id == customer_id).order_by(lines.c.line_id)
        return [_line_from_joined(r) for r in self._all(query)]

    def line(self, line_id: str) -> Line | None:
        """Return any line by id (callers check ownership)."""
        row = self._one(_line_query().where(schema.lines.c.line_id == line_id))
        return _line_from_joined(row) if row else None

    def line_by_phone(self, phone: str) -> Line | None:
        """Return any line whose number equals ``phone`` in any common format."""
        wanted = phone_digits(phone)
        lines = schema.lines
        rows = self._all(select(lines.c.line_id, lines.c.phone_number))
        for row in rows:
            if wanted and phone_digits(row["phone_number"]) == wanted:
                return self.line(row["line_id"])
        return None

    def bills(self, customer_id: str) -> list[Bill]:
        """Return a customer's bills, newest first, with their items."""
        bills = schema.bills
        with self.db.transaction() as tx:
            rows = tx.all(
                select(bills)
                .where(bills.c.customer_id == customer_id)
                .order_by(bills.c.period_start.desc())
            )
            return [self._bill_with_items(tx, r) for r in rows]

    def bill(self, bill_id: str) -> Bill | None:
        """Return any bill by id (callers check ownership)."""
        bills = schema.bills
        with self.db.transaction() as tx:
            row = tx.one(select(bills).where(bills.c.bill_id == bill_id))
            return self._bill_with_items(tx, row) if row else None

    @staticmethod
    def _bill_with_items(tx: Tx, row: Row) -> Bill:
        items = schema.bill_items
        found = tx.all(
            select(items).where(items.c.bill_id == row["bill_id"]).order_by(items.c.position)
        )
        return Bill.from_row(row, tuple(BillItem.from_row(i) for i in found))

    def overdue_bills(self, customer_id: str) -> list[Bill]:
        """Return a customer's overdue bills, oldest first."""
        return sorted(
            (b for b in self.bills(customer_id) if b.status == "overdue"),
            key=lambda b: b.due_date,
        )

    def payment_methods(self, customer_id: str) -> list[PaymentMethod]:
        """Return a customer's payment methods, default first."""
        methods = schema.payment_methods
        rows = self._all(
            select(methods)
            .where(methods.c.customer_id == customer_id)
            .order_by(methods.c.is_default.desc(), methods.c.payment_method_id)
        )
        return [PaymentMethod.from_row(r) for r in rows]

    def payment_method(self, payment_method_id: str) -> PaymentMethod | None:
        """Return any payment method by id (callers check ownership)."""
        methods = schema.payment_methods
        row = self._one(select(methods).where(methods.c.payment_method_id == payment_method_id))
        return PaymentMethod.from_row(row) if row else None

    def usage(self, line_id: str) -> list[UsageEvent]:
        """Return a line's usage and refuel history, oldest first."""
        events = schema.usage_events
        rows = self._all(
            select(events)
            .where(events.c.line_id == line_id)
            .order_by(events.c.event_date, events.c.event_id)
        )
        return [UsageEvent.from_row(r) for r in rows]

    def refuelled_gb(self, line_id: str, since: str) -> float:
        """Return the GB bought on a line since ``since`` (ISO date)."""
        events = schema.usage_events
        row = self._one(
            select(func.coalesce(func.sum(events.c.amount_gb), literal(0)).label("total")).where(
                events.c.line_id == line_id,
                events.c.kind == "refuel",
                events.c.event_date >= since,
            )
        )
        return float(row["total"]) if row else 0.0

    def rows(self, table: str, where: str = "", params: tuple[Any, ...] = ()) -> list[Row]:
        """Return raw rows of a journal table (tickets, payments, handoffs...) for inspection;
        ``where`` is SQL with ``?`` placeholders for ``params``."""
        if table not in schema.JOURNAL_TABLES:
            raise ValueError(f"rows() reads journal tables only, not {table!r}.")
        clause = f" WHERE {where}" if where else ""
        return self._all(f"SELECT * FROM {table}{clause}", params)

    # -- run-once writes and security events (kept here for the tools' one handle) ------------

    def tool_run(self, tool_call_id: str) -> ToolRun | None:
        """Return the recorded outcome of a tool call, if it already ran."""
        return self.journal.tool_run(tool_call_id)

    def run_write(
        self,
        tool_call_id: str,
        tool: str,
        customer_id: str | None,
        action: Callable[[StoreWriter], str],
    ) -> str:
        """Run ``action`` once per ``tool_call_id`` (see ``WriteJournal.run_write``)."""
        return self.journal.run_write(tool_call_id, tool, customer_id, action)

    def record_outcome(
        self, tool_call_id: str, tool: str, customer_id: str | None, result: str
    ) -> str:
        """Record a write that ended without executing (declined, aborted); first one wins."""
        return self.journal.record_outcome(tool_call_id, tool, customer_id, result)

    def save_confirmation(
        self,
        tool_call_id: str,
        tool: str,
        customer_id: str | None,
        summary: str,
        details: dict[str, Any],
    ) -> Confirmation:
        """Keep what the customer is asked to confirm; return the first version stored."""
        return self.journal.save_confirmation(tool_call_id, tool, customer_id, summary, details)

    def confirmation(self, tool_call_id: str) -> Confirmation | None:
        """Return what the customer was asked to confirm for a tool call, if anything."""
        return self.journal.confirmation(tool_call_id)

    def record_security_event(
        self, customer_id: str | None, tool: str, kind: str, reference_kind: str
    ) -> None:
        """Count a refused attempt (e.g. ``cross_account``) and log a warning without PII."""
        self.security.record(customer_id, tool, kind, reference_kind)

    def security_event_count(self, kind: str | None = None, customer_id: str | None = None) -> int:
        """Return how many refused attempts were recorded, optionally filtered."""
        return self.security.count(kind, customer_id)


def default_store_url() -> str:
    """Return ``$SWITCHBOARD_DATABASE_URL`` or the SQLite file in the data directory."""
    configured = os.environ.get(URL_ENV, "").strip()
    return configured or file_url(data_dir() / "telco.sqlite3")


_STORES: dict[str, TelcoStore] = {}
_STORES_LOCK = threading.Lock()


def open_store(url: str | None = None) -> TelcoStore:
    """Return the store for ``url`` (empty = default), creating and seeding it on first use.

    Stores are memoized per URL for the life of the process.
    """
    resolved = (url or "").strip() or default_store_url()
    parse_database_url(resolved, "store")  # fail fast on unsupported URLs
    with _STORES_LOCK:
        store = _STORES.get(resolved)
        if store is None:
            store = TelcoStore(resolved, open_database(resolved, "store"), load_seed())
            store.ensure_seeded()
            _STORES[resolved] = store
        return store


def close_stores() -> None:
    """Close and forget every memoized store (tests and shutdown)."""
    with _STORES_LOCK:
        for store in _STORES.values():
            store.close()
        _STORES.clear()


def close_store(url: str) -> None:
    """Close and forget the memoized store of one URL (no-op when it is not open)."""
    with _STORES_LOCK:
        store = _STORES.pop(url, None)
    if store is not None:
        store.close()
