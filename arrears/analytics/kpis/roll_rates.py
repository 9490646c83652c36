"""Roll (flow) rates between aging buckets and the migration matrix (KPIS.md §7)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from .aging import DUE_DATE_AGING, AgingReport, BucketScheme
from .core import KpiInputError, KpiResult, Number, Reason, Unit, percent, require_choice, to_fraction

PAID = "paid"
WRITTEN_OFF = "written_off"
TERMINAL = (PAID, WRITTEN_OFF)
ROLL_METHODS = ("cohort", "aggregate")


@dataclass(frozen=True, slots=True)
class SnapshotItem:
    """One item (invoice or account) in a snapshot: its bucket and balance at the snapshot date.

    In the later snapshot an item that left AR carries bucket ``paid`` or ``written_off``.
    """

    ref: str
    bucket: str
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Snapshot:
    as_of: date
    items: tuple[SnapshotItem, ...]
    scheme: BucketScheme = DUE_DATE_AGING

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        allowed = set(self.scheme.labels) | set(TERMINAL)
        seen: set[str] = set()
        for item in self.items:
            if item.bucket not in allowed:
                raise KpiInputError(f"snapshot {self.as_of}: item {item.ref} has unknown bucket {item.bucket!r}")
            if item.ref in seen:
                raise KpiInputError(f"snapshot {self.as_of}: item {item.ref} appears twice")
            seen.add(item.ref)
            to_fraction(item.balance, f"{item.ref}.balance")

    def bucket_totals(self) -> dict[str, Fraction]:
        totals = dict.fromkeys(self.scheme.labels, Fraction(0))
        for item in self.items:
            if item.bucket in totals:
                totals[item.bucket] += to_fraction(item.balance)
        return totals


def snapshot_from_aging(report: AgingReport) -> Snapshot:
    """The item-level snapshot of an aging report (open items only; unapplied lines are not tracked)."""
    return Snapshot(report.as_of, tuple(SnapshotItem(i.ref, i.bucket, i.open_amount) for i in report.items), report.scheme)


@dataclass(frozen=True, slots=True)
class MigrationMatrix:
    """Rows: bucket at t−1; columns: bucket at t plus ``paid`` and ``written_off``; cells: t−1 balances."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: dict[tuple[str, str], Fraction]

    def row_total(self, row: str) -> Fraction:
        return sum((self.cells[row, c] for c in self.columns), Fraction(0))

    def rate(self, row: str, column: str) -> KpiResult:
        """Share of the t−1 balance of ``row`` that is in ``column`` at t, in %; empty row → ``EMPTY_BUCKET``."""
        total = self.row_total(row)
        kpi = f"migration:{row}->{column}"
        if total == 0:
            return KpiResult.undefined(kpi, Unit.PERCENT, Reason.EMPTY_BUCKET, method="cohort")
        return KpiResult.of(kpi, Unit.PERCENT, percent(self.cells[row, column], total), method="cohort")


def migration_matrix(prev: Snapshot, curr: Snapshot) -> MigrationMatrix:
    """Track every item of ``prev`` to its state in ``curr`` (cohort method), weighting by its t−1 balance."""
    _same_scheme(prev.scheme, curr.scheme)
    rows = prev.scheme.labels
    columns = (*curr.scheme.labels, *TERMINAL)
    cells = {(r, c): Fraction(0) for r in rows for c in columns}
    later = {item.ref: item for item in curr.items}
    for item in prev.items:
        if item.bucket in TERMINAL:
            continue
        if item.ref not in later:
            raise KpiInputError(
                f"item {item.ref} is in the {prev.as_of} snapshot but not in the {curr.as_of} one; "
                "give it bucket 'paid' or 'written_off' if it left AR"
            )
        cells[item.bucket, later[item.ref].bucket] += to_fraction(item.balance)
    return MigrationMatrix(rows, columns, cells)


def _same_scheme(a: BucketScheme, b: BucketScheme) -> None:
    if a != b:
        raise KpiInputError(f"snapshots use different aging schemes ({a} vs {b}); roll rates need the same anchor and edges")


