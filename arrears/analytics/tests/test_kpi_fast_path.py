"""The KPI report (SQL sums, one pass per table, the total added up from the groups) agrees to the
cent with a reference: the same pure functions fed by plain per-document Python over a small random
ledger (partial payments, credit notes, write-offs, unapplied cash, disputes, EUR and USD).

The reference reads every document, payment and allocation as objects and applies the definitions of
KPIS.md directly (open at the end of a day = amount − allocations dated on or before it, and so on);
it shares nothing with the report but `_group_kpis`, which only hands figures to the pure functions.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection as db_connection

from arrears.analytics import kpis as K
from arrears.analytics.selectors import activity, kpi_report
from arrears.analytics.selectors.fx import FxTable
from arrears.analytics.selectors.kpis import (
    GroupKpis,
    is_month_end,
    months_back,
    previous_snapshot_date,
)
from arrears.analytics.selectors.kpis import _group_kpis as group_kpis
from arrears.analytics.selectors.ledger import (
    EVERYONE,
    PAID_COL,
    WRITTEN_OFF_COL,
    Balance,
    CashFigures,
    balances_at_many,
    balances_live,
    balances_live_many,
    migration_cells,
    open_items_many,
    snapshot_exists,
)
from arrears.analytics.services import snapshot_take
from arrears.ledger.models import (
    Allocation,
    AllocationSource,
    Customer,
    Document,
    DocumentKind,
    FxRate,
    Payment,
    WriteOff,
)
from arrears.ledger.services import credit_note_apply, document_write_off, payment_allocate, payment_create
from arrears.ledger.tests.factories import BusinessUnitFactory, CustomerFactory, DocumentFactory

pytestmark = pytest.mark.django_db

D = dt.date
FIRST, LAST = D(2025, 1, 1), D(2026, 5, 31)


def _day(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def random_ledger(seed: int, make_user: Any, documents: int = 60) -> None:
    """Two business units (EUR, USD), six customers over two collectors (and none), weekly USD->EUR rates."""
    rng = random.Random(seed)
    eur = BusinessUnitFactory(code="R-DE", home_currency="EUR", country="DE")
    usd = BusinessUnitFactory(code="R-US", name="R Inc", home_currency="USD", country="US")
    c1, c2 = make_user(f"r{seed}a"), make_user(f"r{seed}b")
    customers = [
        CustomerFactory(business_unit=bu, collector=col, segment=seg)
        for bu, col, seg in ((eur, c1, "smb"), (eur, c2, "ent"), (eur, None, "smb"), (usd, c1, "ent"), (usd, c2, "smb"),
                             (usd, None, ""))
    ]
    day = FIRST - dt.timedelta(days=40)
    while day <= LAST:
        FxRate.objects.create(date=day, currency="USD", quote_currency="EUR", rate=Decimal(rng.randrange(8000, 9900)) / 10000)
        day += dt.timedelta(days=7)
    docs = []
    for i in range(documents):
        cust = rng.choice(customers)
        kind = rng.choices([DocumentKind.INVOICE, DocumentKind.DEBIT_NOTE, DocumentKind.CREDIT_NOTE], [80, 5, 15])[0]
        issued = _day(rng, FIRST, LAST - dt.timedelta(days=20))
        due = issued + dt.timedelta(days=0 if kind == DocumentKind.CREDIT_NOTE else rng.choice((0, 14, 30, 60)))
        amount = Decimal(rng.randrange(1_000, 900_000)) / 100
        docs.append(DocumentFactory(customer=cust, external_id=f"R{seed}-{i}", kind=kind, issue_date=issued, due_date=due,
                                    amount=amount, attributes={"disputed": True} if rng.random() < 0.1 else {}))
    debits = [d for d in docs if d.kind != DocumentKind.CREDIT_NOTE]
    for n, d in enumerate(debits):
        d.refresh_from_db()
        roll = rng.random()
        if roll < 0.45:  # paid in one or two instalments, some cash left unapplied
            parts = [d.amount] if rng.random() < 0.6 else [(d.amount * Decimal(rng.randrange(20, 80)) / 100).quantize(Decimal("0.01"))]
            on = d.issue_date
            for k, part in enumerate(parts):
                on = _day(rng, on, min(LAST, on + dt.timedelta(days=150)))
                extra = Decimal(rng.randrange(0, 5_000)) / 100 if rng.random() < 0.2 else Decimal(0)
                pay = payment_create(business_unit=d.business_unit, customer=d.customer, external_id=f"P{seed}-{n}-{k}",
                                     received_date=on, amount=part + extra, currency=d.currency)
                later = _day(rng, on, min(LAST, on + dt.timedelta(days=20))) if rng.random() < 0.3 else on
                payment_allocate(payment=pay, allocations=[(d, part)], date=later)
        elif roll < 0.6:  # credited by a credit note of the same customer
            notes = [c for c in docs if c.kind == DocumentKind.CREDIT_NOTE and c.customer_id == d.customer_id]
            if notes:
                note = rng.choice(notes)
                note.refresh_from_db()
                d.refresh_from_db()
                take = min(note.open_amount, d.open_amount)
                if take > 0:
                    credit_note_apply(credit_note=note, document=d, amount=take,
                                      date=_day(rng, max(note.issue_date, d.issue_date), LAST))
        elif roll < 0.72:  # written off, in full or in part
            d.refresh_from_db()
            amount = None if rng.random() < 0.6 else (d.open_amount / 3).quantize(Decimal("0.01"))
            document_write_off(document=d, amount=amount, date=_day(rng, min(d.due_date, LAST), LAST), reason="bad debt")
    for k in range(4):  # cash not allocated at all
        cust = rng.choice(customers)
        payment_create(business_unit=cust.business_unit, customer=cust, external_id=f"U{seed}-{k}",
                       received_date=_day(rng, FIRST, LAST), amount=Decimal(rng.randrange(100, 90_000)) / 100,
                       currency=cust.business_unit.home_currency)


# --- the reference: per-document Python -------------------------------------------------------------


def bucket(dpd: int) -> int:
    edges = (0, 30, 60, 90, 120)
    return next((i for i, e in enumerate(edges) if dpd <= e), len(edges))


def key_of(by: str | None, customer: Customer) -> Any:
    return {None: None, "business-unit": customer.business_unit_id, "collector": customer.collector_id,
            "segment": customer.segment, "customer": customer.pk}[by]


class Reference:
    def __init__(self, fx: FxTable) -> None:
        self.fx = fx
        self.customers = {c.pk: c for c in Customer.objects.all()}
        self.docs = list(Document.objects.all())
        self.payments = list(Payment.objects.all())
        self.allocs = list(Allocation.objects.all())
        self.write_offs = list(WriteOff.objects.select_related("document"))
        self.by_doc: dict[int, list[Allocation]] = defaultdict(list)
        self.by_payment: dict[int, list[Allocation]] = defaultdict(list)
        self.by_note: dict[int, list[Allocation]] = defaultdict(list)
        for a in self.allocs:
            self.by_doc[a.document_id].append(a)
            if a.payment_id:
                self.by_payment[a.payment_id].append(a)
            if a.credit_note_id:
                self.by_note[a.credit_note_id].append(a)

    @staticmethod
    def _used(allocs: list[Allocation], day: dt.date) -> Decimal:
        return sum((a.amount for a in allocs if a.date <= day), Decimal(0))

    def open_at(self, d: Document, day: dt.date) -> Decimal:
        if d.issue_date > day:
            return Decimal(0)
        return d.amount - self._used(self.by_doc[d.pk] if d.is_debit else self.by_note[d.pk], day)

    def balances(self, by: str | None, day: dt.date) -> dict[Any, Balance]:
        out: dict[Any, Balance] = defaultdict(Balance)
        for d in self.docs:
            left = self.open_at(d, day)
            if left <= 0:
                continue
            b = out[key_of(by, self.customers[d.customer_id])]
            value = left * self.fx.rate(d.currency, day)
            if d.is_debit:
                b.buckets[bucket((day - d.due_date).days)] += value
                b.documents += 1
                if d.attributes.get("disputed"):
                    b.disputed += value
            else:
                b.unapplied += value
        for p in self.payments:
            if p.received_date <= day:
                left = p.amount - self._used(self.by_payment[p.pk], day)
                if left > 0:
                    out[key_of(by, self.customers[p.customer_id])].unapplied += left * self.fx.rate(p.currency, day)
        return out

    def sales(self, by: str | None, ranges: list[tuple[dt.date, dt.date]]) -> dict[Any, list[Decimal]]:
        out: dict[Any, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(ranges))
        for d in self.docs:
            sign = 1 if d.is_debit else -1
            for i, (a, b) in enumerate(ranges):
                if a <= d.issue_date <= b:
                    out[key_of(by, self.customers[d.customer_id])][i] += sign * d.amount * self.fx.rate(d.currency, d.issue_date)
        return out

    def cash(self, by: str | None, start: dt.date, end: dt.date) -> dict[Any, CashFigures]:
        out: dict[Any, CashFigures] = defaultdict(CashFigures)
        docs = {d.pk: d for d in self.docs}
        for a in self.allocs:
            if a.source != AllocationSource.PAYMENT or not start <= a.date <= end:
                continue
            d = docs[a.document_id]
            c = out[key_of(by, self.customers[d.customer_id])]
            amount = a.amount * self.fx.rate(a.currency, a.date)
            beyond = (a.date - d.due_date).days
            c.amount += amount
            c.days_to_pay += amount * (a.date - d.issue_date).days
            c.terms += amount * (d.due_date - d.issue_date).days
            c.beyond += amount * beyond
            c.late_only += amount * max(beyond, 0)
        return out

    def written_off(self, by: str | None, start: dt.date, end: dt.date) -> dict[Any, Decimal]:
        out: dict[Any, Decimal] = defaultdict(Decimal)
        for w in self.write_offs:
            if start <= w.date <= end:
                out[key_of(by, self.customers[w.document.customer_id])] += w.amount * self.fx.rate(w.currency, w.date)
        return out

    def cells(self, by: str | None, prev: dt.date, curr: dt.date) -> dict[Any, dict[tuple[int, int], Decimal]]:
        out: dict[Any, dict[tuple[int, int], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for d in self.docs:
            if not d.is_debit:
                continue
            then = self.open_at(d, prev)
            if then <= 0:
                continue
            now = self.open_at(d, curr)
            if now > 0:
                state = bucket((curr - d.due_date).days)
            elif any(a.source == AllocationSource.WRITE_OFF and a.date <= curr for a in self.by_doc[d.pk]):
                state = WRITTEN_OFF_COL
            else:
                state = PAID_COL
            out[key_of(by, self.customers[d.customer_id])][(bucket((prev - d.due_date).days), state)] += (
                then * self.fx.rate(d.currency, prev)
            )
        return out

    def report(self, *, start: dt.date, end: dt.date, by: str | None) -> dict[Any, GroupKpis]:
        period = K.Period(start, end)
        roll_from = previous_snapshot_date(end)
        countback = is_month_end(end)
        ranges = [(start, end)] + (months_back(end, 12) if countback else [])
        feeds = {
            "end": self.balances(by, end), "begin": self.balances(by, start - dt.timedelta(days=1)),
            "sales": self.sales(by, ranges), "cash": self.cash(by, start, end), "wo": self.written_off(by, start, end),
            "cells": self.cells(by, roll_from, end),
            "promises": activity.promise_rows(period=(start, end), by=by, scope=EVERYONE, fx=self.fx),
            "disputes": activity.dispute_rows(period=(start, end), by=by, scope=EVERYONE),
            "calls": activity.call_counts(period=(start, end), by=by, scope=EVERYONE),
        }
        keys = set().union(*(set(f) for f in feeds.values()))
        out = {}
        for key in keys:
            g = GroupKpis(key=key, label="")
            sales = feeds["sales"].get(key, [Decimal(0)] * len(ranges))
            group_kpis(
                g, period=period, currency=self.fx.target, begin=feeds["begin"].get(key, Balance()),
                end=feeds["end"].get(key, Balance()), sales=sales[0], monthly=sales[1:] if countback else None,
                cash=feeds["cash"].get(key, CashFigures()), written_off=feeds["wo"].get(key, Decimal(0)),
                promises=feeds["promises"].get(key, []), disputes=feeds["disputes"].get(key, []),
                calls=feeds["calls"].get(key), target=None, attainment_applies=by in (None, "collector"),
                cells=feeds["cells"].get(key, {}), roll_from=roll_from,
            )
            out[key] = g
        return out


def assert_same(report_group: GroupKpis, ref: GroupKpis, where: str) -> None:
    for name, value in ref.kpis.items():
        assert report_group.kpis[name] == value, f"{where}: {name}"
    assert set(report_group.kpis) == set(ref.kpis), where
    for name, value in ref.figures.items():
        assert report_group.figures[name] == value, f"{where}: figure {name}"
    assert report_group.matrix == ref.matrix, f"{where}: migration matrix"


PERIODS = [
    (D(2026, 3, 1), D(2026, 3, 31)),  # a month, countback and CEI defined
    (D(2026, 1, 1), D(2026, 3, 31)),  # a quarter
    (D(2025, 11, 10), D(2026, 2, 17)),  # not whole months, not a month end
    (D(2026, 5, 1), D(2026, 5, 31)),  # the last month: no allocation is dated after its end
]


@pytest.mark.parametrize("seed", [1, 2])
def test_every_kpi_matches_the_per_document_reference(make_user, seed):
    random_ledger(seed, make_user)
    reference = Reference(FxTable("EUR"))
    for start, end in PERIODS:
        total = reference.report(start=start, end=end, by=None)[None]
        for by in (None, "business-unit", "collector", "segment"):
            report = kpi_report(start=start, end=end, by=by, currency="EUR")
            where = f"{start}..{end} by {by}"
            assert_same(report.total, total, f"{where} (total)")
            if by is not None:
                ref = reference.report(start=start, end=end, by=by)
                assert {g.key for g in report.groups} == set(ref), where
                for g in report.groups:
                    assert_same(g, ref[g.key], f"{where} group {g.key}")


def test_reference_ledger_exercises_every_kind_of_movement(make_user):
    random_ledger(1, make_user)
    sources = set(Allocation.objects.values_list("source", flat=True))
    assert sources == {AllocationSource.PAYMENT, AllocationSource.CREDIT_NOTE, AllocationSource.WRITE_OFF}
    assert Payment.objects.filter(unapplied_amount__gt=0).exists()
    assert Document.objects.filter(status="partially_paid").exists()
    assert set(Document.objects.values_list("currency", flat=True)) == {"EUR", "USD"}
    report = kpi_report(start=D(2026, 1, 1), end=D(2026, 3, 31), currency="EUR")
    assert Decimal(report.total.figures["write_offs"]) > 0
    assert Decimal(report.total.figures["unapplied_end"]) > 0


def test_balances_of_several_days_in_one_pass_equal_each_day_read_alone(make_user):
    random_ledger(3, make_user, documents=40)
    days = [D(2025, 6, 30), D(2025, 12, 31), D(2026, 2, 17), LAST]
    for by in (None, "collector"):
        together = balances_live_many(as_ofs=days, by=by)
        for day, raw in zip(days, together, strict=True):
            assert raw == balances_live(as_of=day, by=by), f"{day} by {by}"
            assert raw, "the ledger has balances on each of these days"


def test_balances_of_several_days_read_snapshots_where_taken_and_the_ledger_elsewhere(make_user):
    random_ledger(4, make_user, documents=30)
    snapshot_take(as_of=D(2025, 12, 31), forecast=False)
    live = balances_live_many(as_ofs=[D(2025, 12, 31), D(2026, 3, 31)], by="business-unit")
    mixed = balances_at_many(as_ofs=[D(2025, 12, 31), D(2026, 3, 31)], by="business-unit", source="auto")
    assert mixed == live
    assert snapshot_exists(as_of=D(2025, 12, 31))
    assert not snapshot_exists(as_of=D(2026, 3, 31))


@pytest.mark.parametrize(("prev", "curr"), [(D(2026, 2, 28), D(2026, 3, 31)), (D(2026, 4, 30), LAST)])
def test_roll_rate_cells_read_with_the_balances_equal_the_cells_read_alone(make_user, prev, curr):
    random_ledger(5, make_user, documents=50)
    for by in (None, "segment"):
        (at_curr, at_prev), cells = open_items_many(as_ofs=[curr, prev], cells=(prev, curr), by=by)
        assert cells == migration_cells(prev=prev, curr=curr, by=by, scope=EVERYONE)
        assert cells, "some documents were open at prev"
        assert at_curr == balances_live(as_of=curr, by=by)
        assert at_prev == balances_live(as_of=prev, by=by)


needs_postgres = pytest.mark.skipif(
    db_connection.vendor != "postgresql",
    reason="needs PostgreSQL: parallel reads use several connections and an exported snapshot",
)


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_independent_reads_run_on_their_own_connections_in_one_snapshot():
    from django.db import connection

    from arrears.analytics.selectors.kpis import reads_together

    def probe() -> tuple[int, str]:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid(), pg_current_snapshot()::text")
            return cur.fetchone()

    got = reads_together({"sales": probe, "cash": probe, "balances": probe})
    assert len({pid for pid, _ in got.values()}) == 3  # three connections read at once
    assert len({snapshot for _, snapshot in got.values()}) == 1  # all of them saw the same database


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_report_read_at_once_equals_the_report_read_one_read_after_the_other(make_user, settings):
    random_ledger(2, make_user)
    for start, end in PERIODS[:3]:
        for by in (None, "collector"):
            settings.ANALYTICS_PARALLEL_READS = True
            together = kpi_report(start=start, end=end, by=by, currency="EUR")
            settings.ANALYTICS_PARALLEL_READS = False
            serial = kpi_report(start=start, end=end, by=by, currency="EUR")
            where = f"{start}..{end} by {by}"
            assert_same(together.total, serial.total, where)
            assert [g.key for g in together.groups] == [g.key for g in serial.groups], where
            for a, b in zip(together.groups, serial.groups, strict=True):
                assert_same(a, b, f"{where} group {a.key}")
