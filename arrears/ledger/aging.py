"""Aging: open debit documents as of any date, bucketed by days past due (or by invoice age).

Conventions follow docs/domain KPIS §6:

- due-date basis (default): ``dpd = as_of - due_date``; buckets current (dpd <= 0), 1-30, 31-60, 61-90,
  91-120, 120+ (stored as ``121+``).
- invoice-date basis: ``age = as_of - issue_date``; buckets 0-30, 31-60, 61-90, 91-120, 120+.
- A debit document counts at ``as_of`` when it was issued on or before ``as_of`` and its open amount
  at ``as_of`` (amount less allocations dated on or before ``as_of``) is positive.
- Open credit notes and unapplied cash at ``as_of`` are shown apart ("unapplied credits", negative)
  and reduce the net balance. Disputed documents stay in their bucket; "of which disputed" is the
  part of the total whose document has ``attributes["disputed"] == true``.

How it stays fast over millions of documents: every figure is one SQL ``GROUP BY`` with a
``SUM(CASE ...)`` per bucket. Bucket edges are turned into date bounds in Python, so the database
compares plain dates (identical on SQLite and PostgreSQL) and can use the date indexes. History is
reconstructed backwards from the stored, derived balances::

    open at as_of = open amount now + allocations dated after as_of

which is the same number as ``amount - allocations dated <= as_of`` but only reads the documents
that are open now plus the (few) allocations made after ``as_of``. When no allocation is dated after
``as_of`` (the usual "as of today" report) those queries are skipped altogether.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import BigIntegerField, BooleanField, Count, F, Q, QuerySet, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Round

from arrears.common.money import check_currency, currency_exponent, quantize
from arrears.ledger.errors import LedgerError, LedgerErrorCode
from arrears.ledger.models import (
    ZERO,
    Allocation,
    AllocationSource,
    BusinessUnit,
    Customer,
    Document,
    DocumentKind,
    DocumentStatus,
    FxRate,
    Payment,
)
from arrears.ledger.selectors import customer_list_visible, document_list_visible, payment_list_visible

GROUPINGS = ("customer", "collector", "segment", "business-unit")
BASES = ("due", "invoice")
OPEN_STATUSES = (DocumentStatus.OPEN, DocumentStatus.PARTIALLY_PAID)
FILTER_KEYS = ("customer", "collector", "segment", "business_unit")


@dataclass(frozen=True, slots=True)
class Bucket:
    """An aging band: ``low <= days <= high`` (``None`` = unbounded on that side)."""

    key: str
    label: str
    low: int | None
    high: int | None

    def contains(self, days: int) -> bool:
        return (self.low is None or days >= self.low) and (self.high is None or days <= self.high)


DUE_BUCKETS: tuple[Bucket, ...] = (
    Bucket("current", "Current", None, 0),
    Bucket("1-30", "1-30", 1, 30),
    Bucket("31-60", "31-60", 31, 60),
    Bucket("61-90", "61-90", 61, 90),
    Bucket("91-120", "91-120", 91, 120),
    Bucket("121+", "120+", 121, None),
)
INVOICE_BUCKETS: tuple[Bucket, ...] = (
    Bucket("0-30", "0-30", None, 30),
    Bucket("31-60", "31-60", 31, 60),
    Bucket("61-90", "61-90", 61, 90),
    Bucket("91-120", "91-120", 91, 120),
    Bucket("121+", "120+", 121, None),
)


def aging_buckets(basis: str = "due") -> tuple[Bucket, ...]:
    if basis not in BASES:
        raise ValueError(f"basis must be one of {', '.join(BASES)}, not {basis!r}")
    return DUE_BUCKETS if basis == "due" else INVOICE_BUCKETS


def age_bucket(*, as_of: dt.date, anchor: dt.date, basis: str = "due") -> str:
    """The bucket key of one item: ``anchor`` is its due date (due basis) or issue date (invoice basis)."""
    days = (as_of - anchor).days
    return next(b.key for b in aging_buckets(basis) if b.contains(days))


@dataclass(frozen=True, slots=True)
class AgingRow:
    """One line of the report: a group (customer, collector, ...) in one currency."""

    key: int | str | None
    label: str
    currency: str
    buckets: tuple[Decimal, ...]
    unapplied_credits: Decimal  # open credit notes and unapplied cash: zero or negative
    disputed: Decimal  # of which disputed (part of `total`)
    document_count: int
    url: str = ""

    @property
    def total(self) -> Decimal:
        """Open debit documents (the sum of the buckets)."""
        return sum(self.buckets, ZERO)

    @property
    def net_balance(self) -> Decimal:
        return self.total + self.unapplied_credits

    def amounts(self, bucket_keys: Iterable[str]) -> dict[str, Decimal]:
        return dict(zip(bucket_keys, self.buckets, strict=True))


@dataclass(frozen=True, slots=True)
class AgingReport:
    as_of: dt.date
    by: str
    basis: str
    currency: str | None  # None when rows are in several currencies (grouped by key and currency)
    buckets: tuple[Bucket, ...]
    rows: Sequence[AgingRow]  # an AgingRows: each row is built when it is read (a page needs 100 of 50,000)
    totals: tuple[AgingRow, ...]  # one per currency, in currency order
    reporting_currency: str | None = None
    fx_rates: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> rate used

    @property
    def bucket_keys(self) -> tuple[str, ...]:
        return tuple(b.key for b in self.buckets)

    @property
    def total_row(self) -> AgingRow | None:
        """The totals row of a single-currency report."""
        return self.totals[0] if len(self.totals) == 1 else None

    def as_dict(self) -> dict[str, Any]:
        """The `--json` / API shape: amounts as strings, dates as ISO strings."""
        keys = self.bucket_keys

        def row(r: AgingRow) -> dict[str, Any]:
            return {
                "key": r.key,
                "label": r.label,
                "currency": r.currency,
                "buckets": {k: str(v) for k, v in zip(keys, r.buckets, strict=True)},
                "total": str(r.total),
                "unapplied_credits": str(r.unapplied_credits),
                "net_balance": str(r.net_balance),
                "disputed": str(r.disputed),
                "document_count": r.document_count,
            }

        return {
            "as_of": self.as_of.isoformat(),
            "by": self.by,
            "basis": self.basis,
            "currency": self.currency,
            "reporting_currency": self.reporting_currency,
            "fx_rates": {c: str(r) for c, r in sorted(self.fx_rates.items())},
            "buckets": [{"key": b.key, "label": b.label} for b in self.buckets],
            "rows": self.rows.as_dicts(keys) if isinstance(self.rows, AgingRows) else [row(r) for r in self.rows],
            "totals": [row(r) for r in self.totals],
        }


def aging_report(
    *,
    as_of: dt.date,
    by: str = "customer",
    basis: str = "due",
    user: Any = None,
    currency: str | None = None,
    reporting_currency: str | None = None,
    filters: Mapping[str, Any] | None = None,
) -> AgingReport:
    """Aged balances as of `as_of`, grouped `by` customer, collector, segment or business unit.

    `currency` keeps only documents in that currency; `reporting_currency` converts every
    currency with the latest FX rate on or before `as_of`. With neither, rows are per (group,
    currency). `user` applies the ledger permission gate (a collector ages only their portfolio).
    `filters` narrows further: customer (id), collector (id), segment, business_unit (id or code).
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}, not {by!r}")
    buckets = aging_buckets(basis)
    if currency and reporting_currency:
        raise ValueError("give either currency or reporting_currency, not both")
    currency = check_currency(currency) if currency else None
    reporting_currency = check_currency(reporting_currency) if reporting_currency else None

    scope = _Scope(as_of=as_of, by=by, user=user, currency=currency, filters=filters or {})
    n = len(buckets)
    groups: dict[tuple[Any, str], _Group] = {}
    with _reading(scope.db):
        _add_open_documents(groups, scope, buckets, basis)
        _add_disputed_documents(groups, scope, n)
        _add_unapplied_cash(groups, scope, n)
        if _later_allocations_exist(scope):
            _add_later_allocations(groups, scope, buckets, basis)

    rates: dict[str, Decimal] = {}
    if reporting_currency:
        groups = _convert(groups, as_of=as_of, target=reporting_currency, rates=rates, n=n)
        report_currency: str | None = reporting_currency
    elif currency:
        report_currency = currency
    else:
        currencies = {c for _, c in groups}
        report_currency = currencies.pop() if len(currencies) == 1 else None

    labels = _labels(by, {k for k, _ in groups}, user=user)
    money = {ccy: _Units(ccy) for ccy in {c for _, c in groups} | ({report_currency} if report_currency else set())}
    # Each line is (label, key, currency, minor units...): plain tuples, rounded once; the AgingRow
    # with its Decimals is built only for the rows somebody reads.
    units, totals = _minor_units(groups, money, n)
    lines: list[_Line] = [
        (labels[key] if key in labels else str(key), key, ccy, u) for (key, ccy), u in zip(groups, units, strict=True)
    ]
    lines.sort(key=lambda line: (line[0].casefold(), str(line[1]), line[2]))
    # Totals add the rows' rounded minor units, so the totals row is exactly the sum of the rows.
    total_rows = tuple(_row(("Total", None, ccy, t), money[ccy], n, url=False) for ccy, t in sorted(totals.items()))
    return AgingReport(
        as_of=as_of,
        by=by,
        basis=basis,
        currency=report_currency,
        buckets=buckets,
        rows=AgingRows(lines, money, n, urls=by == "customer"),
        totals=total_rows,
        reporting_currency=reporting_currency,
        fx_rates=rates,
    )