def _forward_pairs(scheme: BucketScheme) -> list[tuple[str, str]]:
    labels = scheme.labels
    return list(itertools.pairwise(labels))


def roll_rates(
    prev: Snapshot | Mapping[str, Number],
    curr: Snapshot | Mapping[str, Number],
    *,
    method: str = "cohort",
    scheme: BucketScheme | None = None,
) -> dict[tuple[str, str], KpiResult]:
    """Forward roll rate for each bucket into the next one, in %.

    ``method="cohort"`` (normative) needs item-level snapshots: Σ t−1 balance of the items of b that
    are in b+1 at t / Σ t−1 balance of b. ``method="aggregate"`` (approximation) is
    B_{b+1}(t) / B_b(t−1) from bucket totals; snapshots or ``{bucket: total}`` mappings are accepted
    (mappings use ``scheme``, default due-date buckets). Bucket b empty at t−1 → ``EMPTY_BUCKET``.
    """
    require_choice("method", method, ROLL_METHODS)
    if method == "cohort":
        if not isinstance(prev, Snapshot) or not isinstance(curr, Snapshot):
            raise KpiInputError("the cohort method tracks items: pass two Snapshot objects (or use method='aggregate')")
        matrix = migration_matrix(prev, curr)
        return {(b, nxt): matrix.rate(b, nxt) for b, nxt in _forward_pairs(prev.scheme)}

    prev_scheme = prev.scheme if isinstance(prev, Snapshot) else (scheme or DUE_DATE_AGING)
    curr_scheme = curr.scheme if isinstance(curr, Snapshot) else (scheme or DUE_DATE_AGING)
    _same_scheme(prev_scheme, curr_scheme)
    before = _totals(prev, prev_scheme)
    after = _totals(curr, curr_scheme)
    out = {}
    for b, nxt in _forward_pairs(prev_scheme):
        kpi = f"roll:{b}->{nxt}"
        if before[b] == 0:
            out[b, nxt] = KpiResult.undefined(kpi, Unit.PERCENT, Reason.EMPTY_BUCKET, method="aggregate")
        else:
            out[b, nxt] = KpiResult.of(kpi, Unit.PERCENT, percent(after[nxt], before[b]), method="aggregate")
    return out


def _totals(source: Snapshot | Mapping[str, Number], scheme: BucketScheme) -> dict[str, Fraction]:
    if isinstance(source, Snapshot):
        return source.bucket_totals()
    unknown = set(source) - set(scheme.labels)
    if unknown:
        raise KpiInputError(f"unknown buckets {sorted(unknown)}; expected {', '.join(scheme.labels)}")
    return {lb: to_fraction(source.get(lb, 0), f"bucket {lb}") for lb in scheme.labels}


def chained_roll_rate(
    rates: Mapping[tuple[str, str], KpiResult] | Iterable[KpiResult], *, start: str | None = None, end: str | None = None
) -> KpiResult:
    """Net-flow loss rate: the product of successive roll rates (from ``start`` to ``end``), in %.

    With a mapping from ``roll_rates``, ``start``/``end`` pick the chain (default: first to last bucket).
    Any undefined link makes the chain undefined with that link's reason.
    """
    if isinstance(rates, Mapping):
        pairs = list(rates)
        labels = [pairs[0][0], *(p[1] for p in pairs)] if pairs else []
        first = labels.index(start) if start is not None else 0
        last = labels.index(end) if end is not None else len(labels) - 1
        if last <= first:
            raise KpiInputError(f"chain from {start} to {end} has no steps")
        links = [rates[labels[i], labels[i + 1]] for i in range(first, last)]
    else:
        links = list(rates)
    if not links:
        raise KpiInputError("a chained roll rate needs at least one roll rate")
    product = Fraction(1)
    for link in links:
        if link.exact is None:
            assert link.reason is not None
            return KpiResult.undefined("chained_roll_rate", Unit.PERCENT, link.reason, method=link.method)
        product *= link.exact / 100
    return KpiResult.of("chained_roll_rate", Unit.PERCENT, product * 100, method=links[0].method)
