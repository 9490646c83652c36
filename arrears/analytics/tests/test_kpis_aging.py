"""§6 aging buckets (due date and invoice date), §8 percent current, and the §4 "avg_days_past_due_open" variant."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.analytics.kpis import (
    INVOICE_DATE_AGING,
    AppliedAmount,
    BucketScheme,
    KpiInputError,
    OpenItem,
    Reason,
    UnappliedItem,
    age_bucket,
    age_bucket_by_invoice_date,
    aging_report,
    ar_balance,
    avg_days_past_due_open,
    days_past_due,
    percent_current,
    percent_over_90,
)

from .kpi_helpers import assert_figure, assert_undefined

AS_OF = date(2025, 6, 30)
# Invoice, invoice date, terms, due date, open, dpd, due-date bucket, age, invoice-date bucket (§6 worked example).
TABLE = [
    ("INV-1", date(2025, 6, 10), 30, date(2025, 7, 10), 5000, -10, "current", 20, "0-30"),
    ("INV-2", date(2025, 5, 15), 30, date(2025, 6, 14), 3000, 16, "1-30", 46, "31-60"),
    ("INV-3", date(2025, 4, 1), 45, date(2025, 5, 16), 2000, 45, "31-60", 90, "61-90"),
    ("INV-4", date(2025, 3, 1), 30, date(2025, 3, 31), 4000, 91, "91-120", 121, "121+"),
    ("INV-5", date(2025, 1, 15), 30, date(2025, 2, 14), 1500, 136, "121+", 166, "121+"),
    ("INV-6", date(2025, 4, 20), 60, date(2025, 6, 19), 2500, 11, "1-30", 71, "61-90"),
    ("INV-7", date(2025, 3, 10), 60, date(2025, 5, 9), 1000, 52, "31-60", 112, "91-120"),
]
ITEMS = [OpenItem(ref, inv, due, Decimal(amount)) for ref, inv, _, due, amount, *_ in TABLE]


@pytest.mark.parametrize(("ref", "invoice_date", "terms", "due", "amount", "dpd", "due_bucket", "age", "inv_bucket"), TABLE)
def test_aging_worked_example_rows_30_jun_2025(ref, invoice_date, terms, due, amount, dpd, due_bucket, age, inv_bucket):
    assert invoice_date + timedelta(days=terms) == due
    assert days_past_due(AS_OF, due) == dpd
    assert age_bucket(AS_OF, due) == due_bucket
    assert (AS_OF - invoice_date).days == age
    assert age_bucket_by_invoice_date(AS_OF, invoice_date) == inv_bucket


def test_aging_worked_example_due_date_buckets_30_jun_2025():
    report = aging_report(ITEMS, AS_OF)
    assert report.buckets == {
        "current": 5000, "1-30": 5500, "31-60": 3000, "61-90": 0, "91-120": 4000, "121+": 1500,
    }
    assert report.total == 19000


def test_aging_worked_example_invoice_date_buckets_30_jun_2025():
    report = aging_report(ITEMS, AS_OF, scheme=INVOICE_DATE_AGING)
    assert report.buckets == {"0-30": 5000, "31-60": 3000, "61-90": 4500, "91-120": 1000, "121+": 5500}
    assert report.total == 19000


def test_percent_current_worked_example_30_jun_2025():
    result = aging_report(ITEMS, AS_OF).percent_current()
    assert result.exact == Fraction(5000, 19000) * 100
    assert_figure(result, "26.32")
    assert_figure(percent_current(Decimal(5000), Decimal(19000)), "26.32")


def test_percent_over_90_worked_example_30_jun_2025():
    result = aging_report(ITEMS, AS_OF).percent_over(90)
    assert result.exact == Fraction(5500, 19000) * 100
    assert_figure(result, "28.95")
    assert_figure(percent_over_90(Decimal(5500), Decimal(19000)), "28.95")


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [
        (-10, "current"), (0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
        (90, "61-90"), (91, "91-120"), (120, "91-120"), (121, "121+"), (1000, "121+"),
    ],
)
def test_due_date_bucket_edges(dpd, bucket):
    assert age_bucket(AS_OF, AS_OF - timedelta(days=dpd)) == bucket


@pytest.mark.parametrize(
    ("age", "bucket"), [(0, "0-30"), (30, "0-30"), (31, "31-60"), (90, "61-90"), (120, "91-120"), (121, "121+")]
)
def test_invoice_date_bucket_edges(age, bucket):
    assert age_bucket_by_invoice_date(AS_OF, AS_OF - timedelta(days=age)) == bucket


def test_invoice_dated_after_the_as_of_date_has_no_invoice_date_bucket():
    with pytest.raises(KpiInputError, match="after the as-of date"):
        age_bucket_by_invoice_date(AS_OF, AS_OF + timedelta(days=1))


def test_bucket_edges_are_configurable():
    scheme = BucketScheme("due_date", (15, 45))
    assert scheme.labels == ("current", "1-15", "16-45", "46+")
    assert age_bucket(AS_OF, AS_OF - timedelta(days=16), edges=(15, 45)) == "16-45"
    assert scheme.labels_over(45) == ("46+",)


@pytest.mark.parametrize("edges", [(), (0, 30), (30, 30), (60, 30), (30.0,)])
def test_bucket_edges_must_be_positive_increasing_days(edges):
    with pytest.raises(KpiInputError, match="edges"):
        BucketScheme("due_date", edges)


def test_disputed_items_stay_in_their_natural_bucket_and_are_counted_as_of_which_disputed():
    items = [*ITEMS[:3], OpenItem("INV-4", date(2025, 3, 1), date(2025, 3, 31), Decimal(4000), disputed=True)]
    report = aging_report(items, AS_OF)
    assert report.buckets["91-120"] == 4000
    assert report.disputed == {"current": 0, "1-30": 0, "31-60": 0, "61-90": 0, "91-120": 4000, "121+": 0}


def test_balance_is_the_open_amount_at_the_as_of_date():
    item = OpenItem(
        "INV-2", date(2025, 5, 15), date(2025, 6, 14), Decimal("3000.00"),
        applications=(AppliedAmount(date(2025, 6, 20), Decimal("1000.00")), AppliedAmount(date(2025, 7, 1), Decimal("2000.00"))),
    )
    report = aging_report([item], AS_OF)
    assert report.buckets["1-30"] == Decimal("2000.00")  # the July application is after the as-of date
    assert aging_report([item], date(2025, 7, 1)).total == 0


def test_items_issued_after_the_as_of_date_are_not_aged():
    later = OpenItem("INV-9", date(2025, 7, 1), date(2025, 7, 31), Decimal(999))
    assert aging_report([*ITEMS, later], AS_OF).total == 19000


def test_unapplied_cash_and_credits_are_their_own_line_aged_by_their_date_and_reduce_total_ar():
    unapplied = [
        UnappliedItem("PAY-1", date(2025, 6, 25), Decimal("1200.00")),
        UnappliedItem("CM-1", date(2025, 4, 1), Decimal("300.00"), kind="credit_memo"),
    ]
    report = aging_report(ITEMS, AS_OF, unapplied=unapplied)
    assert report.unapplied["1-30"] == Decimal("-1200.00")
    assert report.unapplied["61-90"] == Decimal("-300.00")
    assert report.unapplied_total == Decimal("-1500.00")
    assert report.open_items_total == 19000
    assert report.total == 17500
    assert_figure(report.percent_current(), "28.57")  # 5,000 / 17,500


@pytest.mark.parametrize("total", [Decimal(0), Decimal(-100)])
def test_percent_current_with_no_positive_total_ar_is_undefined(total):
    assert_undefined(percent_current(Decimal(0), total), Reason.NON_POSITIVE_TOTAL_AR)


def test_percent_current_needs_due_date_aging():
    with pytest.raises(KpiInputError, match="due-date"):
        aging_report(ITEMS, AS_OF, scheme=INVOICE_DATE_AGING).percent_current()


def test_avg_days_past_due_open_is_a_separate_amount_weighted_figure():
    # Past-due items of the §6 example: Σ open × dpd / Σ open over INV-2..INV-7.
    weighted = 3000 * 16 + 2000 * 45 + 4000 * 91 + 1500 * 136 + 2500 * 11 + 1000 * 52
    result = avg_days_past_due_open(ITEMS, AS_OF)
    assert result.kpi == "avg_days_past_due_open"
    assert result.exact == Fraction(weighted, 14000)


def test_avg_days_past_due_open_without_past_due_items_is_undefined():
    assert_undefined(avg_days_past_due_open(ITEMS[:1], AS_OF), Reason.NO_PAST_DUE_ITEMS)


def test_total_ar_is_gross_of_the_allowance_unless_net_is_chosen():
    assert ar_balance(Decimal(19000)) == 19000
    assert ar_balance(Decimal(19000), bad_debt_allowance=Decimal(1500)) == 19000
    assert ar_balance(Decimal(19000), variant="net", bad_debt_allowance=Decimal(1500)) == 17500


items_strategy = st.lists(
    st.builds(
        lambda i, inv_offset, terms, cents, disputed: OpenItem(
            f"I{i}", AS_OF - timedelta(days=inv_offset), AS_OF - timedelta(days=inv_offset) + timedelta(days=terms),
            Decimal(cents).scaleb(-2), disputed=disputed,
        ),
        st.integers(), st.integers(0, 400), st.integers(0, 90), st.integers(1, 10**8), st.booleans(),
    ),
    max_size=30,
)


@given(items_strategy)
def test_every_item_lands_in_one_bucket_and_buckets_sum_to_total_ar(items):
    for scheme in (BucketScheme("due_date"), INVOICE_DATE_AGING):
        report = aging_report(items, AS_OF, scheme=scheme)
        assert sum(report.buckets.values()) == report.total == sum(i.amount for i in items)
        assert all(report.disputed[b] <= report.buckets[b] for b in scheme.labels)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)), st.integers(0, 400), st.integers(0, 400))
def test_bucket_never_improves_as_the_as_of_date_grows(due, offset, extra):
    labels = BucketScheme("due_date").labels
    earlier = age_bucket(due + timedelta(days=offset - 200), due)
    later = age_bucket(due + timedelta(days=offset - 200 + extra), due)
    assert labels.index(later) >= labels.index(earlier)


def test_aging_refuses_float_amounts_naming_the_item():
    with pytest.raises(KpiInputError, match="INV-F"):
        aging_report([OpenItem("INV-F", AS_OF, AS_OF, 10.5)], AS_OF)
