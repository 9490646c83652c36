"""Bulk-load mode: the same ledger as the row-by-row path, the schema put back exactly, all or nothing."""

from __future__ import annotations

import polars as pl
import pytest
from django.db import connection

from arrears.audit.models import AuditEvent
from arrears.imports.services import bulk, writer
from arrears.imports.tests.conftest import ledger_counts, native_csv
from arrears.ledger.models import Allocation, BusinessUnit, Customer, Document, Payment
from arrears.ledger.tests.factories import DocumentFactory

LEDGER_TABLES = ("ledger_customer", "ledger_document", "ledger_payment", "ledger_allocation")


def schema_snapshot() -> list[tuple]:
    """Every constraint and index of the tables an import writes, as the database describes them."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated
                   FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)
                   UNION ALL
                   SELECT tablename, indexname, indexdef, true FROM pg_indexes WHERE tablename = ANY(%s)
                   ORDER BY 1, 2, 3""",
                [list(LEDGER_TABLES), list(LEDGER_TABLES)],
            )
        else:
            cur.execute(
                "SELECT tbl_name, name, sql FROM sqlite_master WHERE tbl_name IN (%s, %s, %s, %s) ORDER BY 1, 2",
                list(LEDGER_TABLES),
            )
        return cur.fetchall()


def ledger_content(unit: BusinessUnit) -> dict[str, list[tuple]]:
    return {
        "customers": sorted(Customer.objects.filter(business_unit=unit).values_list("external_id", "name", "country")),
        "documents": sorted(Document.objects.filter(business_unit=unit).values_list(
            "external_id", "customer__external_id", "kind", "amount", "open_amount", "status", "closed_date")),
        "payments": sorted(Payment.objects.filter(business_unit=unit).values_list(
            "external_id", "customer__external_id", "amount", "unapplied_amount")),
        "allocations": sorted(Allocation.objects.filter(document__business_unit=unit).values_list(
            "document__external_id", "payment__external_id", "amount", "date")),
    }


@pytest.fixture
def bulk_always(monkeypatch):
    """Every table of every import qualifies for bulk mode."""
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)


@pytest.mark.django_db
def test_bulk_mode_writes_the_same_ledger_as_row_by_row_and_puts_the_schema_back(unit, run_import, monkeypatch):
    schema = schema_snapshot()
    plain = run_import(native_csv())
    assert plain["status"] == "ok", plain["errors"]
    other = BusinessUnit.objects.create(code="ACME-AT", name="Acme Austria", home_currency="EUR", country="AT")
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    taken_apart: list[bulk.BulkLoad] = []
    begin = bulk.bulk_load_begin
    monkeypatch.setattr(writer, "bulk_load_begin", lambda new_rows: taken_apart.append(begin(new_rows)) or taken_apart[-1])

    bulky = run_import(native_csv(), business_unit_code="ACME-AT")

    assert bulky["status"] == "ok", bulky["errors"]
    assert bulky["counts"] == plain["counts"]
    load = taken_apart[0]
    assert set(load.tables) == set(LEDGER_TABLES)
    assert load.indexes, "tables no bigger than the load have their secondary indexes rebuilt"
    if connection.vendor == "postgresql":
        assert {fk.table for fk in load.foreign_keys} == set(LEDGER_TABLES)
        assert {u.name for u in load.uniques} >= {"customer_unique_external_id", "document_unique_external_id",
                                                  "payment_unique_external_id"}
    assert ledger_content(other) == ledger_content(unit)
    assert schema_snapshot() == schema
    assert AuditEvent.objects.filter(action="import").count() == 2


@pytest.mark.django_db
def test_bulk_mode_leaves_the_indexes_of_a_table_bigger_than_the_load(unit, bulk_always):
    DocumentFactory.create_batch(3)

    small = bulk.bulk_load_begin({Document: 2})
    try:
        assert small.tables == ["ledger_document"]
        assert small.indexes == []
    finally:
        bulk.bulk_load_end(small)
    large = bulk.bulk_load_begin({Document: 3})
    try:
        assert {i.table for i in large.indexes} == {"ledger_document"}
    finally:
        bulk.bulk_load_end(large)


@pytest.mark.django_db
def test_a_small_import_does_not_use_bulk_mode(unit):
    load = bulk.bulk_load_begin({Document: bulk.BULK_MIN_ROWS - 1, Customer: 10})

    assert not load.active
    assert load.foreign_keys == []
    assert load.indexes == []


@pytest.mark.django_db
def test_rows_created_after_a_bulk_import_get_fresh_ids(unit, run_import, bulk_always):
    result = run_import(native_csv())
    assert result["status"] == "ok", result["errors"]
    top = max(Document.objects.values_list("pk", flat=True))

    later = DocumentFactory(customer=Customer.objects.get(external_id="C001"))

    assert later.pk > top
    assert Document.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_bulk_import_that_breaks_a_foreign_key_is_rolled_back_with_its_schema_changes(unit, run_import, bulk_always,
                                                                                         monkeypatch):
    schema = schema_snapshot()
    before = ledger_counts()
    insert = writer.insert_frame

    def dangling(model, frame, **kwargs):  # every document points at a customer that does not exist
        if model is Document:
            frame = frame.with_columns((pl.col("customer_id") + 1_000_000).alias("customer_id"))
        return insert(model, frame, **kwargs)

    monkeypatch.setattr(writer, "insert_frame", dangling)

    result = run_import(native_csv())

    assert result["status"] == "rejected"
    assert [e["code"] for e in result["errors"]] == ["write_failed"]
    assert "nothing was written" in result["errors"][0]["message"]
    assert ledger_counts() == before
    assert schema_snapshot() == schema


@pytest.mark.django_db(transaction=True)
def test_a_row_the_database_refuses_during_the_load_rejects_the_import_with_nothing_written(unit, run_import, bulk_always,
                                                                                            monkeypatch):
    before = ledger_counts()
    schema = schema_snapshot()
    insert = writer.insert_frame

    def overpaid(model, frame, **kwargs):  # an open amount above the amount breaks a CHECK constraint at once
        if model is Document:
            frame = frame.with_columns(pl.lit("999999.000").alias("open_amount"))
        return insert(model, frame, **kwargs)

    monkeypatch.setattr(writer, "insert_frame", overpaid)

    result = run_import(native_csv())

    assert result["status"] == "rejected"
    assert [e["code"] for e in result["errors"]] == ["write_failed"]
    assert ledger_counts() == before
    assert schema_snapshot() == schema