# --- rows --------------------------------------------------------------------------------------------


def _minor_units(
    groups: dict[tuple[Any, str], _Group], money: Mapping[str, _Units], n: int
) -> tuple[list[list[int]], dict[str, list[int]]]:
    """Each group's thousandths rounded half-up to minor units, credits made negative, and the
    totals per currency (the sums of the rounded rows). In numpy over all groups at once: for
    50,000 customers the loop in Python costs more than the query."""
    totals = {ccy: [0] * (n + 3) for ccy in money}
    if not groups:
        return [], totals
    milli = np.array(list(groups.values()), dtype=np.int64)
    if milli.min() < 0 or milli.max() > 2**60:  # never from the queries; the exact Python path just in case
        rows = []
        for (_, ccy), g in groups.items():
            u = money[ccy].row_units(g)
            u[n] = -u[n]
            rows.append(u)
            totals[ccy] = [a + b for a, b in zip(totals[ccy], u, strict=True)]
        return rows, totals
    units = milli.copy()
    currencies = np.array([ccy for _, ccy in groups])
    for ccy, m in money.items():
        mask = currencies == ccy
        if m.exp > 3:
            units[mask, : n + 2] *= 10 ** (m.exp - 3)
        elif m.step > 1:  # half-up on non-negative values: (2v + step) // 2step
            units[mask, : n + 2] = (2 * milli[mask, : n + 2] + m.step) // (2 * m.step)
    units[:, n] = -units[:, n]  # unapplied credits reduce the balance
    for ccy in money:
        mask = currencies == ccy
        if mask.any():
            totals[ccy] = units[mask].sum(axis=0).tolist()
    return units.tolist(), totals

