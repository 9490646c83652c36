"""§10 promise-to-pay kept rate."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.analytics.kpis import (
    AccountPayment,
    KpiInputError,
    Period,
    Promise,
    PromiseStatus,
    Reason,
    promise_evaluate,
    ptp_kept_rate,
)

from .kpi_helpers import assert_figure, assert_undefined

JUNE = Period.month(2025, 6)
AS_OF = date(2025, 6, 30)
CREATED = date(2025, 6, 1)


def _promise(ref, amount, promise_date, *payments, cancelled=False):
    return Promise(
        ref, Decimal(amount), promise_date, CREATED,
        payments=tuple(AccountPayment(day, Decimal(paid)) for day, paid in payments), cancelled=cancelled,
    )


PROMISES = [
    _promise("P1", 500, date(2025, 6, 5), (date(2025, 6, 4), 500)),
    _promise("P2", 1000, date(2025, 6, 10), (date(2025, 6, 12), 1000)),
    _promise("P3", 750, date(2025, 6, 15), (date(2025, 6, 15), 400)),
    _promise("P4", 2000, date(2025, 6, 20), (date(2025, 6, 20), 2000)),
    _promise("P5", 300, date(2025, 6, 25)),
    _promise("P6", 1200, date(2025, 6, 28), cancelled=True),
    _promise("P7", 900, date(2025, 7, 3)),
]


@pytest.mark.parametrize(
    ("ref", "status", "credited"),
    [
        ("P1", PromiseStatus.KEPT, 500),
        ("P2", PromiseStatus.BROKEN, 0),  # paid late
        ("P3", PromiseStatus.BROKEN, 400),  # paid short
        ("P4", PromiseStatus.KEPT, 2000),
        ("P5", PromiseStatus.BROKEN, 0),
        ("P6", PromiseStatus.CANCELLED, 0),
        ("P7", PromiseStatus.PENDING, 0),
    ],
)
def test_ptp_worked_example_outcomes_june_2025(ref, status, credited):
    promise = next(p for p in PROMISES if p.ref == ref)
    outcome = promise_evaluate(promise, as_of=AS_OF)
    assert outcome.status is status
    assert outcome.credited == credited


def test_ptp_kept_rate_worked_example_june_2025():
    result = ptp_kept_rate(PROMISES, as_of=AS_OF, period=JUNE)
    assert (result.kept, result.broken, result.cancelled, result.pending) == (2, 3, 1, 0)  # P7 belongs to July
    assert result.count_rate.exact == 40
    assert_figure(result.count_rate, "40.00")
    assert result.amount_rate.exact == Fraction(2900, 4550) * 100
    assert_figure(result.amount_rate, "63.74")


def test_ptp_kept_rate_worked_example_with_two_grace_days():
    result = ptp_kept_rate(PROMISES, as_of=AS_OF, period=JUNE, grace_days=2)
    assert result.kept == 3
    assert_figure(result.count_rate, "60.00")
    assert result.amount_rate.exact == Fraction(3900, 4550) * 100
    assert_figure(result.amount_rate, "85.71")


def test_pending_and_cancelled_promises_are_excluded_from_both_rates():
    result = ptp_kept_rate(PROMISES, as_of=AS_OF)  # no period: July's P7 is included but still pending
    assert result.pending == 1
    assert result.cancelled == 1
    assert_figure(result.count_rate, "40.00")
    assert_figure(result.amount_rate, "63.74")


def test_a_promise_is_pending_until_its_deadline_passes():
    p2 = PROMISES[1]
    assert promise_evaluate(p2, as_of=date(2025, 6, 9)).status is PromiseStatus.PENDING
    assert promise_evaluate(p2, as_of=date(2025, 6, 10)).status is PromiseStatus.BROKEN
    assert promise_evaluate(p2, as_of=date(2025, 6, 11), grace_days=2).status is PromiseStatus.PENDING


def test_several_payments_may_jointly_keep_one_promise():
    promise = _promise("P", 750, date(2025, 6, 15), (date(2025, 6, 10), 400), (date(2025, 6, 15), 350))
    assert promise_evaluate(promise, as_of=AS_OF).status is PromiseStatus.KEPT


def test_payments_before_the_promise_was_made_do_not_count():
    promise = _promise("P", 500, date(2025, 6, 15), (date(2025, 5, 31), 500))
    assert promise_evaluate(promise, as_of=AS_OF).status is PromiseStatus.BROKEN


def test_overpayment_is_capped_at_the_promised_amount():
    over = _promise("P", 500, date(2025, 6, 15), (date(2025, 6, 14), 800))
    short = _promise("Q", 500, date(2025, 6, 15))
    result = ptp_kept_rate([over, short], as_of=AS_OF)
    assert result.amount_rate.exact == 50  # 500 of 1,000 promised, not 800
    assert promise_evaluate(over, as_of=AS_OF).paid_by_deadline == 800


def test_no_kept_or_broken_promise_is_undefined():
    result = ptp_kept_rate(PROMISES[5:], as_of=AS_OF)
    assert_undefined(result.count_rate, Reason.NO_EVALUATED_PROMISES)
    assert_undefined(result.amount_rate, Reason.NO_EVALUATED_PROMISES)


@pytest.mark.parametrize("grace", [-1, 1.5])
def test_grace_days_must_be_whole_and_not_negative(grace):
    with pytest.raises(KpiInputError, match="grace"):
        promise_evaluate(PROMISES[0], as_of=AS_OF, grace_days=grace)


@settings(max_examples=40)
@given(
    st.lists(
        st.tuples(st.integers(1, 10**6), st.integers(1, 28), st.lists(st.tuples(st.integers(1, 30), st.integers(1, 10**6)), max_size=3)),
        min_size=1,
        max_size=20,
    ),
    st.integers(0, 5),
)
def test_kept_rates_are_percentages_and_grace_never_breaks_a_kept_promise(specs, grace):
    promises = [
        _promise(f"P{i}", amount, date(2025, 6, day), *((date(2025, 6, d), paid) for d, paid in payments))
        for i, (amount, day, payments) in enumerate(specs)
    ]
    later = date(2025, 7, 31)  # every deadline has passed, with or without grace
    strict = ptp_kept_rate(promises, as_of=later, period=JUNE)
    lenient = ptp_kept_rate(promises, as_of=later, period=JUNE, grace_days=grace)
    assert 0 <= strict.count_rate.exact <= 100
    assert 0 <= strict.amount_rate.exact <= 100
    assert strict.kept + strict.broken == len(promises)
    assert lenient.kept >= strict.kept
    assert lenient.amount_rate.exact >= strict.amount_rate.exact
