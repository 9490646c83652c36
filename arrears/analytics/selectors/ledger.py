"""The KPI inputs read from the ledger with SQL aggregates, grouped by a key and a currency.

Nothing here loops over documents or allocations in Python: every read is a GROUP BY whose result
has one row per group (and, for currencies other than the reporting one, per transaction date, so
each day's amount is converted at that day's rate). Amounts are summed as integer thousandths of the
unit (the ledger keeps three decimals), which keeps SQLite's sums exact.

History comes from the allocation history (KPIS.md §6): a document's open amount at the end of a
day is its amount less the allocations dated on or before that day. As in `ledger.aging`, it is read
as "open amount now + allocations dated later", which touches only what is open now and what was
allocated since.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Greatest, Round

from arrears.analytics.errors import AnalyticsError, AnalyticsErrorCode
from arrears.analytics.kpis import DUE_DATE_AGING
from arrears.analytics.models import BUCKET_FIELDS, BalanceSnapshot
from arrears.analytics.selectors.fx import FxTable
from arrears.ledger.models import (
    Allocation,
    AllocationSource,
    Document,
    DocumentKind,
    DocumentStatus,
    Payment,
    WriteOff,
)

GROUPINGS = ("business-unit", "segment", "collector", "strategy", "arm", "customer")
BUCKETS = DUE_DATE_AGING.labels  # current, 1-30, 31-60, 61-90, 91-120, 121+
N = len(BUCKETS)
OPEN_STATUSES = (DocumentStatus.OPEN, DocumentStatus.PARTIALLY_PAID)
DEBIT = ~Q(kind=DocumentKind.CREDIT_NOTE)
MILLI = Decimal("0.001")

Key = Any


# --- scope and grouping -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose accounts: `user` applies the ledger permission gate (a lead sees the team's customers);
    `collector_ids` narrows further (a team's dashboard). None means no restriction."""

    user: Any = None
    collector_ids: tuple[int, ...] | None = None

    def collectors(self) -> list[int] | None:
        visible = self.user.visible_collector_ids() if self.user is not None else None
        if visible is None:
            return None if self.collector_ids is None else list(self.collector_ids)
        if self.collector_ids is None:
            return list(visible)
        return sorted(set(visible) & set(self.collector_ids))

    def apply(self, qs: QuerySet[Any], customer_path: str) -> QuerySet[Any]:
        ids = self.collectors()
        if ids is None:
            return qs
        prefix = f"{customer_path}__" if customer_path else ""
        return qs.filter(**{f"{prefix}collector_id__in": ids})


EVERYONE = Scope()


def check_grouping(by: str | None) -> None:
    if by is not None and by not in GROUPINGS:
        raise AnalyticsError(AnalyticsErrorCode.BAD_GROUPING, f"--by must be one of {', '.join(GROUPINGS)}, not {by!r}")


def key_path(by: str | None, customer_path: str, *, collector_path: str | None = None) -> str | None:
    """The ORM path of the group key, starting from the customer reached by `customer_path`."""
    if by is None:
        return None
    p = f"{customer_path}__" if customer_path else ""
    if by == "collector" and collector_path:
        return collector_path
    return {
        "business-unit": f"{p}business_unit_id",
        "segment": f"{p}segment",
        "collector": f"{p}collector_id",
        "strategy": f"{p}dunning_state__strategy_version__strategy_id",
        "arm": f"{p}dunning_state__arm",
        "customer": f"{customer_path}_id" if customer_path else "id",
    }[by]


# --- SQL helpers --------------------------------------------------------------------------------------


def milli(field_name: str) -> Cast:
    """An amount in integer thousandths (SQLite stores decimals as floats; integer sums stay exact)."""
    return Cast(Round(F(field_name) * Value(1000)), BigIntegerField())