# One row before it becomes an AgingRow: (label, key, currency, [bucket 0, ..., bucket n-1, unapplied
# credits, disputed] in minor units, then the document count).
_Line = tuple[str, Any, str, list[int]]


def _row(line: _Line, m: _Units, n: int, *, url: bool) -> AgingRow:
    label, key, ccy, units = line
    amounts = m.amounts(units[: n + 2])
    return AgingRow(
        key=key,
        label=label,
        currency=ccy,
        buckets=tuple(amounts[:n]),
        unapplied_credits=amounts[n],
        disputed=amounts[n + 1],
        document_count=units[n + 2],
        url=f"/customers/{key}/" if url else "",
    )


class AgingRows(Sequence[AgingRow]):
    """The report's rows in label order. A row (and its Decimals) is built when it is read, so
    paging through 50,000 customers builds the 100 on the page; `as_dicts` formats every row's
    amounts straight from the integers. Compares equal to a tuple or list of the same rows."""

    __slots__ = ("_lines", "_money", "_n", "_urls")

    def __init__(self, lines: list[_Line], money: Mapping[str, _Units], n: int, *, urls: bool) -> None:
        self._lines, self._money, self._n, self._urls = lines, money, n, urls

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._make(line) for line in self._lines[index])
        return self._make(self._lines[index])

    def __iter__(self) -> Iterator[AgingRow]:
        return map(self._make, self._lines)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AgingRows | tuple | list):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<AgingRows: {len(self)} rows>"

    def _make(self, line: _Line) -> AgingRow:
        return _row(line, self._money[line[2]], self._n, url=self._urls)

    def as_dicts(self, bucket_keys: Sequence[str]) -> list[dict[str, Any]]:
        """`AgingReport.as_dict()`'s rows, without building a Decimal per amount."""
        n = self._n
        out = []
        for label, key, ccy, units in self._lines:
            text = self._money[ccy].text
            total = sum(units[:n])
            out.append({
                "key": key,
                "label": label,
                "currency": ccy,
                "buckets": {k: text(u) for k, u in zip(bucket_keys, units[:n], strict=True)},
                "total": text(total),
                "unapplied_credits": text(units[n]),
                "net_balance": text(total + units[n]),
                "disputed": text(units[n + 1]),
                "document_count": units[n + 2],
            })
        return out


