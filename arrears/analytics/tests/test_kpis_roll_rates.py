"""§7 roll (flow) rates: cohort method, migration matrix, aggregate approximation, chained loss rate."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.analytics.kpis import (
    INVOICE_DATE_AGING,
    PAID,
    WRITTEN_OFF,
    BucketScheme,
    KpiInputError,
    OpenItem,
    Reason,
    Snapshot,
    SnapshotItem,
    aging_report,
    chained_roll_rate,
    migration_matrix,
    roll_rates,
    snapshot_from_aging,
)

from .kpi_helpers import assert_figure, assert_undefined

MAY, JUNE = date(2025, 5, 31), date(2025, 6, 30)
# From bucket at 31 May, balance, of which in the next bucket at 30 Jun, roll rate (§7 worked example).
TABLE = [
    ("current", "1-30", 800000, 96000, "12.00"),
    ("1-30", "31-60", 150000, 45000, "30.00"),
    ("31-60", "61-90", 60000, 24000, "40.00"),
    ("61-90", "91-120", 25000, 12500, "50.00"),
    ("91-120", "121+", 10000, 6000, "60.00"),
]


def _worked_example_snapshots():
    """Each bucket holds a rolling item (partly paid during June) and the rest (paid, cured, stayed or written off)."""
    prev, curr = [], []
    fates = {"current": "current", "1-30": PAID, "31-60": "1-30", "61-90": "61-90", "91-120": WRITTEN_OFF}
    for src, dst, balance, rolled, _ in TABLE:
        prev += [SnapshotItem(f"{src}/roll", src, Decimal(rolled)), SnapshotItem(f"{src}/rest", src, Decimal(balance - rolled))]
        curr += [
            SnapshotItem(f"{src}/roll", dst, Decimal(rolled) / 2),  # payments by rolling items do not lower the rate
            SnapshotItem(f"{src}/rest", fates[src], Decimal(0) if fates[src] in (PAID, WRITTEN_OFF) else Decimal(balance - rolled)),
        ]
    curr.append(SnapshotItem("new-in-june", "current", Decimal(50000)))  # new items are not part of the cohort
    return Snapshot(MAY, tuple(prev)), Snapshot(JUNE, tuple(curr))


@pytest.mark.parametrize(("src", "dst", "balance", "rolled", "shown"), TABLE)
def test_roll_rates_worked_example_cohort_may_to_june_2025(src, dst, balance, rolled, shown):
    prev, curr = _worked_example_snapshots()
    result = roll_rates(prev, curr)[src, dst]
    assert result.exact == Fraction(rolled, balance) * 100
    assert_figure(result, shown)


def test_roll_rates_worked_example_chained_current_to_120_plus():
    prev, curr = _worked_example_snapshots()
    result = chained_roll_rate(roll_rates(prev, curr), start="current", end="121+")
    assert result.exact == Fraction("0.432")  # 0.12 × 0.30 × 0.40 × 0.50 × 0.60 = 0.00432
    assert result.value == Decimal("0.432")
    assert_figure(result, "0.43")


def test_migration_matrix_reports_paid_cured_stayed_and_written_off():
    prev, curr = _worked_example_snapshots()
    matrix = migration_matrix(prev, curr)
    assert matrix.columns[-2:] == (PAID, WRITTEN_OFF)
    assert matrix.cells["1-30", PAID] == 105000
    assert matrix.cells["31-60", "1-30"] == 36000  # backward roll (cure)
    assert matrix.cells["61-90", "61-90"] == 12500  # stayed
    assert matrix.cells["91-120", WRITTEN_OFF] == 4000
    assert_figure(matrix.rate("91-120", WRITTEN_OFF), "40.00")
    assert sum(matrix.rate("current", c).exact for c in matrix.columns) == 100


def test_roll_rate_of_an_empty_bucket_is_undefined():
    prev, curr = _worked_example_snapshots()
    assert_undefined(migration_matrix(prev, curr).rate("121+", PAID), Reason.EMPTY_BUCKET)  # nothing was 121+ on 31 May
    only_current = Snapshot(MAY, (SnapshotItem("A", "current", Decimal(100)),))
    later = Snapshot(JUNE, (SnapshotItem("A", "1-30", Decimal(100)),))
    assert_undefined(roll_rates(only_current, later)["1-30", "31-60"], Reason.EMPTY_BUCKET)
    assert_undefined(chained_roll_rate(roll_rates(only_current, later)), Reason.EMPTY_BUCKET)


def test_roll_rates_refuse_snapshots_with_different_aging_anchors():
    prev = Snapshot(MAY, (SnapshotItem("A", "current", Decimal(100)),))
    curr = Snapshot(JUNE, (SnapshotItem("A", "0-30", Decimal(100)),), scheme=INVOICE_DATE_AGING)
    with pytest.raises(KpiInputError, match="same anchor"):
        roll_rates(prev, curr)


def test_an_item_missing_from_the_later_snapshot_is_an_error_naming_it():
    prev = Snapshot(MAY, (SnapshotItem("INV-77", "1-30", Decimal(100)),))
    with pytest.raises(KpiInputError, match="INV-77"):
        roll_rates(prev, Snapshot(JUNE, ()))


@pytest.mark.parametrize(
    "items",
    [
        (SnapshotItem("A", "bogus", Decimal(1)),),
        (SnapshotItem("A", "current", Decimal(1)), SnapshotItem("A", "1-30", Decimal(1))),
    ],
)
def test_snapshots_refuse_unknown_buckets_and_duplicate_items(items):
    with pytest.raises(KpiInputError):
        Snapshot(MAY, items)


def test_aggregate_method_divides_next_bucket_total_by_this_bucket_total():
    before = {"current": Decimal(800000), "1-30": Decimal(150000), "31-60": Decimal(0)}
    after = {"current": Decimal(820000), "1-30": Decimal(100000), "31-60": Decimal(60000)}
    rates = roll_rates(before, after, method="aggregate")
    assert rates["current", "1-30"].exact == Fraction(100000, 800000) * 100
    assert rates["1-30", "31-60"].exact == 40
    assert rates["current", "1-30"].method == "aggregate"
    assert_undefined(rates["31-60", "61-90"], Reason.EMPTY_BUCKET)


def test_aggregate_method_accepts_snapshots_and_differs_from_cohort():
    prev, curr = _worked_example_snapshots()
    rates = roll_rates(prev, curr, method="aggregate")
    # 30 Jun 1-30 holds the rolled current item (48,000, after payment) and the cured 31-60 item (36,000).
    assert rates["current", "1-30"].exact == Fraction(48000 + 36000, 800000) * 100


def test_cohort_method_needs_item_snapshots():
    with pytest.raises(KpiInputError, match="Snapshot"):
        roll_rates({"current": Decimal(1)}, {"current": Decimal(1)})


def test_snapshot_from_aging_reports_tracks_items_between_month_ends():
    items = [OpenItem("A", date(2025, 5, 1), date(2025, 5, 31), Decimal(1000)), OpenItem("B", date(2025, 5, 20), date(2025, 6, 19), Decimal(500))]
    prev = snapshot_from_aging(aging_report(items, MAY))
    curr = snapshot_from_aging(aging_report(items, JUNE))
    rates = roll_rates(prev, curr)
    assert rates["current", "1-30"].exact == 100  # both were current on 31 May, both 1-30 on 30 Jun


@settings(max_examples=40)
@given(
    st.lists(
        st.tuples(st.sampled_from(BucketScheme().labels), st.sampled_from((*BucketScheme().labels, PAID, WRITTEN_OFF)),
                  st.integers(0, 10**7)),
        max_size=40,
    )
)
def test_cohort_rates_are_between_0_and_100_and_each_matrix_row_sums_to_100(moves):
    prev = Snapshot(MAY, tuple(SnapshotItem(str(i), a, Decimal(c)) for i, (a, _, c) in enumerate(moves)))
    curr = Snapshot(JUNE, tuple(SnapshotItem(str(i), b, Decimal(c // 2)) for i, (_, b, c) in enumerate(moves)))
    for rate in roll_rates(prev, curr).values():
        assert rate.exact is None or 0 <= rate.exact <= 100
    matrix = migration_matrix(prev, curr)
    for row in matrix.rows:
        rates = [matrix.rate(row, c) for c in matrix.columns]
        if rates[0].is_defined:
            assert sum(r.exact for r in rates) == 100

