"""Load the telco seed files in ``data/telco`` into the store tables."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from conversation.paths import repo_root
from data_access import Tx
from tools import db_schema as schema

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
    data = seed.data
    tx.executemany(
        insert(schema.plans), [{**p, "supports_5g": _flag(p["supports_5g"])} for p in data["plans"]]
    )
    tx.executemany(
        insert(schema.customers),
        [{c.name: row[c.name] for c in schema.customers.columns} for row in data["customers"]],
    )
    tx.executemany(insert(schema.devices), [_device(line["device"]) for line in data["lines"]])
    tx.executemany(insert(schema.lines), [_line(line) for line in data["lines"]])
    tx.executemany(
        insert(schema.bills),
        [{c.name: bill[c.name] for c in schema.bills.columns} for bill in data["bills"]],
    )
    tx.executemany(
        insert(schema.bill_items),
        [
            {
                "bill_id": bill["bill_id"],
                "position": position,
                **{k: item[k] for k in ("kind", "line_id", "description", "amount_cents")},
            }
            for bill in data["bills"]
            for position, item in enumerate(bill["items"], start=1)
        ],
    )
    tx.executemany(
        insert(schema.payment_methods),
        [
            {**m, "is_default": _flag(m["is_default"]), "autopay": _flag(m["autopay"])}
            for m in data["payment_methods"]
        ],
    )
    tx.executemany(
        insert(schema.usage_events),
        [
            {
                "event_id": f"U{n:05d}",
                "line_id": e["line_id"],
                "event_date": e["date"],
                "kind": e["kind"],
                "amount_gb": e["amount_gb"],
                "cost_cents": e["cost_cents"],
            }
            for n, e in enumerate(data["usage"], start=1)
        ],
    )


def _device(device: dict[str, Any]) -> dict[str, Any]:
    flags = ("esim_supported", "supports_5g", "mms_settings_ok", "apn_ok")
    return {**device, **{name: _flag(device[name]) for name in flags}}


def _line(line: dict[str, Any]) -> dict[str, Any]:
    columns = [c.name for c in schema.lines.columns if c.name != "device_id"]
    row = {name: line[name] for name in columns}
    row["roaming_enabled"] = _flag(line["roaming_enabled"])
    row["device_id"] = line["device"]["device_id"]
    return row