# --- the queries -------------------------------------------------------------------------------------


# The running sums of one (group key, currency), in thousandths of the unit (exact integers):
# [bucket 0, ..., bucket n-1, unapplied credits (positive here, shown negative), disputed, documents].
_Group = list[int]


class _Units:
    """Thousandths (what the queries sum) to the currency's minor units, rounded half-up (away
    from zero), and minor units to Decimal. Rows and totals are added in minor units, so the
    totals row is exactly the sum of the rows shown."""

    def __init__(self, currency: str) -> None:
        self.exp = currency_exponent(currency)
        self.step = 10 ** (3 - self.exp) if self.exp <= 3 else 1
        self.zero = Decimal(0).scaleb(-self.exp)
        self.zero_text = str(self.zero)

    def units(self, milli: int) -> int:
        if self.exp > 3:  # no ISO currency today has more than the three decimals we store
            return milli * 10 ** (self.exp - 3)
        if self.step == 1:
            return milli
        q, rem = divmod(abs(milli), self.step)
        if rem * 2 >= self.step:
            q += 1
        return q if milli >= 0 else -q

    def row_units(self, g: _Group) -> list[int]:
        """A group's thousandths as minor units; the last value, the document count, stays as it is."""
        units = [self.units(v) if v else 0 for v in g]
        units[-1] = g[-1]
        return units

    def money(self, units: int) -> Decimal:
        return Decimal(units).scaleb(-self.exp) if units else self.zero

    def amounts(self, units: list[int]) -> list[Decimal]:
        exp, zero = -self.exp, self.zero
        return [Decimal(u).scaleb(exp) if u else zero for u in units]

    def text(self, units: int) -> str:
        """`str(self.money(units))` without the Decimal: "-10.50", "0.00", "1000" (JPY)."""
        if not units:
            return self.zero_text
        if self.exp == 0:
            return str(units)
        if self.exp > 6:  # Decimal would switch to an exponent for small values
            return str(self.money(units))
        q, r = divmod(abs(units), 10**self.exp)
        return f"{'-' if units < 0 else ''}{q}.{r:0{self.exp}d}"


def _milli(field_name: str) -> Cast:
    """An amount in integer thousandths. SQLite keeps decimals as floats, so summing the column
    itself would be a float sum; rounding each value to an integer first keeps the sums exact
    (and amounts have at most three decimals, so nothing is lost)."""
    return Cast(Round(F(field_name) * Value(1000)), BigIntegerField())


def _milli_sum(vendor: str, field_name: str, condition: Q | None = None) -> Coalesce:
    """SUM(amount) FILTER (WHERE condition) in integer thousandths.

    PostgreSQL adds numerics exactly, so the column is summed as it is and scaled once per group
    (arithmetic per row costs more than the scan); the result is a bigint, which the driver
    returns as an int rather than a Decimal. SQLite sums the rounded integers (see `_milli`)."""
    if vendor == "postgresql":
        total = Cast(Sum(field_name, filter=condition) * Value(1000), BigIntegerField())
    else:
        total = Sum(_milli(field_name), filter=condition)
    return Coalesce(total, Value(0), output_field=BigIntegerField())  # a 0, not NULL, when nothing matched


