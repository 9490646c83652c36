"""Bulk writes of a run's batch with ON CONFLICT DO NOTHING semantics (the unique keys do the work).

PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT per table. The
temporary tables live as long as the connection and are emptied at each commit (creating and
dropping them per batch cost about as much as the insert itself for the few thousand rows of a night).
SQLite: the same statements row by row (the embedded default runs small portfolios).
Callers wrap a batch in ``transaction.atomic()``: actions, their items and the states commit together.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import polars as pl
from django.db import connection

ACTION_COLUMNS = (
    "run_id", "as_of", "customer_id", "strategy_version_id", "step_id", "level", "channel", "template_key", "arm",
    "kind", "amounts", "items", "gate", "blocked_rule", "compliance_decision_id", "status",
)
_ACTION_TYPES = {
    "run_id": "bigint", "as_of": "date", "customer_id": "bigint", "strategy_version_id": "bigint", "step_id": "bigint",
    "level": "smallint", "channel": "text", "template_key": "text", "arm": "smallint", "kind": "text",
    "amounts": "jsonb", "items": "jsonb", "gate": "text", "blocked_rule": "text", "compliance_decision_id": "bigint",
    "status": "text",
}
_NOT_NULL_TEXT = ("template_key", "blocked_rule")


def _pg_copy(cur: Any, table: str, columns: dict[str, str], frame: pl.DataFrame) -> None:
    # TRUNCATE: inside an outer transaction ON COMMIT has not come yet, and an earlier batch may be there
    cur.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {table} ({', '.join(f'{c} {t}' for c, t in columns.items())}) "
        f"ON COMMIT DELETE ROWS; TRUNCATE {table}"
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="", quote_style="non_numeric")
    with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


def actions_insert(rows: dict[str, Sequence[Any]], created_at: dt.datetime) -> list[tuple[int, int, str]]:
    """Insert actions; those whose (customer, as_of, kind) exists are skipped. Returns
    (id, customer_id, kind) of the rows actually inserted."""
    if not rows["customer_id"]:
        return []
    columns = ", ".join(ACTION_COLUMNS)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            frame = pl.DataFrame({c: list(rows[c]) for c in ACTION_COLUMNS}, schema=_polars_schema())
            _pg_copy(cur, "tmp_dunning_action", _ACTION_TYPES, frame)
            select = ", ".join(f"COALESCE({c}, '')" if c in _NOT_NULL_TEXT else c for c in ACTION_COLUMNS)
            cur.execute(
                f"INSERT INTO dunning_dunningaction ({columns}, created_at) SELECT {select}, %s FROM tmp_dunning_action "
                "ON CONFLICT (customer_id, as_of, kind) DO NOTHING RETURNING id, customer_id, kind",
                [created_at],
            )
            return [(int(a), int(b), str(c)) for a, b, c in cur.fetchall()]
        out = []
        placeholders = ", ".join(["%s"] * (len(ACTION_COLUMNS) + 1))
        n = len(rows["customer_id"])
        for i in range(n):
            values = [rows[c][i] if rows[c][i] is not None or c not in _NOT_NULL_TEXT else "" for c in ACTION_COLUMNS]
            cur.execute(
                f"INSERT INTO dunning_dunningaction ({columns}, created_at) VALUES ({placeholders}) "
                "ON CONFLICT (customer_id, as_of, kind) DO NOTHING RETURNING id, customer_id, kind",
                [*values, created_at],
            )
            row = cur.fetchone()
            if row is not None:
                out.append((int(row[0]), int(row[1]), str(row[2])))
        return out


def _polars_schema() -> dict[str, Any]:
    types = {"bigint": pl.Int64, "smallint": pl.Int16, "date": pl.Date, "text": pl.Utf8, "jsonb": pl.Utf8}
    return {c: types[t] for c, t in _ACTION_TYPES.items()}


def items_insert(action_id: Sequence[int], document_id: Sequence[int], level: Sequence[int], step_id: Sequence[int]) -> None:
    if not action_id:
        return
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            frame = pl.DataFrame(
                {"action_id": action_id, "document_id": document_id, "level": level, "step_id": step_id},
                schema={"action_id": pl.Int64, "document_id": pl.Int64, "level": pl.Int16, "step_id": pl.Int64},
            )
            _pg_copy(cur, "tmp_dunning_item", {"action_id": "bigint", "document_id": "bigint", "level": "smallint",
                                               "step_id": "bigint"}, frame)
            cur.execute(
                "INSERT INTO dunning_dunningactionitem (action_id, document_id, level, step_id) "
                "SELECT action_id, document_id, level, step_id FROM tmp_dunning_item "
                "ON CONFLICT (document_id, level) DO NOTHING"
            )
            return
        cur.executemany(
            "INSERT INTO dunning_dunningactionitem (action_id, document_id, level, step_id) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (document_id, level) DO NOTHING",
            list(zip(action_id, document_id, level, step_id, strict=True)),
        )


def document_states_upsert(document_id: Sequence[int], level: Sequence[int], last_sent: dt.date) -> None:
    if not document_id:
        return
    with connection.cursor() as cur:
        conflict = "ON CONFLICT (document_id) DO UPDATE SET level = EXCLUDED.level, last_sent = EXCLUDED.last_sent"
        if connection.vendor == "postgresql":
            frame = pl.DataFrame({"document_id": document_id, "level": level},
                                 schema={"document_id": pl.Int64, "level": pl.Int16})
            _pg_copy(cur, "tmp_dunning_state", {"document_id": "bigint", "level": "smallint"}, frame)
            cur.execute(
                "INSERT INTO dunning_documentdunningstate (document_id, level, last_sent) "
                f"SELECT document_id, level, %s FROM tmp_dunning_state {conflict}",
                [last_sent],
            )
            return
        cur.executemany(
            f"INSERT INTO dunning_documentdunningstate (document_id, level, last_sent) VALUES (%s, %s, %s) {conflict}",
            [(d, lv, last_sent) for d, lv in zip(document_id, level, strict=True)],
        )


def customer_states_upsert(
    customer_id: Sequence[int], version_id: Sequence[int], arm: Sequence[int], thanked: Sequence[bool], as_of: dt.date
) -> None:
    """Record each customer's strategy version and arm; ``thanked`` rows also get last_thank_you = as_of."""
    if not customer_id:
        return
    table = "dunning_customerdunningstate"
    conflict = (
        "ON CONFLICT (customer_id) DO UPDATE SET strategy_version_id = EXCLUDED.strategy_version_id, "
        f"arm = EXCLUDED.arm, last_run_as_of = EXCLUDED.last_run_as_of, "
        f"last_thank_you = COALESCE(EXCLUDED.last_thank_you, {table}.last_thank_you)"
    )
    thank = [as_of if t else None for t in thanked]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            frame = pl.DataFrame(
                {"customer_id": customer_id, "strategy_version_id": version_id, "arm": arm, "last_thank_you": thank},
                schema={"customer_id": pl.Int64, "strategy_version_id": pl.Int64, "arm": pl.Int16, "last_thank_you": pl.Date},
            )
            _pg_copy(cur, "tmp_dunning_customer", {"customer_id": "bigint", "strategy_version_id": "bigint",
                                                   "arm": "smallint", "last_thank_you": "date"}, frame)
            cur.execute(
                f"INSERT INTO {table} (customer_id, strategy_version_id, arm, last_thank_you, last_run_as_of) "
                f"SELECT customer_id, strategy_version_id, arm, last_thank_you, %s FROM tmp_dunning_customer {conflict}",
                [as_of],
            )
            return
        cur.executemany(
            f"INSERT INTO {table} (customer_id, strategy_version_id, arm, last_thank_you, last_run_as_of) "
            f"VALUES (%s, %s, %s, %s, %s) {conflict}",
            [(c, v, a, t, as_of) for c, v, a, t in zip(customer_id, version_id, arm, thank, strict=True)],
        )
