"""Promise-kept rate, dispute resolution time, right-party contacts and attainment from their apps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from arrears.analytics.selectors import kpi_report
from arrears.analytics.tests.ledger_fixtures import Q3, D

pytestmark = pytest.mark.django_db


def promise(customer, amount, made, promised, paid, status, grace=0):
    from arrears.promises.models import Promise

    return Promise.objects.create(
        customer=customer, amount=Decimal(amount), currency="EUR", made_on=made, promised_date=promised,
        grace_days=grace, deadline=promised + dt.timedelta(days=grace), paid_amount=Decimal(paid), status=status,
    )


def dispute(customer, opened, resolved=None):
    from arrears.disputes.models import Dispute

    at = dt.datetime.combine(opened, dt.time(9), tzinfo=dt.UTC)
    return Dispute.objects.create(
        customer=customer, reason="pricing", currency="EUR", disputed_amount=Decimal(100), opened_at=at, opened_on=opened,
        sla_days=10, due_date=opened + dt.timedelta(days=10), resolved_on=resolved,
        status="resolved_valid" if resolved else "open",
    )


def test_promise_kept_rate_by_count_and_amount(ledger):
    promise(ledger.a, "600", D(2026, 8, 1), D(2026, 8, 10), "600", "kept")
    promise(ledger.a, "500", D(2026, 8, 20), D(2026, 9, 1), "0", "broken")
    promise(ledger.b, "1000", D(2026, 9, 1), D(2026, 9, 5), "400", "partially_kept")
    promise(ledger.b, "300", D(2026, 9, 1), D(2026, 9, 5), "0", "cancelled")
    promise(ledger.b, "900", D(2026, 9, 1), D(2026, 10, 3), "0", "pending")  # promised after the quarter
    report = kpi_report(start=Q3[0], end=Q3[1])
    # Kept 1 of 3 evaluated = 33.33 %; amount (600 + 0 + 400) / (600 + 500 + 1,000) = 47.62 %.
    assert report.total.kpis["ptp_kept_rate_count"]["display"] == "33.33"
    assert report.total.kpis["ptp_kept_rate_amount"]["display"] == "47.62"
    assert report.total.figures["promises"] == {"kept": 1, "broken": 2, "pending": 0, "cancelled": 1}


def test_a_promise_whose_grace_runs_past_the_period_end_is_pending(ledger):
    promise(ledger.a, "600", D(2026, 9, 20), D(2026, 9, 29), "0", "pending", grace=3)
    report = kpi_report(start=Q3[0], end=Q3[1])
    assert report.total.figures["promises"]["pending"] == 1
    assert report.total.kpis["ptp_kept_rate_count"]["reason"] == "NO_EVALUATED_PROMISES"


def test_dispute_resolution_mean_median_and_oldest_open(ledger):
    dispute(ledger.a, D(2026, 7, 1), D(2026, 7, 3))  # 2 days
    dispute(ledger.a, D(2026, 8, 1), D(2026, 8, 8))  # 7
    dispute(ledger.b, D(2026, 9, 1), D(2026, 9, 31 - 1))  # 29
    dispute(ledger.b, D(2026, 9, 10))  # open: 20 days old at 30 Sep
    dispute(ledger.b, D(2026, 5, 1), D(2026, 6, 1))  # closed before the quarter: not counted
    report = kpi_report(start=Q3[0], end=Q3[1])
    k = report.total.kpis
    assert k["dispute_resolution_mean"]["display"] == "12.67"  # 38 / 3
    assert k["dispute_resolution_median"]["display"] == "7.00"
    assert k["oldest_open_dispute_age"]["display"] == "20.00"
    assert report.total.figures["disputes"] == {"closed": 3, "open": 1}


def test_rpc_rates_from_the_call_log_by_caller(ledger):
    from arrears.worklist.models import CallLog

    at = timezone.make_aware(dt.datetime(2026, 8, 3, 10))
    for outcome in ("right_party_contact", "no_answer", "voicemail", "wrong_party", "refusal"):
        CallLog.objects.create(customer=ledger.a, user=ledger.c1, at=at, outcome=outcome)
    CallLog.objects.create(customer=ledger.b, user=ledger.c2, at=at, outcome="no_answer")
    CallLog.objects.create(customer=ledger.b, user=ledger.c2, at=timezone.make_aware(dt.datetime(2026, 10, 1, 10)),
                           outcome="right_party_contact")  # after the quarter
    report = kpi_report(start=Q3[0], end=Q3[1], by="collector")
    c1 = next(g for g in report.groups if g.key == ledger.c1.pk)
    # c1: 5 attempts, 3 connects (rpc, wrong party, refusal), 2 right-party contacts.
    assert c1.figures["calls"] == {"attempts": 5, "connects": 3, "rpcs": 2, "promises": 0}
    assert c1.kpis["rpc_rate_per_attempt"]["display"] == "40.00"
    assert c1.kpis["rpc_rate_per_connect"]["display"] == "66.67"
    assert report.total.figures["calls"]["attempts"] == 6


def test_collector_attainment_against_the_targets_of_the_period(ledger):
    from arrears.worklist.models import Target

    for month in (7, 8, 9):
        Target.objects.create(scope="user", user=ledger.c1, period="monthly", start_date=D(2026, month, 1),
                              amount=Decimal(2000), currency="EUR")
    Target.objects.create(scope="user", user=ledger.c1, period="monthly", start_date=D(2026, 10, 1),
                          amount=Decimal(9999), currency="EUR")  # outside the quarter
    report = kpi_report(start=Q3[0], end=Q3[1], by="collector")
    c1 = next(g for g in report.groups if g.key == ledger.c1.pk)
    c2 = next(g for g in report.groups if g.key == ledger.c2.pk)
    # c1 collected 6,000 + 600 = 6,600 against 3 × 2,000 = 6,000 -> 110 %.
    assert c1.kpis["collector_attainment"]["display"] == "110.00"
    assert c2.kpis["collector_attainment"]["reason"] == "NO_TARGET"
    assert report.total.kpis["collector_attainment"]["display"] == "110.00"
    by_segment = kpi_report(start=Q3[0], end=Q3[1], by="segment")
    assert by_segment.groups[0].kpis["collector_attainment"]["reason"] == "NOT_APPLICABLE"
