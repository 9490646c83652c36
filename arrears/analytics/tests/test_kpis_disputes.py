"""§11 dispute resolution time."""

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.analytics.kpis import (
    Dispute,
    KpiInputError,
    Period,
    Reason,
    business_days_between,
    dispute_resolution_stats,
)

from .kpi_helpers import assert_figure, assert_undefined

Q2 = Period.quarter(2025, 2)
AS_OF = date(2025, 6, 30)
# Dispute, opened, closed, days (§11 worked example, closed in Q2 2025).
TABLE = [
    ("D1", date(2025, 4, 1), date(2025, 4, 3), 2),
    ("D2", date(2025, 4, 2), date(2025, 4, 9), 7),
    ("D3", date(2025, 4, 10), date(2025, 4, 15), 5),
    ("D4", date(2025, 4, 20), date(2025, 5, 20), 30),
    ("D5", date(2025, 5, 1), date(2025, 5, 5), 4),
    ("D6", date(2025, 5, 10), date(2025, 6, 24), 45),
    ("D7", date(2025, 6, 1), date(2025, 6, 11), 10),
    ("D8", date(2025, 6, 15), date(2025, 6, 16), 1),
]
DISPUTES = [Dispute(ref, opened, closed) for ref, opened, closed, _ in TABLE] + [Dispute("D9", date(2025, 3, 15))]


@pytest.mark.parametrize(("ref", "opened", "closed", "days"), TABLE)
def test_dispute_resolution_worked_example_rows_q2_2025(ref, opened, closed, days):
    assert (closed - opened).days == days


def test_dispute_resolution_worked_example_q2_2025():
    stats = dispute_resolution_stats(DISPUTES, AS_OF, period=Q2)
    assert stats.mean.exact == Fraction(104, 8)
    assert_figure(stats.mean, "13.00")
    assert stats.median.exact == Fraction(5 + 7, 2)  # sorted 1, 2, 4, 5, 7, 10, 30, 45
    assert_figure(stats.median, "6.00")
    assert stats.closed_count == 8


def test_dispute_resolution_worked_example_open_dispute_reported_separately():
    stats = dispute_resolution_stats(DISPUTES, AS_OF, period=Q2)
    assert stats.open_count == 1
    assert stats.oldest_open_age.exact == 107  # D9 opened 2025-03-15


def test_median_of_an_odd_count_is_the_middle_value():
    stats = dispute_resolution_stats(DISPUTES[:3], AS_OF)
    assert stats.median.exact == 5


def test_disputes_closed_outside_the_period_or_after_as_of_are_not_in_the_statistics():
    extra = [Dispute("D0", date(2025, 3, 1), date(2025, 3, 20)), Dispute("D10", date(2025, 6, 20), date(2025, 7, 2))]
    stats = dispute_resolution_stats([*DISPUTES, *extra], AS_OF, period=Q2)
    assert stats.closed_count == 8
    assert stats.open_count == 2  # D10 was still open at the as-of date
    assert stats.oldest_open_age.exact == 107


def test_no_closed_disputes_is_undefined():
    stats = dispute_resolution_stats([Dispute("D9", date(2025, 3, 15))], AS_OF, period=Q2)
    assert_undefined(stats.mean, Reason.NO_CLOSED_DISPUTES)
    assert_undefined(stats.median, Reason.NO_CLOSED_DISPUTES)
    assert stats.open_count == 1


def test_no_open_disputes_has_no_oldest_age():
    assert_undefined(dispute_resolution_stats(DISPUTES[:8], AS_OF).oldest_open_age, Reason.NO_OPEN_DISPUTES)


def test_business_days_variant_skips_weekends_and_holidays():
    friday, monday, tuesday = date(2025, 6, 6), date(2025, 6, 9), date(2025, 6, 10)
    assert business_days_between(friday, monday) == 1
    assert business_days_between(friday, tuesday, holidays={monday}) == 1
    stats = dispute_resolution_stats([Dispute("X", friday, tuesday)], AS_OF, day_count="business_days", holidays={monday})
    assert stats.mean.exact == 1
    assert stats.mean.method == "business_days"


def test_a_dispute_cannot_close_before_it_opens():
    with pytest.raises(KpiInputError, match="before it opens"):
        Dispute("X", date(2025, 6, 2), date(2025, 6, 1))


@given(st.lists(st.tuples(st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 6, 30)), st.integers(0, 200)), min_size=1, max_size=30))
def test_mean_and_median_lie_between_the_shortest_and_longest_resolution(specs):
    disputes = [Dispute(f"D{i}", opened, date.fromordinal(opened.toordinal() + days)) for i, (opened, days) in enumerate(specs)]
    stats = dispute_resolution_stats(disputes, date(2026, 1, 1))
    lengths = [days for _, days in specs]
    assert min(lengths) <= stats.median.exact <= max(lengths)
    assert min(lengths) <= stats.mean.exact <= max(lengths)