@dataclass(frozen=True, slots=True)
class _Scope:
    as_of: dt.date
    by: str
    user: Any
    currency: str | None
    filters: Mapping[str, Any]

    @property
    def db(self) -> str:
        return Document.objects.db

    @property
    def vendor(self) -> str:
        return connections[self.db].vendor

    def customer_ids(self, *, gated: bool) -> QuerySet[Customer] | None:
        """The customers the gate and the filters allow, as a subquery; None when nothing to add.

        `gated`: the queryset being restricted already went through a ledger permission gate.
        """
        needs_gate = self.user is not None and not gated
        if not needs_gate and not self.filters:
            return None
        qs = customer_list_visible(user=self.user) if needs_gate else Customer.objects.all()
        return _apply_filters(qs, self.filters, prefix="").values("pk")

    def key_field(self, customer_path: str, business_unit_path: str) -> str:
        return {
            "customer": f"{customer_path}_id",
            "collector": f"{customer_path}__collector_id",
            "segment": f"{customer_path}__segment",
            "business-unit": f"{business_unit_path}_id",
        }[self.by]


def _apply_filters(qs: QuerySet[Any], filters: Mapping[str, Any], *, prefix: str) -> QuerySet[Any]:
    unknown = set(filters) - set(FILTER_KEYS)
    if unknown:
        raise ValueError(f"unknown aging filter(s): {', '.join(sorted(unknown))}; known: {', '.join(FILTER_KEYS)}")
    for name, value in filters.items():
        if value in (None, ""):
            continue
        if name == "customer":
            qs = qs.filter(**{f"{prefix}pk": value})
        elif name == "collector":
            qs = qs.filter(**{f"{prefix}collector_id": value})
        elif name == "segment":
            qs = qs.filter(**{f"{prefix}segment": value})
        elif isinstance(value, int) or str(value).isdigit():
            qs = qs.filter(**{f"{prefix}business_unit_id": int(value)})
        else:
            qs = qs.filter(**{f"{prefix}business_unit__code": value})
    return qs


def _restrict(
    qs: QuerySet[Any], scope: _Scope, *, customer_path: str, currency_path: str, gated: bool = False
) -> QuerySet[Any]:
    allowed = scope.customer_ids(gated=gated)
    if allowed is not None:
        qs = qs.filter(**{f"{customer_path}_id__in": allowed})
    if scope.currency:
        qs = qs.filter(**{currency_path: scope.currency})
    return qs


def _bucket_conditions(buckets: tuple[Bucket, ...], anchor: str, as_of: dt.date) -> list[Q]:
    """Days-in-bucket turned into date bounds on `anchor`: days = as_of - anchor."""
    conditions = []
    for b in buckets:
        q = Q()
        if b.low is not None:  # days >= low  <=>  anchor <= as_of - low
            q &= Q(**{f"{anchor}__lte": as_of - dt.timedelta(days=b.low)})
        if b.high is not None:  # days <= high  <=>  anchor >= as_of - high
            q &= Q(**{f"{anchor}__gte": as_of - dt.timedelta(days=b.high)})
        conditions.append(q)
    return conditions


def _bucket_sums(
    vendor: str, buckets: tuple[Bucket, ...], anchor: str, as_of: dt.date, amount: str, only: Q
) -> dict[str, Any]:
    return {
        f"b{i}": _milli_sum(vendor, amount, cond & only)
        for i, cond in enumerate(_bucket_conditions(buckets, anchor, as_of))
    }


def _group(groups: dict[tuple[Any, str], _Group], key: Any, ccy: str, n: int) -> _Group:
    g = groups.get((key, ccy))
    if g is None:
        g = groups[(key, ccy)] = [0] * (n + 3)
    return g


@contextmanager
def _reading(db: str) -> Iterator[None]:
    """The report's queries. On PostgreSQL, in one transaction with room to group 50,000
    customers in memory (the default 4 MB of work_mem spills a hash aggregate to disk) and no JIT
    (compiling the aggregates cost 0.15 s of a 2.4 s history query); SET LOCAL ends with it.
    SQLite opens its transactions IMMEDIATE (a write lock), so a report there runs without one."""
    connection = connections[db]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=db), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        yield


