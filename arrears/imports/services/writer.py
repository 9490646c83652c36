"""Bulk writes into the ledger tables, inside the caller's transaction.

New rows go in with PostgreSQL COPY (CSV written by polars) or, on SQLite, one `executemany` of a
plain INSERT; both are several times faster than `bulk_create`. Ids are reserved first (sequence on
PostgreSQL, max id under SQLite's write lock) so documents, payments and allocations can refer to
each other without reading anything back. Open amounts, statuses and unapplied amounts of new rows are
computed here from the allocations written in the same transaction; rows that already existed are
recomputed from the database afterwards.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import polars as pl
from django.db import connection
from django.db.models import JSONField, Max, Model, Q, Sum
from django.utils import timezone

from arrears.audit.services import audit_record, audit_record_change
from arrears.common.json import jsonable
from arrears.imports.services.bulk import bulk_load_begin, bulk_load_end
from arrears.imports.services.parse import CUSTOMER_ATTRS, DOCUMENT_ATTRS, MILLI
from arrears.imports.services.plan import CHUNK, Plan
from arrears.ledger.models import (
    ZERO,
    Allocation,
    AllocationSource,
    BusinessUnit,
    Customer,
    Document,
    DocumentKind,
    DocumentStatus,
    Payment,
)
from arrears.ledger.services import derive_status

COPY_CHUNK = 200_000
SQLITE_CHUNK = 50_000  # rows turned into Python tuples at a time (bounds the memory)
SQLITE_CACHE_KIB = -262_144  # negative: KiB, i.e. 256 MiB
Progress = Callable[[str, int, int], None]


def _noop(stage: str, done: int, total: int) -> None:
    return None


def reserve_ids(model: type[Model], n: int, *, exclusive: bool = False) -> pl.Series:
    """`n` fresh primary keys for `model`, reserved before the rows are written.

    `exclusive`: this transaction holds the table in ACCESS EXCLUSIVE mode (PostgreSQL bulk mode), so
    no other session can be drawing from its sequence: one `setval` moves it past the whole block
    instead of `n` calls of `nextval`.
    """
    if n == 0:
        return pl.Series("id", [], dtype=pl.Int64)
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            if exclusive:
                cur.execute(
                    "SELECT setval(s, nextval(s) + %s - 1) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS s) q",
                    [n, table],
                )
                last = cur.fetchone()[0]
                return pl.Series("id", range(last - n + 1, last + 1), dtype=pl.Int64)
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            return pl.Series("id", [r[0] for r in cur.fetchall()], dtype=pl.Int64)
        cur.execute(f"SELECT max(id) FROM {connection.ops.quote_name(table)}")
        top = cur.fetchone()[0] or 0
        if connection.vendor == "sqlite":
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cur.fetchone()
            top = max(top, row[0] if row else 0)
    return pl.Series("id", range(top + 1, top + 1 + n), dtype=pl.Int64)


def money_text(col: str) -> pl.Expr:
    """Integer thousandths as decimal text with three places ("55.940")."""
    return pl.concat_str([
        (pl.col(col) // MILLI).cast(pl.String), pl.lit("."), (pl.col(col) % MILLI).cast(pl.String).str.zfill(3)
    ])


def _constant(field: Any, now_text: str) -> Any:
    if field.name in {"created_at", "updated_at"}:
        return now_text
    if field.has_default():
        value = field.get_default()
        return json.dumps(value) if isinstance(field, JSONField) else value
    if field.null:
        return None
    if field.blank:
        return ""
    raise ValueError(f"{field.model.__name__}.{field.name} needs a value")


def insert_frame(model: type[Model], frame: pl.DataFrame, *, progress: Progress = _noop, stage: str = "") -> None:
    """Insert every row of `frame` (columns named after db columns); other columns get their defaults."""
    if frame.height == 0:
        return
    now = timezone.now()
    now_text = now.isoformat() if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)
    consts = {}
    for f in model._meta.concrete_fields:
        if f.column not in frame.columns:
            consts[f.column] = _constant(f, now_text)
    frame = frame.with_columns(pl.lit(v).alias(k) for k, v in consts.items())
    frame = frame.with_columns(pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date)
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t == pl.Null)
    progress(stage, 0, frame.height)
    cols = frame.columns
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    col_sql = ", ".join(qn(c) for c in cols)
    total = frame.height
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            sql = f"COPY {table} ({col_sql}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
            # psycopg's own cursor: its errors become Django's (DatabaseError) only through this wrapper.
            with connection.wrap_database_errors, cur.cursor.copy(sql) as copy:
                for start in range(0, total, COPY_CHUNK):
                    buf = io.BytesIO()
                    frame.slice(start, COPY_CHUNK).write_csv(buf, include_header=False, null_value="\\N",
                                                             quote_style="non_numeric")
                    copy.write(buf.getbuffer())
                    progress(stage, min(start + COPY_CHUNK, total), total)
        else:
            # A large page cache keeps the indexes' B-trees in memory while a million rows go in.
            cur.execute("PRAGMA cache_size")
            cache_size = cur.fetchone()[0]
            cur.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
            # The raw sqlite3 connection: Django's executemany peeks at the rows through itertools.tee,
            # which keeps every row of the chunk alive until the end (memory, and freeing them costs).
            sql = f"INSERT INTO {table} ({col_sql}) VALUES ({', '.join(['?'] * len(cols))})"
            try:
                for start in range(0, total, SQLITE_CHUNK):
                    # Column lists zipped into tuples: much cheaper than building rows one by one.
                    part = frame.slice(start, SQLITE_CHUNK)
                    with connection.wrap_database_errors:
                        connection.connection.executemany(
                            sql, zip(*(part.get_column(c).to_list() for c in cols), strict=True))
                    progress(stage, min(start + SQLITE_CHUNK, total), total)
            finally:
                cur.execute(f"PRAGMA cache_size = {int(cache_size)}")


def _id_frame(mapping: dict[str, int], key: str, name: str) -> pl.DataFrame:
    return pl.DataFrame({key: list(mapping), name: list(mapping.values())}, schema={key: pl.String, name: pl.Int64})


def write_plan(*, plan: Plan, bu: BusinessUnit, progress: Progress = _noop) -> None:
    now = timezone.now()
    load = bulk_load_begin({
        Customer: plan.new_customers.height, Document: plan.new_documents.height,
        Payment: plan.new_payments.height, Allocation: plan.allocations.height - len(plan.unchanged_pairs),
    })
    # Customers
    nc = plan.new_customers
    nc = nc.with_columns(reserve_ids(Customer, nc.height, exclusive=load.locked(Customer)).alias("id"))
    insert_frame(Customer, nc.select(
        "id", pl.lit(bu.pk).alias("business_unit_id"), pl.col("customer.external_id").alias("external_id"),
        pl.col("customer.name").alias("name"),
        pl.col("customer.kind").fill_null("commercial").alias("kind"),
        pl.col("customer.country").fill_null("").alias("country"),
        pl.col("customer.segment").fill_null("").alias("segment"),
        pl.col("customer.language").fill_null("en").alias("language"),
        pl.col(CUSTOMER_ATTRS).fill_null("{}").alias("attributes"),
    ), progress=progress, stage="customers")
    customer_ids = pl.concat([
        _id_frame(plan.customer_ids, "customer.external_id", "customer_id"),
        nc.select("customer.external_id", pl.col("id").alias("customer_id")),
    ])
    _apply_changes(Customer, plan.customer_changes, now)

    # Documents: a new document's open amount is its amount less what this file allocates to it.
    nd = plan.new_documents.join(customer_ids, on="customer.external_id", how="left")
    nd = nd.with_columns(reserve_ids(Document, nd.height, exclusive=load.locked(Document)).alias("id"),
                         pl.col("payment.amount").fill_null(0).alias("_alloc"))
    nd = nd.with_columns(
        pl.when(pl.col("document.kind") == DocumentKind.CREDIT_NOTE).then(pl.col("document.amount"))
        .otherwise(pl.col("document.amount") - pl.col("_alloc")).alias("_open")
    )
    nd = nd.with_columns(
        pl.when(pl.col("_open") == 0).then(pl.lit(DocumentStatus.PAID.value))
        .when(pl.col("_open") < pl.col("document.amount")).then(pl.lit(DocumentStatus.PARTIALLY_PAID.value))
        .otherwise(pl.lit(DocumentStatus.OPEN.value)).alias("_status"),
        pl.when(pl.col("_open") == 0).then(pl.col("payment.date")).otherwise(None).alias("_closed"),
    )
    insert_frame(Document, nd.select(
        "id", pl.lit(bu.pk).alias("business_unit_id"), "customer_id",
        pl.col("document.external_id").alias("external_id"), pl.col("document.kind").alias("kind"),
        pl.col("document.issue_date").alias("issue_date"), pl.col("document.due_date").alias("due_date"),
        money_text("document.amount").alias("amount"), pl.col("document.currency").alias("currency"),
        pl.col("document.reference").fill_null("").alias("reference"),
        money_text("_open").alias("open_amount"), pl.col("_status").alias("status"),
        pl.col("_closed").alias("closed_date"), pl.col(DOCUMENT_ATTRS).fill_null("{}").alias("attributes"),
    ), progress=progress, stage="documents")
    document_ids = pl.concat([
        _id_frame(plan.document_ids, "document.external_id", "document_id"),
        nd.select("document.external_id", pl.col("id").alias("document_id")),
    ])
    _apply_changes(Document, plan.document_changes, now)

    # Payments: the file's allocations are the whole payment, so a new payment has nothing unapplied.
    np_ = plan.new_payments.join(customer_ids, on="customer.external_id", how="left")
    np_ = np_.with_columns(reserve_ids(Payment, np_.height, exclusive=load.locked(Payment)).alias("id"))
    insert_frame(Payment, np_.select(
        "id", pl.lit(bu.pk).alias("business_unit_id"), "customer_id",
        pl.col("payment.external_id").alias("external_id"), pl.col("payment.date").alias("received_date"),
        money_text("payment.amount").alias("amount"), pl.col("document.currency").alias("currency"),
        pl.col("payment.method").fill_null("").alias("method"),
        pl.col("payment.reference").fill_null("").alias("reference"),
        pl.lit("0.000").alias("unapplied_amount"),
    ), progress=progress, stage="payments")
    payment_ids = pl.concat([
        _id_frame(plan.payment_ids, "payment.external_id", "payment_id"),
        np_.select("payment.external_id", pl.col("id").alias("payment_id")),
    ])
    _apply_changes(Payment, [c for c in plan.payment_changes if c.after], now)

    # Allocations: replace the ones whose amount or date changed, add the new ones.
    if plan.replaced_allocation_ids:
        _audit_replaced_allocations(plan.replaced_allocation_ids)
        for i in range(0, len(plan.replaced_allocation_ids), CHUNK):
            Allocation.objects.filter(pk__in=plan.replaced_allocation_ids[i : i + CHUNK]).delete()
    allocs = plan.allocations
    if plan.unchanged_pairs:
        keep = pl.DataFrame(list(plan.unchanged_pairs), schema=["document.external_id", "payment.external_id"],
                            orient="row")
        allocs = allocs.join(keep, on=["document.external_id", "payment.external_id"], how="anti")
    allocs = allocs.join(document_ids, on="document.external_id", how="left").join(
        payment_ids, on="payment.external_id", how="left")
    allocs = allocs.with_columns(reserve_ids(Allocation, allocs.height, exclusive=load.locked(Allocation)).alias("id"))
    insert_frame(Allocation, allocs.select(
        "id", "document_id", pl.lit(AllocationSource.PAYMENT.value).alias("source"), "payment_id",
        pl.lit(None, dtype=pl.Int64).alias("credit_note_id"), pl.lit(None, dtype=pl.Int64).alias("write_off_id"),
        money_text("payment.amount").alias("amount"), pl.col("document.currency").alias("currency"),
        pl.col("payment.date").alias("date"),
    ), progress=progress, stage="allocations")

    if load.active:
        progress("constraints", 0, 1)
        bulk_load_end(load)
    progress("recompute", 0, len(plan.recompute_documents) + len(plan.recompute_payments))
    documents_recompute(ids=sorted(plan.recompute_documents))
    payments_recompute(ids=sorted(plan.recompute_payments))


def _apply_changes(model: type[Model], changes: list, now: Any) -> None:
    """Update changed rows in bulk, then audit each with its before and after."""
    if not changes:
        return
    fields = sorted({k for c in changes for k in c.after})
    objs = []
    for c in changes:
        current = {**c.before, **c.after}
        obj = model(pk=c.pk, **{k: current[k] for k in current})
        obj.updated_at = now
        objs.append(obj)
    by_pk = {c.pk: c for c in changes}
    # Rows that change different fields are written with their current values for the others.
    missing = {k for k in fields if any(k not in c.after for c in changes)}
    if missing:
        current_rows = {r["pk"]: r for r in model.objects.filter(pk__in=list(by_pk)).values("pk", *missing)}
        for obj in objs:
            for k in missing:
                if k not in by_pk[obj.pk].after:
                    setattr(obj, k, current_rows[obj.pk][k])
    model.objects.bulk_update(objs, [*fields, "updated_at"], batch_size=1000)
    for obj in objs:
        c = by_pk[obj.pk]
        audit_record_change(obj=obj, before=jsonable(c.before), customer_id=c.customer_id, note="import")


def _audit_replaced_allocations(ids: list[int]) -> None:
    for alloc in Allocation.objects.filter(pk__in=ids).select_related("document", "payment"):
        audit_record(
            action="delete", obj=alloc, customer_id=alloc.document.customer_id, note="import: replaced",
            before={"document": alloc.document.external_id,
                    "payment": alloc.payment.external_id if alloc.payment else None,
                    "amount": str(alloc.amount), "date": alloc.date.isoformat()},
        )


def documents_recompute(*, ids: list[int]) -> None:
    """Open amount, status and closed date from the allocations, for documents that already existed."""
    now = timezone.now()
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        debit = {
            r["document_id"]: r for r in Allocation.objects.filter(document_id__in=chunk).values("document_id")
            .annotate(used=Sum("amount"), wo=Sum("amount", filter=Q(source=AllocationSource.WRITE_OFF)), last=Max("date"))
        }
        credit = {
            r["credit_note_id"]: r for r in Allocation.objects.filter(credit_note_id__in=chunk).values("credit_note_id")
            .annotate(used=Sum("amount"), last=Max("date"))
        }
        changed = []
        for doc in Document.objects.filter(pk__in=chunk).only("id", "kind", "amount", "open_amount", "status", "closed_date"):
            agg = credit.get(doc.pk) if doc.kind == DocumentKind.CREDIT_NOTE else debit.get(doc.pk)
            used = (agg or {}).get("used") or ZERO
            written_off = (agg or {}).get("wo") or ZERO
            open_amount = doc.amount - used
            status = derive_status(amount=doc.amount, open_amount=open_amount, written_off=written_off)
            closed = (agg or {}).get("last") if open_amount == ZERO else None
            if (open_amount, status, closed) != (doc.open_amount, doc.status, doc.closed_date):
                doc.open_amount, doc.status, doc.closed_date, doc.updated_at = open_amount, status, closed, now
                changed.append(doc)
        Document.objects.bulk_update(changed, ["open_amount", "status", "closed_date", "updated_at"], batch_size=1000)


def payments_recompute(*, ids: list[int]) -> None:
    now = timezone.now()
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        used = dict(Allocation.objects.filter(payment_id__in=chunk).values("payment_id").annotate(u=Sum("amount"))
                    .values_list("payment_id", "u"))
        changed = []
        for p in Payment.objects.filter(pk__in=chunk).only("id", "amount", "unapplied_amount"):
            unapplied = p.amount - (used.get(p.pk) or ZERO)
            if unapplied != p.unapplied_amount:
                p.unapplied_amount, p.updated_at = unapplied, now
                changed.append(p)
        Payment.objects.bulk_update(changed, ["unapplied_amount", "updated_at"], batch_size=1000)
