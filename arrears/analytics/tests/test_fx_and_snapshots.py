"""Reporting currency conversion (KPIS.md §0) and the balance history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arrears.analytics.errors import AnalyticsError
from arrears.analytics.models import BalanceSnapshot
from arrears.analytics.selectors import Scope, balances_from_snapshots, balances_live, kpi_report
from arrears.analytics.services import snapshot_backfill, snapshot_take
from arrears.analytics.tests.ledger_fixtures import Q3, D, doc, pay
from arrears.ledger.models import FxRate
from arrears.ledger.tests.factories import BusinessUnitFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def usd_customer(ledger):
    bu = BusinessUnitFactory(code="ACME-US", name="Acme Inc", home_currency="USD", country="US")
    c = CustomerFactory(business_unit=bu, name="Gamma", segment="smb", collector=ledger.c1)
    # Issued 1 Aug (rate 0.90), 1,000 of it paid 15 Sep (rate 0.80); 2,000 USD open at 30 Sep (rate 0.85).
    inv = doc(c, "US1", D(2026, 8, 1), D(2026, 8, 31), "3000")
    pay(c, "USP1", D(2026, 9, 15), [(inv, "1000")])
    return c


def rates(*rows):
    for day, rate in rows:
        FxRate.objects.create(date=day, currency="USD", quote_currency="EUR", rate=Decimal(rate))


def test_sales_convert_at_the_transaction_date_and_balances_at_the_period_end(ledger, usd_customer):
    rates((D(2026, 6, 1), "0.95"), (D(2026, 8, 1), "0.90"), (D(2026, 9, 1), "0.80"), (D(2026, 9, 30), "0.85"))
    report = kpi_report(start=Q3[0], end=Q3[1], currency="EUR")
    # Sales: 9,500 EUR + 3,000 USD × 0.90 (1 Aug) = 12,200 EUR.
    assert report.total.figures["credit_sales"] == "12200.00"
    # AR 30 Sep: 4,900 EUR + 2,000 USD × 0.85 = 6,600 EUR.
    assert report.total.figures["ar_end"] == "6600.00"
    # Cash: 11,600 EUR + 1,000 USD × 0.80 (15 Sep, the latest rate on or before it) = 12,400 EUR.
    assert report.total.figures["cash_collected"] == "12400.00"
    # Beginning AR (30 Jun): the USD invoice did not exist yet: 7,400.
    assert report.total.figures["ar_begin"] == "7400.00"
    assert report.as_dict()["fx_rates"]["USD"][0] == ["2026-08-01", "0.9000000000"]


def test_reporting_in_usd_needs_eur_to_usd_rates(ledger, usd_customer):
    with pytest.raises(AnalyticsError, match=r"no FX rate from EUR to USD on or before 2026-\d\d-\d\d"):
        kpi_report(start=Q3[0], end=Q3[1], currency="USD")


def test_missing_rate_names_the_currency_and_the_date(ledger, usd_customer):
    rates((D(2026, 9, 1), "0.80"))  # nothing on or before 1 Aug, the USD invoice's issue date
    with pytest.raises(AnalyticsError, match="no FX rate from USD to EUR on or before 2026-08-01"):
        kpi_report(start=Q3[0], end=Q3[1], currency="EUR")


def test_several_currencies_without_a_reporting_currency_is_an_error(ledger, usd_customer):
    with pytest.raises(AnalyticsError, match=r"several currencies \(EUR, USD\)"):
        kpi_report(start=Q3[0], end=Q3[1])


def test_one_currency_only_reports_just_that_currency(ledger, usd_customer):
    usd = kpi_report(start=Q3[0], end=Q3[1], currency="USD", scope=Scope(collector_ids=()))
    assert usd.total.figures["ar_end"] == "0.00"


def test_snapshot_is_idempotent(ledger):
    first = snapshot_take(as_of=D(2026, 9, 30))
    rows = list(BalanceSnapshot.objects.values_list("customer_id", "currency", "open_total", "unapplied", "d91_120"))
    second = snapshot_take(as_of=D(2026, 9, 30))
    assert first == second
    assert BalanceSnapshot.objects.count() == 2
    assert list(BalanceSnapshot.objects.values_list("customer_id", "currency", "open_total", "unapplied", "d91_120")) == rows
    beta = BalanceSnapshot.objects.get(customer=ledger.b)
    assert (beta.open_total, beta.unapplied, beta.total_ar) == (Decimal(0), Decimal(500), Decimal(-500))


@pytest.mark.parametrize("by", [None, "collector", "segment", "customer"])
def test_backfilled_month_ends_equal_the_live_computation(ledger, by):
    results = snapshot_backfill(start=D(2026, 4, 1), end=D(2026, 10, 31))
    assert [r.as_of for r in results] == [D(2026, m, d) for m, d in ((4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 30), (10, 31))]
    for r in results:
        live = {k: v for k, v in balances_live(as_of=r.as_of, by=by).items() if any(v)}
        assert balances_from_snapshots(as_of=r.as_of, by=by) == live, r.as_of


def test_backfill_then_later_payments_do_not_change_the_past(ledger):
    snapshot_take(as_of=D(2026, 9, 30))
    live_sept = balances_live(as_of=D(2026, 9, 30), by=None)
    pay(ledger.a, "P9", D(2026, 11, 2), [(ledger.docs["INV3"], "2000")])
    assert balances_live(as_of=D(2026, 9, 30), by=None) == live_sept
    report = kpi_report(start=D(2026, 9, 1), end=D(2026, 9, 30), balance_source="snapshot")
    assert report.total.figures["ar_end"] == "4900.00"


def test_daily_backfill_takes_every_day(ledger):
    results = snapshot_backfill(start=D(2026, 9, 28), end=D(2026, 9, 30), monthly=False)
    assert [r.as_of for r in results] == [D(2026, 9, 28), D(2026, 9, 29), D(2026, 9, 30)]
    assert BalanceSnapshot.objects.filter(date=dt.date(2026, 9, 29)).count() == 2