def _fetch(qs: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """Run the ORM-built aggregate on a plain cursor: the sums come back as plain numbers, without
    a per-value converter (which costs more than the query for tens of thousands of groups).

    Every aggregate groups by currency first, the order of the aging indexes on Document and
    Payment (see ledger.models), which hold every column these queries read."""
    try:
        sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    except EmptyResultSet:  # e.g. pk__in=[]: what the queryset would iterate as no rows
        return []
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _accumulate(groups: dict[tuple[Any, str], _Group], rows: list[tuple[Any, ...]], n: int, *, at: int = 0) -> None:
    """Rows of (currency, key, sums...) into the groups, the first sum at position `at`. The sums
    are ints (bigint casts, coalesced to 0, and counts)."""
    width = n + 3
    if not groups and rows and at == 0 and len(rows[0]) == width + 2:  # the first query: one row per group
        groups.update({(row[1], row[0]): list(row[2:]) for row in rows if any(row[2:])})
        return
    for row in rows:
        values = row[2:]
        if not any(values):  # e.g. allocations after as_of to a document issued after as_of
            continue
        key = (row[1], row[0])
        g = groups.get(key)
        if g is None:
            g = groups[key] = [0] * width
            g[at : at + len(values)] = values
            continue
        for i, v in enumerate(values, start=at):
            if v:
                g[i] += v


def _open_documents(scope: _Scope) -> QuerySet[Document]:
    base = document_list_visible(user=scope.user) if scope.user is not None else Document.objects.all()
    return _restrict(
        # open_amount > 0 is what status open / partially paid means (ledger.services.derive_status),
        # and the condition of the partial indexes the report reads.
        base.filter(open_amount__gt=0, issue_date__lte=scope.as_of),
        scope, customer_path="customer", currency_path="currency", gated=True,
    )


def _add_open_documents(
    groups: dict[tuple[Any, str], _Group], scope: _Scope, buckets: tuple[Bucket, ...], basis: str
) -> None:
    """Documents open now and issued by as_of, in one pass: debit documents into their bucket,
    credit notes (their unused remainder) into the unapplied credits. Reads only the columns of
    the partial index of open documents (`document_open_aging_idx`)."""
    anchor = "due_date" if basis == "due" else "issue_date"
    vendor = scope.vendor
    debit = ~Q(kind=DocumentKind.CREDIT_NOTE)
    qs = (
        _open_documents(scope)
        .order_by()
        .values_list("currency", scope.key_field("customer", "business_unit"))
        .annotate(
            **_bucket_sums(vendor, buckets, anchor, scope.as_of, "open_amount", only=debit),
            credits=_milli_sum(vendor, "open_amount", Q(kind=DocumentKind.CREDIT_NOTE)),
            disputed=Value(0, output_field=BigIntegerField()),  # from _add_disputed_documents
            n=Count("kind", filter=debit),  # not COUNT(id): the id is not in the index
        )
    )
    _accumulate(groups, _fetch(qs), len(buckets))


def _add_disputed_documents(groups: dict[tuple[Any, str], _Group], scope: _Scope, n: int) -> None:
    """Of which disputed, apart: the flag lives in the JSON attributes, which the index of open
    documents cannot hold; the few disputed open documents have a partial index of their own."""
    qs = (
        _open_documents(scope)
        .filter(_disputed_condition(scope.db))
        .exclude(kind=DocumentKind.CREDIT_NOTE)
        .order_by()
        .values_list("currency", scope.key_field("customer", "business_unit"))
        .annotate(disputed=_milli_sum(scope.vendor, "open_amount"))
    )
    _accumulate(groups, _fetch(qs), n, at=n + 1)


DISPUTED_INDEX = "document_disputed_aging_idx"


def _disputed_condition(db: str) -> Q | RawSQL:
    """attributes["disputed"] is true, written so that the database can use `DISPUTED_INDEX`.

    PostgreSQL matches the ORM's condition to the index's. SQLite matches a partial index only to
    the same expression, and Django writes the JSON test with a bound path and an IN list whose
    order changes between processes; so on SQLite the condition is the index's own text, read
    from the schema (the column names qualified, as the query may join the customer)."""
    connection = connections[db]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [DISPUTED_INDEX])
            found = cursor.fetchone()
        where = found[0].partition(" WHERE ")[2] if found and found[0] else ""
        if where:
            table = Document._meta.db_table
            for column in ("attributes", "open_amount"):
                where = where.replace(f'"{column}"', f'"{table}"."{column}"')
            return RawSQL(where.replace("%", "%%"), (), output_field=BooleanField())
    return Q(attributes__disputed=True)


