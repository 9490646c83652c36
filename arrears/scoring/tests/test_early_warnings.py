"""Each early warning fires on a customer built to show it, and none fires on a healthy customer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arrears.ledger.tests.factories import BusinessUnitFactory
from arrears.scoring.models import EarlyWarning, WarningCode
from arrears.scoring.selectors import early_warning_list, early_warning_list_for_customer
from arrears.scoring.services import early_warnings_compute
from arrears.scoring.tests.factories import history_build

AS_OF = dt.date(2025, 12, 1)


def _start(n: int, every: int = 10) -> dt.date:
    """Start so that the last of ``n`` invoices is issued a few days before AS_OF."""
    return AS_OF - dt.timedelta(days=every * (n - 1) + 5)


@pytest.fixture
def healthy(db):
    customer, _ = history_build(start=_start(30), payments=[0] * 26 + [None] * 4, credit_limit=Decimal("10000"))
    return customer


def _codes(customer) -> set[str]:
    return set(EarlyWarning.objects.filter(customer=customer, as_of=AS_OF).values_list("code", flat=True))


def test_a_healthy_customer_gets_no_warning(healthy):
    early_warnings_compute(as_of=AS_OF, broken_promises={healthy.pk: [AS_OF - dt.timedelta(days=200)]},
                           disputes={healthy.pk: [AS_OF - dt.timedelta(days=300)]},
                           contacts={healthy.pk: [(AS_OF - dt.timedelta(days=3), "outbound", "delivered")]})

    assert _codes(healthy) == set()


def test_paying_slower_than_their_own_history(healthy):
    bu = healthy.business_unit
    slow, _ = history_build(business_unit=bu, start=_start(16, 20), every=20,
                            payments=[0, 1, 0, 2, 0, 1, 0, 0, 25, 30, 28, 35, 32, None, None, None])

    early_warnings_compute(as_of=AS_OF)

    assert _codes(slow) == {WarningCode.PAYING_SLOWER}
    warning = early_warning_list_for_customer(customer_id=slow.pk).get()
    assert "Paid the last 5 invoices on average 30 days after the due date" in warning.reason
    assert _codes(healthy) == set()


def test_balance_above_the_credit_limit(healthy):
    over, _ = history_build(business_unit=healthy.business_unit, start=_start(6), payments=[0, 0, 0, None, None, None],
                            credit_limit=Decimal("250"))

    early_warnings_compute(as_of=AS_OF)

    assert WarningCode.OVER_CREDIT_LIMIT in _codes(over)
    reason = EarlyWarning.objects.get(customer=over, code=WarningCode.OVER_CREDIT_LIMIT).reason
    assert "300.00 EUR is above the credit limit 250.00 EUR" in reason


def test_growing_balance_from_allocations_by_date(healthy):
    # one invoice every 10 days, none paid in the last 70 days: 100 -> 400 -> 700
    grows, _ = history_build(business_unit=healthy.business_unit, start=_start(12), payments=[0] * 4 + [None] * 8)

    early_warnings_compute(as_of=AS_OF)

    warning = EarlyWarning.objects.get(customer=grows, code=WarningCode.GROWING_BALANCE)
    assert Decimal(warning.details["balance"]) == Decimal("800")
    assert float(warning.details["balance_60_days_ago"]) < float(warning.details["balance_30_days_ago"]) < 800
    assert WarningCode.GROWING_BALANCE not in _codes(healthy)


def test_repeated_partial_payments(healthy):
    part = [(0, Decimal("40.00")), (20, Decimal("30.00"))]
    partial, _ = history_build(business_unit=healthy.business_unit, start=_start(6), payments=[part, part, 0, 0, None, None])

    early_warnings_compute(as_of=AS_OF)

    warning = EarlyWarning.objects.get(customer=partial, code=WarningCode.PARTIAL_PAYMENTS)
    # the second part of the second invoice is due after AS_OF: not counted yet
    assert warning.details == {"partial_payments": 3, "invoices": 2}


def test_broken_promises_rising_disputes_and_silence_from_given_facts(healthy):
    bu = healthy.business_unit
    broken, _ = history_build(business_unit=bu, start=_start(5), payments=[0, 0, 0, None, None])
    disputing, _ = history_build(business_unit=bu, start=_start(40), payments=[0] * 36 + [None] * 4)
    silent, _ = history_build(business_unit=bu, start=_start(5), payments=[0, None, None, None, None])
    days = [AS_OF - dt.timedelta(days=d) for d in (12, 8, 3)]  # the last payment came 15 days before AS_OF

    early_warnings_compute(
        as_of=AS_OF,
        broken_promises={broken.pk: days[:2], healthy.pk: [AS_OF - dt.timedelta(days=200)]},
        disputes={disputing.pk: [*days, AS_OF - dt.timedelta(days=300)], healthy.pk: [AS_OF - dt.timedelta(days=300)]},
        contacts={silent.pk: [(d, "outbound", "delivered") for d in days],
                  healthy.pk: [(d, "outbound", "delivered") for d in days[:1]]},
    )

    assert _codes(broken) == {WarningCode.BROKEN_PROMISES}
    assert _codes(disputing) == {WarningCode.RISING_DISPUTES}
    assert _codes(silent) == {WarningCode.SILENCE}
    assert _codes(healthy) == set()
    assert "No reply and no payment after 3 contacts" in EarlyWarning.objects.get(customer=silent).reason
    assert [w.customer_id for w in early_warning_list()] != []


def test_a_reply_ends_the_silence(healthy):
    silent, _ = history_build(business_unit=healthy.business_unit, start=_start(5), payments=[0, None, None, None, None])
    days = [AS_OF - dt.timedelta(days=d) for d in (12, 8, 3)]

    early_warnings_compute(as_of=AS_OF, contacts={
        silent.pk: [*[(d, "outbound", "delivered") for d in days], (days[1], "inbound", "conversation")],
    })

    assert _codes(silent) == set()


def test_computing_twice_replaces_the_days_warnings(healthy):
    over, _ = history_build(business_unit=BusinessUnitFactory(), start=_start(4), payments=[None] * 4,
                            credit_limit=Decimal("100"))
    early_warnings_compute(as_of=AS_OF)
    first = EarlyWarning.objects.count()

    early_warnings_compute(as_of=AS_OF)

    assert EarlyWarning.objects.count() == first >= 1
    assert WarningCode.OVER_CREDIT_LIMIT in _codes(over)
