"""Typed repository over the telco account store (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from conversation.paths import data_dir
from tools.db import (
    Database,
    DuplicateKey,
    Row,
    StoreConfigError,
    Tx,
    connect,
    dialect_of,
    redact_url,
)
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
security_log = logging.getLogger("switchboard.security")

TODAY_ENV = "SWITCHBOARD_TODAY"
URL_ENV = "SWITCHBOARD_DATABASE_URL"
_LINE_SQL = (
    "SELECT l.*, p.name, p.monthly_price_cents, p.data_gb, p.roaming_zone, "
    "p.roaming_day_pass_cents, p.supports_5g AS plan_5g, p.description, d.model, "
    "d.esim_supported, d.supports_5g AS device_5g, d.sim_type, d.mms_settings_ok, d.apn_ok, "
    "d.network_mode FROM lines l JOIN plans p ON p.plan_id = l.plan_id "
    "JOIN devices d ON d.device_id = l.device_id"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def phone_digits(value: str) -> str:
    """Normalise a phone number to its digits, assuming country code 1 for 10 digits."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return "1" + digits if len(digits) == 10 else digits


def _create_missing_schema(tx: Tx) -> None:
    """Create the first schema of a PostgreSQL ``search_path`` when it does not exist yet."""
    current = tx.one("SELECT current_schema() AS name")
    if current is not None and current["name"] is not None:
        return
    path = tx.one("SHOW search_path")
    first = str(next(iter(path.values()))).split(",")[0].strip().strip('"') if path else ""
    if not first or first == "$user" or not first.replace("_", "").isalnum():
        raise StoreConfigError(
            f"PostgreSQL search_path {first!r} names no usable schema; create it first or drop "
            "the options=-csearch_path=... part of the store URL."
        )
    tx.execute(f'CREATE SCHEMA IF NOT EXISTS "{first}"')


def _line_from_joined(row: Row) -> Line:
    plan = Plan.from_row({**row, "supports_5g": row["plan_5g"]})
    device = Device.from_row({**row, "supports_5g": row["device_5g"]})
    return Line.from_row(row, plan, device)