def _later_allocations_exist(scope: _Scope) -> bool:
    return Allocation.objects.using(scope.db).filter(date__gt=scope.as_of).exists()


def _later_than(scope: _Scope) -> Q | RawSQL:
    """Allocations dated after as_of. SQLite reads them through `allocation_date_idx` in date order
    and then looks up each document and payment at random, which for a large share of the table
    is four times slower than scanning the allocations in table order (2.0 s against 7.9 s for
    450,000 of 886,000): past one allocation in eight, `+date` keeps SQLite off the index."""
    later = Q(date__gt=scope.as_of)
    if scope.vendor != "sqlite":
        return later
    allocations = Allocation.objects.using(scope.db)
    if allocations.filter(later).count() * 8 <= allocations.count():
        return later
    column = f'"{Allocation._meta.db_table}"."date"'
    return RawSQL(f"+{column} > %s", (scope.as_of.isoformat(),), output_field=BooleanField())


def _add_later_allocations(
    groups: dict[tuple[Any, str], _Group], scope: _Scope, buckets: tuple[Bucket, ...], basis: str
) -> None:
    """Allocations dated after as_of had not happened yet at as_of, in one pass over them:

    - the debit document (if issued by as_of) still owed the amount: back into its bucket;
    - the payment (if received by as_of) or credit note (if issued by as_of) it came from was
      still unapplied: back into the unapplied credits.

    Rows are grouped by the document's customer and business unit; an allocation's source always
    belongs to the same customer and currency (ledger.services checks both).
    """
    as_of = scope.as_of
    vendor = scope.vendor
    anchor = "document__due_date" if basis == "due" else "document__issue_date"
    issued = Q(document__issue_date__lte=as_of)
    qs = _restrict(
        Allocation.objects.filter(_later_than(scope)),
        scope, customer_path="document__customer", currency_path="document__currency",
    )
    # Collector and segment are the customer's: grouped by customer here and folded in Python, as
    # a join to the customer lets SQLite drive the query from the customers (5.5 s against 1 s).
    fold = scope.by in ("collector", "segment")
    key = "document__customer_id" if fold else scope.key_field("document__customer", "document__business_unit")
    rows = _fetch(
        qs.order_by()
        .values_list("document__currency", key)
        .annotate(
            **_bucket_sums(vendor, buckets, anchor, as_of, "amount", only=issued),
            credits=_milli_sum(vendor, "amount", Q(source=AllocationSource.PAYMENT, payment__received_date__lte=as_of)),
            disputed=_milli_sum(vendor, "amount", issued & Q(document__attributes__disputed=True)),
            # Documents closed now but open at as_of; those open now were counted already.
            n=Count("document_id", distinct=True, filter=issued & Q(document__open_amount=0)),
        )
    )
    _accumulate(groups, _fold(rows, scope) if fold else rows, len(buckets))
    # Credit notes used after as_of, apart: the few such allocations join their credit note by
    # its key, where a condition in the query above would join (hash) every document once more.
    rows = _fetch(
        qs.filter(source=AllocationSource.CREDIT_NOTE, credit_note__issue_date__lte=as_of)
        .order_by()
        .values_list("document__currency", key)
        .annotate(credits=_milli_sum(vendor, "amount"))
    )
    _accumulate(groups, _fold(rows, scope) if fold else rows, len(buckets), at=len(buckets))


def _fold(rows: list[tuple[Any, ...]], scope: _Scope) -> list[tuple[Any, ...]]:
    """Rows keyed by customer id, re-keyed by the customer's collector or segment."""
    if not rows:
        return rows
    field_name = "collector_id" if scope.by == "collector" else "segment"
    qs = Customer.objects.using(scope.db).order_by().values_list("pk", field_name)
    if len(rows) < 900:
        qs = qs.filter(pk__in={row[1] for row in rows})
    of = dict(_fetch(qs))
    return [(row[0], of.get(row[1]), *row[2:]) for row in rows]


