"""§14 collector productivity against target."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from arrears.analytics.kpis import (
    AppliedPayment,
    KpiInputError,
    Ownership,
    Period,
    Reason,
    Touch,
    attribute_collections,
    average_fte,
    cash_per_fte,
    collector_attainment,
    fte,
)

from .kpi_helpers import assert_figure, assert_undefined

JUNE = Period.month(2025, 6)


def test_collector_attainment_worked_example_c1_june():
    result = collector_attainment(Decimal(412500), Decimal(375000))
    assert result.exact == 110
    assert_figure(result, "110.00")


def test_cash_per_fte_worked_example_team_of_five():
    team_fte = average_fte([[fte(40, 40)] * 4 + [fte(20, 40)]])
    assert team_fte == Fraction(9, 2)
    result = cash_per_fte(Decimal(1650000), team_fte)
    assert result.exact == Fraction(1650000 * 2, 9)
    assert_figure(result, "366666.67")


def test_average_fte_averages_the_team_over_the_period():
    # Four full-timers all month; a part-timer (0.5) joins for half of the samples.
    assert average_fte([[1, 1, 1, 1], [1, 1, 1, 1, Fraction(1, 2)]]) == Fraction(17, 4)


def test_a_zero_target_or_zero_fte_is_undefined():
    assert_undefined(collector_attainment(Decimal(1000), Decimal(0)), Reason.ZERO_TARGET)
    assert_undefined(cash_per_fte(Decimal(1000), 0), Reason.ZERO_FTE)


def test_fte_needs_positive_standard_hours():
    with pytest.raises(KpiInputError, match="standard"):
        fte(20, 0)


OWNERSHIP = [
    Ownership("ACC-1", "C1", date(2025, 1, 1), date(2025, 6, 15)),
    Ownership("ACC-1", "C2", date(2025, 6, 16)),
    Ownership("ACC-2", "C1", date(2025, 1, 1)),
]


def test_a_payment_is_attributed_to_the_owner_on_its_application_date():
    payments = [
        AppliedPayment("p1", "ACC-1", Decimal("100.00"), date(2025, 6, 15)),
        AppliedPayment("p2", "ACC-1", Decimal("200.00"), date(2025, 6, 16)),
        AppliedPayment("p3", "ACC-2", Decimal("50.00"), date(2025, 6, 30)),
        AppliedPayment("p4", "ACC-2", Decimal("999.00"), None),  # unapplied: not attributed
        AppliedPayment("p5", "ACC-2", Decimal("888.00"), date(2025, 7, 1)),  # outside the period
    ]
    assert attribute_collections(payments, OWNERSHIP, period=JUNE) == {"C1": Decimal("150.00"), "C2": Decimal("200.00")}


def test_the_stricter_rule_counts_only_payments_preceded_by_a_touch_within_the_window():
    payments = [
        AppliedPayment("p1", "ACC-2", Decimal(100), date(2025, 6, 10)),
        AppliedPayment("p2", "ACC-2", Decimal(200), date(2025, 6, 30)),
    ]
    touches = [Touch("ACC-2", date(2025, 5, 1)), Touch("ACC-2", date(2025, 5, 31))]
    assert attribute_collections(payments, OWNERSHIP, period=JUNE, touches=touches) == {"C1": Decimal(300)}
    assert attribute_collections(payments, OWNERSHIP, period=JUNE, touches=touches, touch_window_days=20) == {"C1": Decimal(100)}


def test_overlapping_owners_are_an_error():
    owners = [Ownership("A", "C1", date(2025, 1, 1)), Ownership("A", "C2", date(2025, 6, 1))]
    with pytest.raises(KpiInputError, match="2 owners"):
        attribute_collections([AppliedPayment("p", "A", Decimal(1), date(2025, 6, 5))], owners, period=JUNE)
