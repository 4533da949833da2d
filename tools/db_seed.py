"""Load the telco seed files in ``data/telco`` into the store tables."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conversation.paths import repo_root
from tools.db import Tx

SEED_FILES = (
    "metadata.json",
    "plans.json",
    "customers.json",
    "lines.json",
    "bills.json",
    "payment_methods.json",
    "usage.json",
)


@dataclass(frozen=True)
class Seed:
    """The parsed seed files, keyed by file stem, plus a hash of their bytes."""

    data: dict[str, Any]
    sha256: str


def seed_dir() -> Path:
    """Return the directory holding the telco seed files."""
    return repo_root() / "data" / "telco"


def load_seed(directory: Path | None = None) -> Seed:
    """Read and parse every seed file; a missing file is named in the error."""
    folder = directory or seed_dir()
    digest = hashlib.sha256()
    data: dict[str, Any] = {}
    for name in SEED_FILES:
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(
                f"Telco seed file {path} is missing; restore data/telco from the repository."
            )
        raw = path.read_bytes()
        digest.update(name.encode() + b"\0" + raw)
        data[path.stem] = json.loads(raw)
    return Seed(data=data, sha256=digest.hexdigest())


def _flag(value: object) -> int:
    return 1 if value else 0


def insert_seed(tx: Tx, seed: Seed) -> None:
    """Insert every seed row (tables must exist and be empty)."""
    _insert_plans(tx, seed.data["plans"])
    _insert_customers(tx, seed.data["customers"])
    _insert_lines(tx, seed.data["lines"])
    _insert_bills(tx, seed.data["bills"])
    _insert_payment_methods(tx, seed.data["payment_methods"])
    _insert_usage(tx, seed.data["usage"])


def _insert_plans(tx: Tx, plans: list[dict[str, Any]]) -> None:
    tx.executemany(
        "INSERT INTO plans VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                p["plan_id"],
                p["name"],
                p["monthly_price_cents"],
                p["data_gb"],
                p["roaming_zone"],
                p["roaming_day_pass_cents"],
                _flag(p["supports_5g"]),
                p["description"],
            )
            for p in plans
        ],
    )


def _insert_customers(tx: Tx, customers: list[dict[str, Any]]) -> None:
    tx.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                c["customer_id"],
                c["full_name"],
                c["date_of_birth"],
                c["email"],
                c["contact_phone"],
                c["customer_since"],
            )
            for c in customers
        ],
    )


def _insert_lines(tx: Tx, lines: list[dict[str, Any]]) -> None:
    tx.executemany(
        "INSERT INTO devices VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                d["device_id"],
                d["model"],
                _flag(d["esim_supported"]),
                _flag(d["supports_5g"]),
                d["sim_type"],
                _flag(d["mms_settings_ok"]),
                _flag(d["apn_ok"]),
                d["network_mode"],
            )
            for d in (line["device"] for line in lines)
        ],
    )
    tx.executemany(
        "INSERT INTO lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                x["line_id"],
                x["customer_id"],
                x["phone_number"],
                x["plan_id"],
                x["status"],
                x["suspension_reason"],
                _flag(x["roaming_enabled"]),
                x["data_used_gb"],
                x["data_limit_gb"],
                x["cycle_start"],
                x["contract_end_date"],
                x["activation_date"],
                x["device"]["device_id"],
            )
            for x in lines
        ],
    )


def _insert_bills(tx: Tx, bills: list[dict[str, Any]]) -> None:
    tx.executemany(
        "INSERT INTO bills VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                b["bill_id"],
                b["customer_id"],
                b["period_start"],
                b["period_end"],
                b["issue_date"],
                b["due_date"],
                b["status"],
                b["total_cents"],
                b["paid_date"],
            )
            for b in bills
        ],
    )
    tx.executemany(
        "INSERT INTO bill_items VALUES (?, ?, ?, ?, ?, ?)",
        [
            (b["bill_id"], pos, i["kind"], i["line_id"], i["description"], i["amount_cents"])
            for b in bills
            for pos, i in enumerate(b["items"], start=1)
        ],
    )


def _insert_payment_methods(tx: Tx, methods: list[dict[str, Any]]) -> None:
    tx.executemany(
        "INSERT INTO payment_methods VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                m["payment_method_id"],
                m["customer_id"],
                m["kind"],
                m["brand"],
                m["last4"],
                m["expiry"],
                m["bank_name"],
                _flag(m["is_default"]),
                _flag(m["autopay"]),
            )
            for m in methods
        ],
    )


def _insert_usage(tx: Tx, events: list[dict[str, Any]]) -> None:
    tx.executemany(
        "INSERT INTO usage_events VALUES (?, ?, ?, ?, ?, ?)",
        [
            (f"U{n:05d}", e["line_id"], e["date"], e["kind"], e["amount_gb"], e["cost_cents"])
            for n, e in enumerate(events, start=1)
        ],
    )