def _add_unapplied_cash(groups: dict[tuple[Any, str], _Group], scope: _Scope, n: int) -> None:
    """Payments received by as_of with unapplied cash now (the partial index `payment_unapplied_aging_idx`)."""
    pays = payment_list_visible(user=scope.user) if scope.user is not None else Payment.objects.all()
    qs = _restrict(
        pays.filter(unapplied_amount__gt=0, received_date__lte=scope.as_of),
        scope, customer_path="customer", currency_path="currency", gated=True,
    )
    key = scope.key_field("customer", "business_unit")
    rows = _fetch(qs.order_by().values_list("currency", key).annotate(
        s=_milli_sum(scope.vendor, "unapplied_amount")))
    _accumulate(groups, rows, n, at=n)


# --- currency ----------------------------------------------------------------------------------------


def fx_rate_get(*, currency: str, target: str, as_of: dt.date) -> Decimal:
    """1 `currency` in `target`: the latest FxRate on or before `as_of`."""
    if currency == target:
        return Decimal(1)
    rate = (
        FxRate.objects.filter(currency=currency, quote_currency=target, date__lte=as_of)
        .order_by("-date")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise LedgerError(
            LedgerErrorCode.NO_FX_RATE,
            f"no FX rate from {currency} to {target} on or before {as_of.isoformat()}",
        )
    return rate


def _convert(
    groups: dict[tuple[Any, str], _Group], *, as_of: dt.date, target: str, rates: dict[str, Decimal], n: int
) -> dict[tuple[Any, str], _Group]:
    """Convert each (group, currency) sum once, rounding half-up to the target's minor unit."""
    for ccy in sorted({c for _, c in groups}):
        rates[ccy] = fx_rate_get(currency=ccy, target=target, as_of=as_of)
    out: dict[tuple[Any, str], _Group] = {}

    def conv(milli: int, rate: Decimal) -> int:
        return int(quantize(Decimal(milli).scaleb(-3) * rate, target).scaleb(3))

    for (key, ccy), g in groups.items():
        rate = rates[ccy]
        t = _group(out, key, target, n)
        for i in range(n + 2):
            t[i] += conv(g[i], rate)
        t[n + 2] += g[n + 2]
    return out


# --- labels ------------------------------------------------------------------------------------------


def _labels(by: str, keys: set[Any], *, user: Any) -> dict[Any, str]:
    if by == "segment":
        return {k: k or "(no segment)" for k in keys}
    if by == "business-unit":
        return {pk: f"{code} {name}" for pk, code, name in BusinessUnit.objects.values_list("pk", "code", "name")}
    if by == "collector":
        from django.contrib.auth import get_user_model

        ids = [k for k in keys if k is not None]
        users = get_user_model().objects.filter(pk__in=ids) if len(ids) < 900 else get_user_model().objects.all()
        labels: dict[Any, str] = {u.pk: str(u) for u in users}
        labels[None] = "(unassigned)"
        return labels
    # customer: one pass over the visible customers is cheaper than a join in the aggregation.
    customers = customer_list_visible(user=user) if user is not None else Customer.objects.all()
    if len(keys) < 900:
        customers = customers.filter(pk__in=keys)
    return dict(_fetch(customers.order_by().values_list("pk", "name")))


# --- tabular form (CLI table, CSV, XLSX) -------------------------------------------------------------

GROUP_TITLES = {"customer": "Customer", "collector": "Collector", "segment": "Segment", "business-unit": "Business unit"}


def aging_report_header(report: AgingReport) -> list[str]:
    return [
        "Key", GROUP_TITLES[report.by], "Currency", *(b.label for b in report.buckets),
        "Total", "Unapplied credits", "Net balance", "Of which disputed", "Documents",
    ]


def aging_report_lines(report: AgingReport) -> Iterator[list[Any]]:
    """The table's rows one at a time (amounts as Decimals), the totals rows last: what a
    streaming export writes without holding every row."""
    for r in itertools.chain(report.rows, report.totals):
        yield [
            "" if r.key is None else r.key, r.label, r.currency, *r.buckets,
            r.total, r.unapplied_credits, r.net_balance, r.disputed, r.document_count,
        ]


def aging_report_table(report: AgingReport) -> tuple[list[str], list[list[Any]]]:
    """Header and rows (amounts as Decimals), the totals rows last; what the exports write."""
    return aging_report_header(report), list(aging_report_lines(report))
