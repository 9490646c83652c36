"""Bulk-load mode for large imports: set-based constraint checks and index builds instead of row by row.

Inserting a million rows costs little in itself; what costs is the work each row triggers:

* PostgreSQL checks every foreign key of every new row with one trigger call per row (Django makes
  them DEFERRABLE INITIALLY DEFERRED, so a million queued checks run at COMMIT), and
* both databases insert every row into every secondary index, one random B-tree descent each.

For a table that receives at least `BULK_MIN_ROWS` new rows, bulk mode, inside the import's own
transaction (so a rejected or failed import still rolls back everything, DDL included):

* PostgreSQL: drops the table's foreign keys that point into the ledger (names and definitions read
  from `pg_constraint`, never hard-coded), loads, re-adds them `NOT VALID` and `VALIDATE`s them: one
  anti-join per key instead of a trigger per row. The loaded tables are then `ANALYZE`d.
* both: when the table holds no more rows than the load adds, drops its secondary (non-unique, not
  constraint-backed) indexes and rebuilds them after the load; a sort-based build is several times
  cheaper than maintaining them row by row. PostgreSQL does the same with the table's unique
  constraints (external ids), which are re-added, and so checked again, before the commit. On a
  table much larger than the load, rebuilding would cost more than it saves, so the indexes stay.

The price on PostgreSQL: dropping a foreign key takes an ACCESS EXCLUSIVE lock on both its table and
the table it references, so until the import commits other sessions wait even to *read* the
business units, customers, documents, payments and allocations. That is why only large imports use
it (an import of a million rows holds the locks for the seconds it takes to write them), why the
locks are requested with a `lock_timeout`, and why bulk mode quietly falls back to the ordinary
row-by-row path when it cannot get them (or when rows inserted earlier in the same transaction still
have checks pending, which forbids ALTER TABLE).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.db.models import Model

BULK_MIN_ROWS = 20_000  # new rows in one table that switch it to bulk mode
LOCK_TIMEOUT = "10s"  # how long bulk mode waits for its locks before falling back
PG_MAINTENANCE_WORK_MEM = "256MB"  # for the index rebuilds, this transaction only


@dataclass
class Constraint:
    table: str
    name: str
    definition: str  # pg_get_constraintdef(): "FOREIGN KEY (x) REFERENCES t(id) DEFERRABLE INITIALLY DEFERRED"


@dataclass
class Index:
    table: str
    name: str
    create_sql: str


@dataclass
class BulkLoad:
    """What bulk mode took apart and must put back; empty when nothing qualified."""

    tables: list[str] = field(default_factory=list)
    foreign_keys: list[Constraint] = field(default_factory=list)
    uniques: list[Constraint] = field(default_factory=list)  # PostgreSQL unique constraints, rebuilt like indexes
    indexes: list[Index] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.tables)

    def locked(self, model: type[Model]) -> bool:
        """True when this transaction holds the table exclusively (PostgreSQL bulk mode)."""
        return connection.vendor == "postgresql" and model._meta.db_table in self.tables


def _ledger_tables() -> set[str]:
    return {m._meta.db_table for m in apps.get_app_config("ledger").get_models()}


def _row_count_at_most(table: str, limit: int) -> int:
    """min(rows in table, limit + 1): reads at most limit + 1 rows, however big the table is."""
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM (SELECT 1 FROM {qn(table)} LIMIT %s) AS t", [limit + 1])
        return cur.fetchone()[0]


def bulk_load_begin(new_rows: dict[type[Model], int]) -> BulkLoad:
    """Switch the tables that receive many rows to bulk mode. Call inside the import's transaction,
    before any of those rows are written; `new_rows` counts what will be inserted into each table."""
    wanted = [m._meta.db_table for m, n in new_rows.items() if n >= BULK_MIN_ROWS]
    if not wanted or connection.vendor not in {"postgresql", "sqlite"}:
        return BulkLoad()
    rebuild = {m._meta.db_table for m, n in new_rows.items() if n >= BULK_MIN_ROWS and _row_count_at_most(
        m._meta.db_table, n) <= n}
    if connection.vendor == "sqlite":
        return _sqlite_begin(wanted, rebuild)
    try:
        with transaction.atomic():  # a savepoint: on failure, back to the row-by-row path
            return _pg_begin(wanted, rebuild)
    except DatabaseError:
        return BulkLoad()


def bulk_load_end(load: BulkLoad) -> None:
    """Rebuild what `bulk_load_begin` dropped and check every foreign key again, set-based.

    Raises IntegrityError (a DatabaseError) when a loaded row points at nothing."""
    if not load.active:
        return
    if connection.vendor == "sqlite":
        _sqlite_end(load)
    else:
        _pg_end(load)


# --- PostgreSQL --------------------------------------------------------------------------------------


def _pg_begin(tables: list[str], rebuild: set[str]) -> BulkLoad:
    ledger = _ledger_tables()
    qn = connection.ops.quote_name
    load = BulkLoad(tables=tables)
    connection.check_constraints()  # checks already queued in this transaction would forbid ALTER TABLE
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('lock_timeout')")
        previous_timeout = cur.fetchone()[0]
        cur.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
        # One statement locks them all, in a fixed order, so two large imports cannot deadlock.
        cur.execute(f"LOCK TABLE {', '.join(qn(t) for t in sorted(tables))} IN ACCESS EXCLUSIVE MODE")
        for table in tables:
            cur.execute(
                """SELECT c.conname, pg_get_constraintdef(c.oid), r.relname
                   FROM pg_constraint c JOIN pg_class r ON r.oid = c.confrelid
                   WHERE c.contype = 'f' AND c.conrelid = %s::regclass ORDER BY c.conname""",
                [qn(table)],
            )
            for name, definition, target in cur.fetchall():
                if target in ledger:  # not e.g. the customer's collector: that would lock the users
                    load.foreign_keys.append(Constraint(table, name, definition))
            if table in rebuild:
                cur.execute(
                    """SELECT ic.relname, pg_get_indexdef(i.indexrelid)
                       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                       WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT i.indisunique
                         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                       ORDER BY ic.relname""",
                    [qn(table)],
                )
                load.indexes.extend(Index(table, name, sql) for name, sql in cur.fetchall())
                # Unique constraints too (external ids): the import has matched every key already, so a
                # duplicate cannot appear, and if one did, re-adding the constraint fails the import.
                cur.execute(
                    """SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
                       WHERE c.contype = 'u' AND c.conrelid = %s::regclass
                         AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)
                       ORDER BY c.conname""",
                    [qn(table)],
                )
                load.uniques.extend(Constraint(table, name, definition) for name, definition in cur.fetchall())
        for fk in load.foreign_keys:
            cur.execute(f"ALTER TABLE {qn(fk.table)} DROP CONSTRAINT {qn(fk.name)}")
        for unique in load.uniques:
            cur.execute(f"ALTER TABLE {qn(unique.table)} DROP CONSTRAINT {qn(unique.name)}")
        for index in load.indexes:
            cur.execute(f"DROP INDEX {qn(index.name)}")
        cur.execute("SELECT set_config('lock_timeout', %s, true)", [previous_timeout])
    return load


def _pg_end(load: BulkLoad) -> None:
    qn = connection.ops.quote_name
    # Checks still queued (keys we kept, such as a customer's collector, or deletes) forbid ALTER TABLE
    # and CREATE INDEX: run them now (Django's own SET CONSTRAINTS ALL IMMEDIATE / DEFERRED).
    connection.check_constraints()
    with connection.cursor() as cur:
        if load.indexes or load.uniques:
            cur.execute("SELECT set_config('maintenance_work_mem', %s, true)", [PG_MAINTENANCE_WORK_MEM])
        for unique in load.uniques:
            cur.execute(f"ALTER TABLE {qn(unique.table)} ADD CONSTRAINT {qn(unique.name)} {unique.definition}")
        for index in load.indexes:
            cur.execute(index.create_sql)
        for table in load.tables:
            cur.execute(f"ANALYZE {qn(table)}")
        for fk in load.foreign_keys:
            cur.execute(f"ALTER TABLE {qn(fk.table)} ADD CONSTRAINT {qn(fk.name)} {fk.definition} NOT VALID")
        for fk in load.foreign_keys:
            cur.execute(f"ALTER TABLE {qn(fk.table)} VALIDATE CONSTRAINT {qn(fk.name)}")


# --- SQLite ------------------------------------------------------------------------------------------


def _sqlite_begin(tables: list[str], rebuild: set[str]) -> BulkLoad:
    load = BulkLoad(tables=tables)
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        for table in tables:
            if table not in rebuild:
                continue
            cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
                "ORDER BY name",
                [table],
            )
            for name, sql in cur.fetchall():
                if not sql.lstrip().upper().startswith("CREATE UNIQUE"):
                    load.indexes.append(Index(table, name, sql))
        for index in load.indexes:
            cur.execute(f"DROP INDEX {qn(index.name)}")
    return load


def _sqlite_end(load: BulkLoad) -> None:
    # (PRAGMA temp_store cannot change inside a transaction; the sorts use SQLite's own temp storage.)
    with connection.cursor() as cur:
        for index in load.indexes:
            cur.execute(index.create_sql)
