"""Schema creation and migration: each component's tables, created once, versioned."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import DDL, Column, Integer, MetaData, Table, Text, event, select

from data_access.database import Database, Tx

SCHEMA_LOCK = "switchboard-schema"
"""Every schema change takes this lock: concurrent first starts race on the catalogue."""

_VERSIONS = Table(
    "sb_schema_versions",
    MetaData(),
    Column("component", Text, primary_key=True),
    Column("version", Integer, nullable=False),
)


@dataclass(frozen=True)
class Migration:
    """One change to a component's tables: ``apply`` runs once, inside the schema transaction."""

    version: int
    """The component's schema version after this migration (1, 2, ...)."""
    describe: str
    apply: Callable[[Tx], None]


def ensure_tables(
    db: Database, component: str, metadata: MetaData, migrations: Sequence[Migration] = ()
) -> int:
    """Create the missing tables of ``metadata`` and run the migrations the database has not
    seen; the component's schema version.

    A database without the component's tables gets them in their newest form (no migration
    runs); one that has them but no version row (made before versions were kept) runs every
    migration. Safe to call from several processes at once.
    """
    latest = max((m.version for m in migrations), default=0)
    with db.transaction() as tx:
        tx.lock(SCHEMA_LOCK)
        tx.ensure_namespace()
        existed = all(tx.has_table(name) for name in metadata.tables)
        _VERSIONS.create(tx.conn, checkfirst=True)
        metadata.create_all(tx.conn, checkfirst=True)
        stored = tx.scalar(select(_VERSIONS.c.version).where(_VERSIONS.c.component == component))
        current = int(stored) if stored is not None else (0 if existed else latest)
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version > current:
                migration.apply(tx)
        tx.execute(
            tx.upsert(_VERSIONS, ["component"], lambda new: {"version": new.version}).values(
                component=component, version=max(current, latest)
            )
        )
    return max(current, latest)


def append_only(table: Table, message: str) -> None:
    """Make the database itself refuse ``UPDATE`` and ``DELETE`` on ``table`` with ``message``
    (triggers, written per database, created with the table)."""
    name = table.name
    quoted = message.replace("'", "''")
    for action in ("update", "delete"):
        event.listen(
            table,
            "after_create",
            DDL(
                f"CREATE TRIGGER IF NOT EXISTS {name}_append_only_{action} BEFORE "
                f"{action.upper()} ON {name} BEGIN SELECT RAISE(ABORT, '{quoted}'); END"
            ).execute_if(dialect="sqlite"),
        )
    event.listen(
        table,
        "after_create",
        DDL(
            f"CREATE OR REPLACE FUNCTION {name}_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{quoted}'; END $$ LANGUAGE plpgsql; "
            f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}_append_only()"
        ).execute_if(dialect="postgresql"),
    )