class TelcoStore:
    """Accounts, plans, lines, bills and the write journal of one database."""

    def __init__(self, url: str, db: Database, seed: Seed) -> None:
        self.url = url
        self.db = db
        self._seed = seed

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgres``."""
        return self.db.dialect

    # -- lifecycle ---------------------------------------------------------------------------

    def ensure_seeded(self) -> None:
        """Create and seed the store unless it already holds this schema version."""
        with self.db.transaction() as tx:
            self._lock_for_init(tx)
            if store_meta_exists(tx, self.dialect):
                row = tx.one("SELECT value FROM store_meta WHERE key = 'schema_version'")
                if row is not None and row["value"] == SCHEMA_VERSION:
                    return
                log.warning("Telco store %s has an old schema; reseeding it.", redact_url(self.url))
            self._reseed(tx)

    def reset_to_seed(self) -> None:
        """Drop every table and reload the seed: the store returns to its initial state."""
        with self.db.transaction() as tx:
            self._lock_for_init(tx)
            self._reseed(tx)

    def _lock_for_init(self, tx: Tx) -> None:
        if self.dialect == "postgres":
            tx.one("SELECT pg_advisory_xact_lock(?) AS locked", (7_104_551,))
            _create_missing_schema(tx)

    def _reseed(self, tx: Tx) -> None:
        drop_tables(tx)
        create_tables(tx)
        insert_seed(tx, self._seed)
        meta = self._seed.data["metadata"]
        tx.executemany(
            "INSERT INTO store_meta VALUES (?, ?)",
            [
                ("schema_version", SCHEMA_VERSION),
                ("seed_sha256", self._seed.sha256),
                ("seeded_at", _now()),
                ("metadata", json.dumps(meta, sort_keys=True)),
            ],
        )

    def close(self) -> None:
        """Release database connections."""
        self.db.close()

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        with self.db.read() as tx:
            return tx.one(sql, params)

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        with self.db.read() as tx:
            return tx.all(sql, params)

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
        row = self._one("SELECT * FROM customers WHERE customer_id = ?", (customer_id,))
        return Customer.from_row(row) if row else None

    def customers(self) -> list[Customer]:
        """Return every customer, by id."""
        return [Customer.from_row(r) for r in self._all("SELECT * FROM customers ORDER BY 1")]

    def customer_ids_by_phone(self, phone: str) -> list[str]:
        """Return ids of customers owning a line or contact number equal to ``phone``."""
        wanted = phone_digits(phone)
        if not wanted:
            return []
        rows = self._all(
            "SELECT customer_id, phone_number AS phone FROM lines "
            "UNION ALL SELECT customer_id, contact_phone AS phone FROM customers"
        )
        return sorted({r["customer_id"] for r in rows if phone_digits(r["phone"]) == wanted})

    def plans(self) -> list[Plan]:
        """Return every plan, cheapest first."""
        rows = self._all("SELECT * FROM plans ORDER BY monthly_price_cents, plan_id")
        return [Plan.from_row(r) for r in rows]

    def plan(self, plan_id: str) -> Plan | None:
        """Return a plan by id."""
        row = self._one("SELECT * FROM plans WHERE plan_id = ?", (plan_id,))
        return Plan.from_row(row) if row else None

    def lines(self, customer_id: str) -> list[Line]:
        """Return a customer's lines with plan and device, by line id."""
        rows = self._all(f"{_LINE_SQL} WHERE l.customer_id = ? ORDER BY l.line_id", (customer_id,))
        return [_line_from_joined(r) for r in rows]

    def line(self, line_id: str) -> Line | None:
        """Return any line by id (callers check ownership)."""
        row = self._one(f"{_LINE_SQL} WHERE l.line_id = ?", (line_id,))
        return _line_from_joined(row) if row else None

    def line_by_phone(self, phone: str) -> Line | None:
        """Return any line whose number equals ``phone`` in any common format."""
        wanted = phone_digits(phone)
        rows = self._all("SELECT line_id, phone_number FROM lines")
        for row in rows:
            if wanted and phone_digits(row["phone_number"]) == wanted:
                return self.line(row["line_id"])
        return None

    def bills(self, customer_id: str) -> list[Bill]:
        """Return a customer's bills, newest first, with their items."""
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT * FROM bills WHERE customer_id = ? ORDER BY period_start DESC",
                (customer_id,),
            )
            return [self._bill_with_items(tx, r) for r in rows]

    def bill(self, bill_id: str) -> Bill | None:
        """Return any bill by id (callers check ownership)."""
        with self.db.transaction() as tx:
            row = tx.one("SELECT * FROM bills WHERE bill_id = ?", (bill_id,))
            return self._bill_with_items(tx, row) if row else None

    @staticmethod
    def _bill_with_items(tx: Tx, row: Row) -> Bill:
        items = tx.all(
            "SELECT * FROM bill_items WHERE bill_id = ? ORDER BY position", (row["bill_id"],)
        )
        return Bill.from_row(row, tuple(BillItem.from_row(i) for i in items))

    def overdue_bills(self, customer_id: str) -> list[Bill]:
        """Return a customer's overdue bills, oldest first."""
        return sorted(
            (b for b in self.bills(customer_id) if b.status == "overdue"),
            key=lambda b: b.due_date,
        )

    def payment_methods(self, customer_id: str) -> list[PaymentMethod]:
        """Return a customer's payment methods, default first."""
        rows = self._all(
            "SELECT * FROM payment_methods WHERE customer_id = ? "
            "ORDER BY is_default DESC, payment_method_id",
            (customer_id,),
        )
        return [PaymentMethod.from_row(r) for r in rows]

    def payment_method(self, payment_method_id: str) -> PaymentMethod | None:
        """Return any payment method by id (callers check ownership)."""
        row = self._one(
            "SELECT * FROM payment_methods WHERE payment_method_id = ?", (payment_method_id,)
        )
        return PaymentMethod.from_row(row) if row else None

    def usage(self, line_id: str) -> list[UsageEvent]:
        """Return a line's usage and refuel history, oldest first."""
        rows = self._all(
            "SELECT * FROM usage_events WHERE line_id = ? ORDER BY event_date, event_id",
            (line_id,),
        )
        return [UsageEvent.from_row(r) for r in rows]

    def refuelled_gb(self, line_id: str, since: str) -> float:
        """Return the GB bought on a line since ``since`` (ISO date)."""
        row = self._one(
            "SELECT COALESCE(SUM(amount_gb), 0) AS total FROM usage_events "
            "WHERE line_id = ? AND kind = 'refuel' AND event_date >= ?",
            (line_id, since),
        )
        return float(row["total"]) if row else 0.0

    def rows(self, table: str, where: str = "", params: tuple[Any, ...] = ()) -> list[Row]:
        """Return raw rows of a journal table (tickets, payments, handoffs...) for inspection."""
        if table not in {
            "payments",
            "payment_requests",
            "plan_changes",
            "tickets",
            "handoffs",
            "tool_runs",
            "confirmations",
            "security_events",
        }:
            raise ValueError(f"rows() reads journal tables only, not {table!r}.")
        clause = f" WHERE {where}" if where else ""
        return self._all(f"SELECT * FROM {table}{clause}", params)

    # -- run-once writes -----------------------------------------------------------------------

    def tool_run(self, tool_call_id: str) -> ToolRun | None:
        """Return the recorded outcome of a tool call, if it already ran."""
        row = self._one("SELECT * FROM tool_runs WHERE tool_call_id = ?", (tool_call_id,))
        return ToolRun(**row) if row else None

    def run_write(
        self,
        tool_call_id: str,
        tool: str,
        customer_id: str | None,
        action: Callable[[StoreWriter], str],
    ) -> str:
        """Run ``action`` and record its result under ``tool_call_id`` in one transaction.

        A call id that already ran (or is running in parallel) returns the stored result
        without running again. A ``WriteConflict`` raised by ``action`` rolls everything back
        and propagates.
        """
        try:
            with self.db.transaction() as tx:
                if self.dialect == "postgres":  # same call id in parallel: the second one waits
                    tx.one("SELECT pg_advisory_xact_lock(hashtext(?)) AS locked", (tool_call_id,))
                done = tx.one(
                    "SELECT result FROM tool_runs WHERE tool_call_id = ?", (tool_call_id,)
                )
                if done is not None:
                    return str(done["result"])
                result = action(StoreWriter(tx, tool_call_id, self.today()))
                self._insert_run(tx, tool_call_id, tool, customer_id, result)
                return result
        except (DuplicateKey, WriteConflict):
            stored = self.tool_run(tool_call_id)  # a parallel run of the same call finished first
            if stored is None:
                raise
            return stored.result

    def record_outcome(
        self, tool_call_id: str, tool: str, customer_id: str | None, result: str
    ) -> str:
        """Record a write that ended without executing (declined, aborted); first one wins."""
        return self.run_write(tool_call_id, tool, customer_id, lambda _w: result)

    @staticmethod
    def _insert_run(
        tx: Tx, tool_call_id: str, tool: str, customer_id: str | None, result: str
    ) -> None:
        tx.execute(
            "INSERT INTO tool_runs VALUES (?, ?, ?, ?, ?)",
            (tool_call_id, tool, customer_id, result, _now()),
        )

    def save_confirmation(
        self,
        tool_call_id: str,
        tool: str,
        customer_id: str | None,
        summary: str,
        details: dict[str, Any],
    ) -> Confirmation:
        """Keep what the customer is asked to confirm; return the first version stored."""
        encoded = json.dumps(details, sort_keys=True)
        try:
            with self.db.transaction() as tx:
                tx.execute(
                    "INSERT INTO confirmations VALUES (?, ?, ?, ?, ?, ?)",
                    (tool_call_id, tool, customer_id, summary, encoded, _now()),
                )
        except DuplicateKey:
            pass
        stored = self.confirmation(tool_call_id)
        if stored is None:  # pragma: no cover - the insert above guarantees a row
            raise RuntimeError(f"confirmation for tool call {tool_call_id} was not stored")
        return stored

    def confirmation(self, tool_call_id: str) -> Confirmation | None:
        """Return what the customer was asked to confirm for a tool call, if anything."""
        row = self._one("SELECT * FROM confirmations WHERE tool_call_id = ?", (tool_call_id,))
        if row is None:
            return None
        return Confirmation(
            tool_call_id=row["tool_call_id"],
            tool=row["tool"],
            summary=row["summary"],
            details=json.loads(row["details"]),
        )

    # -- security --------------------------------------------------------------------------------

    def record_security_event(
        self, customer_id: str | None, tool: str, kind: str, reference_kind: str
    ) -> None:
        """Count a refused attempt (e.g. ``cross_account``) and log a warning without PII."""
        security_log.warning(
            "Refused %s attempt in tool %s for customer %s (reference: %s)",
            kind,
            tool,
            customer_id or "unverified",
            reference_kind,
        )
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO security_events VALUES (?, ?, ?, ?, ?, ?)",
                (uuid.uuid4().hex, customer_id, tool, kind, reference_kind, _now()),
            )

    def security_event_count(self, kind: str | None = None, customer_id: str | None = None) -> int:
        """Return how many refused attempts were recorded, optionally filtered."""
        sql = "SELECT COUNT(*) AS n FROM security_events WHERE 1 = 1"
        params: list[Any] = []
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        if customer_id is not None:
            sql += " AND customer_id = ?"
            params.append(customer_id)
        row = self._one(sql, tuple(params))
        return int(row["n"]) if row else 0


def default_store_url() -> str:
    """Return ``$SWITCHBOARD_DATABASE_URL`` or the SQLite file in the data directory."""
    configured = os.environ.get(URL_ENV, "").strip()
    return configured or f"sqlite:///{data_dir() / 'telco.sqlite3'}"


_STORES: dict[str, TelcoStore] = {}
_STORES_LOCK = threading.Lock()


def open_store(url: str | None = None) -> TelcoStore:
    """Return the store for ``url`` (empty = default), creating and seeding it on first use.

    Stores are memoized per URL for the life of the process.
    """
    resolved = (url or "").strip() or default_store_url()
    dialect_of(resolved)  # fail fast on unsupported URLs
    with _STORES_LOCK:
        store = _STORES.get(resolved)
        if store is None:
            store = TelcoStore(resolved, connect(resolved), load_seed())
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