class DaysBetween(Func):
    """``later - earlier`` in whole days, for two date columns, on SQLite and PostgreSQL."""

    arity = 2
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(", **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)


def _csum(condition: Q, then: Any) -> Sum:
    return Sum(Case(When(condition, then=then), default=Value(0), output_field=BigIntegerField()))


def bucket_conditions(anchor: str, as_of: dt.date) -> list[Q]:
    """Due-date buckets as date bounds on `anchor` (days past due = as_of - due date)."""
    edges = DUE_DATE_AGING.edges
    bounds: list[tuple[int | None, int | None]] = [(None, 0)]
    low = 1
    for e in edges:
        bounds.append((low, e))
        low = e + 1
    bounds.append((low, None))
    out = []
    for lo, hi in bounds:
        q = Q()
        if lo is not None:
            q &= Q(**{f"{anchor}__lte": as_of - dt.timedelta(days=lo)})
        if hi is not None:
            q &= Q(**{f"{anchor}__gte": as_of - dt.timedelta(days=hi)})
        out.append(q)
    return out


def _int(value: Any) -> int:
    return int(value) if value else 0


def _rows(qs: QuerySet[Any], fields: Sequence[str], **aggregates: Any) -> list[tuple[Any, ...]]:
    return list(qs.order_by().values_list(*fields).annotate(**aggregates).values_list(*fields, *aggregates))


def to_amount(thousandths: int) -> Decimal:
    return Decimal(thousandths).scaleb(-3)


# --- balances at the end of a day ------------------------------------------------------------------


# Per (key, currency): [bucket 0..5, disputed, unapplied (positive), documents], in thousandths.
RawBalances = dict[tuple[Key, str], list[int]]


def _acc(out: RawBalances, key: Key, ccy: str, values: Iterable[Any]) -> None:
    row = out.setdefault((key, ccy), [0] * (N + 3))
    for i, v in enumerate(values):
        row[i] += _int(v)


def balances_live(*, as_of: dt.date, by: str | None, scope: Scope = EVERYONE) -> RawBalances:
    """Open balances per (group, currency) at the end of `as_of`, reconstructed from allocations."""
    return balances_live_many(as_ofs=[as_of], by=by, scope=scope)[0]


def balances_live_many(*, as_ofs: Sequence[dt.date], by: str | None, scope: Scope = EVERYONE) -> list[RawBalances]:
    """`balances_live` of several days at once: each of the three passes (documents open now,
    allocations dated later, unapplied cash) reads its table once with one set of sums per day."""
    return open_items_many(as_ofs=as_ofs, by=by, scope=scope)[0]


Cells = dict[tuple[Key, str], dict[tuple[int, int], int]]


def open_items_many(
    *, as_ofs: Sequence[dt.date], by: str | None, scope: Scope = EVERYONE, cells: tuple[dt.date, dt.date] | None = None
) -> tuple[list[RawBalances], Cells | None]:
    """The balances of several days and, with `cells=(prev, curr)`, the roll-rate cells of
    `migration_cells`, from one pass over the documents open now, one over the allocations dated
    after the earliest day and one over unapplied cash. With cells, the rows are also grouped by the
    document's (bucket at prev, state at curr): a handful of combinations, added up here."""
    check_grouping(by)
    outs: list[RawBalances] = [{} for _ in as_ofs]
    cell_out: Cells | None = {} if cells else None
    last = max([*as_ofs, cells[0]] if cells else as_ofs)
    width = N + 3
    dims = 2 if cells else 0

    def spread(rows: Iterable[tuple[Any, ...]], keyed: bool, place: Any) -> None:
        for ccy, *rest in rows:
            k = rest.pop(0) if keyed else None
            if dims:
                bp, sc = rest[0], rest[1]
                rest = rest[2:]
                bal = _int(rest.pop())
                if bal and cell_out is not None:
                    slot = cell_out.setdefault((k, ccy), {})
                    slot[(bp, sc)] = slot.get((bp, sc), 0) + bal
            for j, out in enumerate(outs):
                values = place(rest[j * width:(j + 1) * width])
                if any(values):
                    _acc(out, k, ccy, values)

    # 1. Documents open now and issued by as_of: debit documents by bucket, credit notes' remainder as credits.
    docs = scope.apply(Document.objects.filter(status__in=OPEN_STATUSES, issue_date__lte=last), "customer")
    key = key_path(by, "customer")
    fields = ["currency", *([key] if key else [])]
    if cells:
        bp, sc = _cell_cases("", *cells)
        docs = docs.annotate(bp=bp, sc=sc)
        fields += ["bp", "sc"]
    aggs: dict[str, Any] = {}
    for j, as_of in enumerate(as_ofs):
        issued = Q(issue_date__lte=as_of)
        aggs |= {f"b{i}_{j}": _csum(issued & c & DEBIT, milli("open_amount"))
                 for i, c in enumerate(bucket_conditions("due_date", as_of))}
        aggs |= {
            f"disputed_{j}": _csum(issued & DEBIT & Q(attributes__disputed=True), milli("open_amount")),
            f"credits_{j}": _csum(issued & Q(kind=DocumentKind.CREDIT_NOTE), milli("open_amount")),
            f"n_{j}": _csum(issued & DEBIT, Value(1)),
        }
    if cells:
        aggs["cell"] = _csum(DEBIT & Q(issue_date__lte=cells[0]), milli("open_amount"))
    spread(_rows(docs, fields, **aggs), bool(key), lambda v: v)

    # 2. Allocations dated after as_of had not happened yet: back into the document's bucket, and
    #    back into the unapplied credits of the payment or credit note they came from. The source's
    #    date is looked up per allocation (an index probe), not joined: there are few such rows.
    first = min([*as_ofs, cells[0]] if cells else as_ofs)
    if Allocation.objects.filter(date__gt=first).exists():
        allocs = scope.apply(Allocation.objects.filter(date__gt=first), "document__customer")
        key = key_path(by, "document__customer")
        fields = ["document__currency", *([key] if key else [])]
        if cells:
            bp, sc = _cell_cases("document__", *cells)
            allocs = allocs.annotate(bp=bp, sc=sc)
            fields += ["bp", "sc"]
        aggs = {}
        for j, as_of in enumerate(as_ofs):
            later = Q(date__gt=as_of)
            issued = later & Q(document__issue_date__lte=as_of)
            unapplied_then = later & (
                (Q(source=AllocationSource.PAYMENT)
                 & Exists(Payment.objects.filter(pk=OuterRef("payment_id"), received_date__lte=as_of)))
                | (Q(source=AllocationSource.CREDIT_NOTE)
                   & Exists(Document.objects.filter(pk=OuterRef("credit_note_id"), issue_date__lte=as_of)))
            )
            aggs |= {f"b{i}_{j}": _csum(c & issued, milli("amount"))
                     for i, c in enumerate(bucket_conditions("document__due_date", as_of))}
            aggs |= {
                f"disputed_{j}": _csum(issued & Q(document__attributes__disputed=True), milli("amount")),
                f"credits_{j}": _csum(unapplied_then, milli("amount")),
                f"n_{j}": Count("document_id", distinct=True, filter=issued & Q(document__open_amount=0)),
            }
        if cells:
            aggs["cell"] = _csum(
                Q(date__gt=cells[0], document__issue_date__lte=cells[0]) & ~Q(document__kind=DocumentKind.CREDIT_NOTE),
                milli("amount"),
            )
        spread(_rows(allocs, fields, **aggs), bool(key), lambda v: v)

    # 3. Unapplied cash now on payments received by as_of.
    pays = scope.apply(Payment.objects.filter(unapplied_amount__gt=0, received_date__lte=last), "customer")
    key = key_path(by, "customer")
    fields = ["currency", *([key] if key else [])]
    aggs = {f"s_{j}": _csum(Q(received_date__lte=as_of), milli("unapplied_amount")) for j, as_of in enumerate(as_ofs)}
    width, dims = 1, 0
    spread(_rows(pays, fields, **aggs), bool(key), lambda v: [0] * (N + 1) + list(v) + [0])
    return outs, cell_out


def snapshot_exists(*, as_of: dt.date) -> bool:
    return BalanceSnapshot.objects.filter(date=as_of).exists()


def balances_from_snapshots(*, as_of: dt.date, by: str | None, scope: Scope = EVERYONE) -> RawBalances:
    """The same figures as `balances_live`, read from the snapshots taken for `as_of`."""
    check_grouping(by)
    qs = scope.apply(BalanceSnapshot.objects.filter(date=as_of), "customer")
    key = key_path(by, "customer")
    fields = ["currency", *([key] if key else [])]
    aggs = {f"b{i}": Sum(milli(f)) for i, f in enumerate(BUCKET_FIELDS)}
    aggs |= {"disputed": Sum(milli("disputed")), "credits": Sum(milli("unapplied")), "n": Sum("documents")}
    out: RawBalances = {}
    for ccy, *rest in _rows(qs, fields, **aggs):
        k = rest.pop(0) if key else None
        _acc(out, k, ccy, rest)
    return out


def balances_at(*, as_of: dt.date, by: str | None, scope: Scope = EVERYONE, source: str = "live") -> RawBalances:
    """`source="auto"` reads the snapshots of `as_of` when there are any, and the ledger otherwise."""
    if source == "snapshot" or (source == "auto" and snapshot_exists(as_of=as_of)):
        return balances_from_snapshots(as_of=as_of, by=by, scope=scope)
    return balances_live(as_of=as_of, by=by, scope=scope)


def balances_total(raw: RawBalances) -> RawBalances:
    """The whole scope's balances: every group added up per currency (exact integers)."""
    out: RawBalances = {}
    for (_, ccy), values in raw.items():
        _acc(out, None, ccy, values)
    return out


def balances_at_many(
    *, as_ofs: Sequence[dt.date], by: str | None, scope: Scope = EVERYONE, source: str = "live"
) -> list[RawBalances]:
    """`balances_at` of several days; the days read live share one pass per table."""

    def from_snapshots(day: dt.date) -> bool:
        return source == "snapshot" or (source == "auto" and snapshot_exists(as_of=day))

    live = [d for d in as_ofs if not from_snapshots(d)]
    got = dict(zip(live, balances_live_many(as_ofs=live, by=by, scope=scope), strict=True)) if live else {}
    return [got[d] if d in got else balances_from_snapshots(as_of=d, by=by, scope=scope) for d in as_ofs]


@dataclass
class Balance:
    """Balances of one group in the reporting currency (exact Decimals, not yet rounded)."""

    buckets: list[Decimal] = field(default_factory=lambda: [Decimal(0)] * N)
    disputed: Decimal = Decimal(0)
    unapplied: Decimal = Decimal(0)
    documents: int = 0

    @property
    def open_total(self) -> Decimal:
        return sum(self.buckets, Decimal(0))

    @property
    def total_ar(self) -> Decimal:
        """Open items less unapplied cash and credits (KPIS.md §0)."""
        return self.open_total - self.unapplied

    @property
    def current(self) -> Decimal:
        return self.buckets[0]

    def bucket_map(self) -> dict[str, Decimal]:
        return dict(zip(BUCKETS, self.buckets, strict=True))


def balances_convert(raw: RawBalances, *, as_of: dt.date, fx: FxTable) -> dict[Key, Balance]:
    """Per group in the reporting currency, at the rate of `as_of` (balances: period-end rate)."""
    out: dict[Key, Balance] = {}
    for (key, ccy), values in sorted(raw.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        rate = fx.rate(ccy, as_of)
        b = out.setdefault(key, Balance())
        for i in range(N):
            b.buckets[i] += to_amount(values[i]) * rate
        b.disputed += to_amount(values[N]) * rate
        b.unapplied += to_amount(values[N + 1]) * rate
        b.documents += values[N + 2]
    return out


# --- flows in date ranges (sales, cash, write-offs) -------------------------------------------------


DateRange = tuple[dt.date, dt.date]


# Per (group, currency, transaction day): the amounts' sums per range, flattened (amount-major), in
# thousandths. The day is None for rows in the reporting currency (they need no rate).
RawFlows = dict[tuple[Key, str, dt.date | None], list[int]]


def range_sums_raw(
    qs: QuerySet[Any],
    *,
    currency_path: str,
    key: str | None,
    date_path: str,
    amounts: Mapping[str, Any],
    ranges: Sequence[DateRange],
    target: str,
) -> RawFlows:
    """Σ each amount expression (thousandths) per group and date range, in one pass over `qs`.

    Rows in the reporting currency are summed per group; rows in other currencies per group and
    transaction date, so each day converts at its own rate (KPIS.md §0: transaction-date rate).
    """
    lo = min(r[0] for r in ranges)
    hi = max(r[1] for r in ranges)
    qs = qs.filter(**{f"{date_path}__gte": lo, f"{date_path}__lte": hi})
    # The ranges (which may overlap: the period and the countback months) cut [lo, hi] into disjoint
    # slices; each row is summed once into its slice, and each slice counts towards the ranges holding it.
    cuts = sorted({p for a, b in ranges for p in (a, b + dt.timedelta(days=1)) if lo < p <= hi})
    starts = [lo, *cuts]
    ends = [c - dt.timedelta(days=1) for c in cuts] + [hi]
    holding = [[r for r, (a, b) in enumerate(ranges) if a <= first and last <= b] for first, last in zip(starts, ends, strict=True)]
    piece = Case(*(When(**{f"{date_path}__lt": c}, then=Value(i)) for i, c in enumerate(cuts)),
                 default=Value(len(cuts)), output_field=IntegerField())
    aggs = {f"sum_{name}": Sum(expr) for name, expr in amounts.items()}  # (names apart from the fields)
    # One GROUP BY for both kinds of rows: the day column is NULL in the reporting currency.
    qs = qs.annotate(fx_day=Case(When(**{currency_path: target}, then=Value(None)), default=F(date_path),
                                 output_field=DateField()), piece=piece)
    width = len(ranges)
    out: RawFlows = {}
    for ccy, day, i, *rest in _rows(qs, [currency_path, "fx_day", "piece", *([key] if key else [])], **aggs):
        k = rest.pop(0) if key else None
        counted = [_int(v) if holding[i] else 0 for v in rest]
        if day is None or any(counted):  # (a group in the reporting currency is listed even when it nets to 0)
            slot = out.setdefault((k, ccy, day), [0] * (len(amounts) * width))
            for n, v in enumerate(counted):
                for r in holding[i]:
                    slot[n * width + r] += v
    return out


def flows_total(raw: RawFlows) -> RawFlows:
    """The same sums for the whole scope: every group added up, per currency and day (exact integers)."""
    out: RawFlows = {}
    for (_, ccy, day), values in raw.items():
        slot = out.setdefault((None, ccy, day), [0] * len(values))
        for i, v in enumerate(values):
            slot[i] += v
    return out


def flows_convert(raw: RawFlows, *, names: Sequence[str], ranges: int, fx: FxTable) -> dict[Key, dict[str, list[Decimal]]]:
    """Per group: each amount's per-range sums in the reporting currency, at each day's rate."""
    out: dict[Key, dict[str, list[Decimal]]] = {}
    for (k, ccy, day), values in raw.items():
        rate = Decimal(1) if day is None else fx.rate(ccy, day)
        slot = out.setdefault(k, {name: [Decimal(0)] * ranges for name in names})
        it = iter(values)
        for name in names:
            for i in range(ranges):
                v = next(it)
                if v:
                    slot[name][i] += to_amount(v) * rate
    return out


def range_sums(
    qs: QuerySet[Any],
    *,
    currency_path: str,
    key: str | None,
    date_path: str,
    amounts: Mapping[str, Any],
    ranges: Sequence[DateRange],
    fx: FxTable,
) -> dict[Key, dict[str, list[Decimal]]]:
    """`range_sums_raw` converted to the reporting currency."""
    raw = range_sums_raw(qs, currency_path=currency_path, key=key, date_path=date_path, amounts=amounts,
                         ranges=ranges, target=fx.target)
    return flows_convert(raw, names=list(amounts), ranges=len(ranges), fx=fx)


def credit_sales_raw(*, ranges: Sequence[DateRange], by: str | None, scope: Scope, target: str) -> RawFlows:
    """Net credit sales per range: invoices and debit notes issued in it − credit notes issued in it."""
    docs = scope.apply(Document.objects.all(), "customer")
    signed = Case(
        When(kind=DocumentKind.CREDIT_NOTE, then=-milli("amount")), default=milli("amount"), output_field=BigIntegerField()
    )
    return range_sums_raw(docs, currency_path="currency", key=key_path(by, "customer"), date_path="issue_date",
                          amounts={"sales": signed}, ranges=ranges, target=target)


def credit_sales_convert(raw: RawFlows, *, ranges: int, fx: FxTable) -> dict[Key, list[Decimal]]:
    return {k: v["sales"] for k, v in flows_convert(raw, names=["sales"], ranges=ranges, fx=fx).items()}


def credit_sales(*, ranges: Sequence[DateRange], by: str | None, scope: Scope, fx: FxTable) -> dict[Key, list[Decimal]]:
    """Net credit sales per range in the reporting currency (transaction-date rates)."""
    return credit_sales_convert(credit_sales_raw(ranges=ranges, by=by, scope=scope, target=fx.target),
                                ranges=len(ranges), fx=fx)


@dataclass
class CashFigures:
    """Payment applications in a period: the amount and the amount-weighted day counts (KPIS.md §9)."""

    amount: Decimal = Decimal(0)
    days_to_pay: Decimal = Decimal(0)  # Σ amount × (paid − invoice date)
    terms: Decimal = Decimal(0)  # Σ amount × (due − invoice date)
    beyond: Decimal = Decimal(0)  # Σ amount × (paid − due), signed
    late_only: Decimal = Decimal(0)  # Σ amount × max(0, paid − due)


CASH_NAMES = ("amount", "days_to_pay", "terms", "beyond", "late_only")


def cash_applied_raw(*, period: DateRange, by: str | None, scope: Scope, target: str) -> RawFlows:
    """Cash applied to documents in the period (payment allocations), with the §9 day weights."""
    allocs = scope.apply(Allocation.objects.filter(source=AllocationSource.PAYMENT), "document__customer")
    amount = milli("amount")
    to_pay = DaysBetween(F("date"), F("document__issue_date"))
    terms = DaysBetween(F("document__due_date"), F("document__issue_date"))
    beyond = DaysBetween(F("date"), F("document__due_date"))
    exprs = (amount, amount * to_pay, amount * terms, amount * beyond, amount * Greatest(beyond, Value(0)))
    return range_sums_raw(allocs, currency_path="currency", key=key_path(by, "document__customer"), date_path="date",
                          amounts=dict(zip(CASH_NAMES, exprs, strict=True)), ranges=[period], target=target)


def cash_convert(raw: RawFlows, *, fx: FxTable) -> dict[Key, CashFigures]:
    return {
        k: CashFigures(**{name: v[name][0] for name in CASH_NAMES})
        for k, v in flows_convert(raw, names=CASH_NAMES, ranges=1, fx=fx).items()
    }


def cash_applied(*, period: DateRange, by: str | None, scope: Scope, fx: FxTable) -> dict[Key, CashFigures]:
    """Cash applied to documents in the period, converted at the application date's rate."""
    return cash_convert(cash_applied_raw(period=period, by=by, scope=scope, target=fx.target), fx=fx)


def write_offs_raw(*, period: DateRange, by: str | None, scope: Scope, target: str) -> RawFlows:
    """Write-offs booked in the period (realised losses)."""
    qs = scope.apply(WriteOff.objects.all(), "document__customer")
    return range_sums_raw(qs, currency_path="currency", key=key_path(by, "document__customer"), date_path="date",
                          amounts={"w": milli("amount")}, ranges=[period], target=target)


def write_offs_convert(raw: RawFlows, *, fx: FxTable) -> dict[Key, Decimal]:
    return {k: v["w"][0] for k, v in flows_convert(raw, names=["w"], ranges=1, fx=fx).items()}


def write_offs(*, period: DateRange, by: str | None, scope: Scope, fx: FxTable) -> dict[Key, Decimal]:
    """Write-offs booked in the period (realised losses), at the write-off date's rate."""
    return write_offs_convert(write_offs_raw(period=period, by=by, scope=scope, target=fx.target), fx=fx)


def currencies_in_use() -> list[str]:
    """Currencies of the documents and payments, most used first."""
    counts: dict[str, int] = defaultdict(int)
    for ccy, n in Document.objects.order_by().values_list("currency").annotate(n=Count("id")).values_list("currency", "n"):
        counts[ccy] += n
    return sorted(counts, key=lambda c: (-counts[c], c))


# --- roll rates: each document's bucket at two month ends -----------------------------------------


WRITTEN_OFF_COL = N
PAID_COL = N + 1


def _bucket_case(anchor: str, as_of: dt.date, *, only_if: Q | None = None) -> list[When]:
    return [When((only_if & c) if only_if is not None else c, then=Value(i))
            for i, c in enumerate(bucket_conditions(anchor, as_of))]


def _cell_cases(p: str, prev: dt.date, curr: dt.date) -> tuple[Case, Case]:
    """(bucket at prev, state at curr) of the document reached by the prefix `p` (see migration_cells)."""
    later = Allocation.objects.filter(date__gt=curr)
    open_curr = Q(**{f"{p}status__in": OPEN_STATUSES})
    if later.exists():  # usually not: curr is the period end, and that is mostly today
        open_curr |= Q(**{f"{p}pk__in": later.values("document_id")})
    bp = Case(*_bucket_case(f"{p}due_date", prev), output_field=IntegerField())
    sc = Case(
        *_bucket_case(f"{p}due_date", curr, only_if=open_curr),
        When(**{f"{p}status": DocumentStatus.WRITTEN_OFF}, then=Value(WRITTEN_OFF_COL)),
        default=Value(PAID_COL),
        output_field=IntegerField(),
    )
    return bp, sc


def migration_cells(
    *, prev: dt.date, curr: dt.date, by: str | None, scope: Scope
) -> dict[tuple[Key, str], dict[tuple[int, int], int]]:
    """Per (group, currency): {(bucket at prev, state at curr): Σ balance at prev} in thousandths.

    The state at `curr` is the bucket index (0-5) when the document is still open, `WRITTEN_OFF_COL`
    when it closed with a write-off, `PAID_COL` otherwise (paid or credited). Only documents open at
    the end of `prev` take part (the cohort of KPIS.md §7).

    Read like the balances, with no per-document subquery: a debit document's balance at `prev` is its
    open amount now plus its allocations dated after `prev`, so the cells are one pass over the documents
    open now plus one over the allocations dated after `prev`, each classified by its document. A document
    is open at `curr` when it is open now or has an allocation dated after `curr`; one closed by then has
    no later allocation, so its status now tells whether a write-off closed it (`derive_status`).
    """
    check_grouping(by)
    def classify(p: str) -> tuple[Case, Case]:
        return _cell_cases(p, prev, curr)

    out: dict[tuple[Key, str], dict[tuple[int, int], int]] = {}

    def add(rows: Iterable[tuple[Any, ...]], keyed: bool) -> None:
        for row in rows:
            ccy = row[0]
            k = row[1] if keyed else None
            bp, sc, bal = row[-3], row[-2], row[-1]
            if bal:
                cell = out.setdefault((k, ccy), {})
                cell[(bp, sc)] = cell.get((bp, sc), 0) + _int(bal)

    # 1. What is open now, of the debit documents issued by prev.
    bp, sc = classify("")
    docs = scope.apply(Document.objects.filter(DEBIT, Q(status__in=OPEN_STATUSES), issue_date__lte=prev), "customer")
    key = key_path(by, "customer")
    fields = ["currency", *([key] if key else []), "bp", "sc"]
    add(_rows(docs.annotate(bp=bp, sc=sc), fields, bal=Sum(milli("open_amount"))), bool(key))

    # 2. Allocations dated after prev (to debit documents issued by prev): not applied yet at prev.
    allocs = scope.apply(
        Allocation.objects.filter(date__gt=prev, document__issue_date__lte=prev).exclude(
            document__kind=DocumentKind.CREDIT_NOTE
        ),
        "document__customer",
    )
    bp, sc = classify("document__")
    key = key_path(by, "document__customer")
    fields = ["document__currency", *([key] if key else []), "bp", "sc"]
    add(_rows(allocs.annotate(bp=bp, sc=sc), fields, bal=Sum(milli("amount"))), bool(key))
    return out


def cells_total(raw: Mapping[tuple[Key, str], Mapping[tuple[int, int], int]]) -> dict[tuple[Key, str], dict[tuple[int, int], int]]:
    """The whole scope's migration cells: every group added up per currency."""
    out: dict[tuple[Key, str], dict[tuple[int, int], int]] = {}
    for (_, ccy), cells in raw.items():
        slot = out.setdefault((None, ccy), {})
        for cell, v in cells.items():
            slot[cell] = slot.get(cell, 0) + v
    return out


def migration_convert(
    raw: Mapping[tuple[Key, str], Mapping[tuple[int, int], int]], *, as_of: dt.date, fx: FxTable
) -> dict[Key, dict[tuple[int, int], Decimal]]:
    out: dict[Key, dict[tuple[int, int], Decimal]] = {}
    for (k, ccy), cells in raw.items():
        rate = fx.rate(ccy, as_of)
        slot = out.setdefault(k, {})
        for cell, v in cells.items():
            slot[cell] = slot.get(cell, Decimal(0)) + to_amount(v) * rate
    return out


# --- dates ---------------------------------------------------------------------------------------------


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) in the company's time zone, for filtering datetimes by business date."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return (dt.datetime.combine(start, dt.time(), zone), dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone))
