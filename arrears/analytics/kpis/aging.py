"""Aging buckets by due date (default) or invoice date, percent current / over 90 (KPIS.md §6, §8).

Also the invoice-level "average days past due of open items" (the variant §4 keeps apart from ADD)
and total AR gross or net of the bad-debt allowance (§0).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from .core import (
    EXACT,
    KpiInputError,
    KpiResult,
    Number,
    Reason,
    Unit,
    check_single_currency,
    exact_sum,
    percent,
    require_choice,
    to_fraction,
    to_money,
)

ANCHORS = ("due_date", "invoice_date")
DEFAULT_EDGES = (30, 60, 90, 120)
CURRENT = "current"


@dataclass(frozen=True, slots=True)
class BucketScheme:
    """Bucket edges in days and the date they count from.

    Due-date anchor: ``current`` (dpd ≤ 0), ``1-30``, ``31-60``, ``61-90``, ``91-120``, ``121+``.
    Invoice-date anchor: ``0-30``, ``31-60``, ``61-90``, ``91-120``, ``121+``.
    """

    anchor: str = "due_date"
    edges: tuple[int, ...] = DEFAULT_EDGES
    _labels: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _ranges: tuple[tuple[int, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        require_choice("anchor", self.anchor, ANCHORS)
        edges = tuple(self.edges)
        if not edges or any(not isinstance(e, int) or isinstance(e, bool) for e in edges):
            raise KpiInputError(f"bucket edges must be whole days, got {self.edges!r}")
        if edges[0] <= 0 or any(b <= a for a, b in itertools.pairwise(edges)):
            raise KpiInputError(f"bucket edges must be positive and increasing, got {self.edges!r}")
        object.__setattr__(self, "edges", edges)
        first = [CURRENT] if self.anchor == "due_date" else []
        lows = [1 if self.anchor == "due_date" else 0, *(e + 1 for e in edges[:-1])]
        ranges = [f"{lo}-{hi}" for lo, hi in zip(lows, edges, strict=True)]
        object.__setattr__(self, "_labels", (*first, *ranges, f"{edges[-1] + 1}+"))
        object.__setattr__(self, "_ranges", tuple(zip(edges, ranges, strict=True)))

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def lower_bound(self, label: str) -> int:
        if label == CURRENT:
            return -(10**9)
        return int(label.rstrip("+").split("-")[0])

    def label(self, days: int) -> str:
        """The bucket of an item ``days`` past its anchor date (dpd for due date, age for invoice date)."""
        if self.anchor == "due_date":
            if days <= 0:
                return CURRENT
        elif days < 0:
            raise KpiInputError(f"an invoice dated after the as-of date has no invoice-date bucket (age {days})")
        for edge, label in self._ranges:
            if days <= edge:
                return label
        return self._labels[-1]

    def labels_over(self, days: int) -> tuple[str, ...]:
        """Buckets entirely beyond ``days`` (``labels_over(90)`` = ``91-120``, ``121+`` for the default edges)."""
        return tuple(lb for lb in self.labels if lb != CURRENT and self.lower_bound(lb) > days)


DUE_DATE_AGING = BucketScheme("due_date")
INVOICE_DATE_AGING = BucketScheme("invoice_date")


def days_past_due(as_of: date, due_date: date) -> int:
    """``as_of − due_date`` in calendar days; ≤ 0 means not past due."""
    return (as_of - due_date).days


def age_bucket(as_of: date, due_date: date, *, edges: tuple[int, ...] = DEFAULT_EDGES) -> str:
    """``current``, ``1-30``, ``31-60``, ``61-90``, ``91-120`` or ``121+`` (shown as "120+")."""
    return BucketScheme("due_date", edges).label(days_past_due(as_of, due_date))


def age_bucket_by_invoice_date(as_of: date, invoice_date: date, *, edges: tuple[int, ...] = DEFAULT_EDGES) -> str:
    """``0-30``, ``31-60``, ``61-90``, ``91-120`` or ``121+`` by ``as_of − invoice_date`` (variant)."""
    return BucketScheme("invoice_date", edges).label((as_of - invoice_date).days)


@dataclass(frozen=True, slots=True)
class AppliedAmount:
    """Cash (or a credit) applied to an item on a date; only applications dated ≤ as-of reduce the balance."""

    on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An invoice or debit memo: its amount and the applications made to it."""

    ref: str
    invoice_date: date
    due_date: date
    amount: Decimal
    applications: tuple[AppliedAmount, ...] = ()
    disputed: bool = False
    currency: str | None = None

    def open_at(self, as_of: date) -> Decimal:
        """Amount less the applications dated on or before ``as_of`` (exact Decimal arithmetic)."""
        balance = to_money(self.amount, f"{self.ref}.amount")
        for a in self.applications:
            if a.on <= as_of:
                balance = EXACT.subtract(balance, to_money(a.amount, f"{self.ref} application"))
        if balance < 0:
            raise KpiInputError(f"{self.ref}: applications exceed the amount at {as_of}")
        return balance


@dataclass(frozen=True, slots=True)
class UnappliedItem:
    """Unapplied cash or an unapplied credit memo, given as a positive amount; it lowers total AR."""

    ref: str
    on: date
    amount: Decimal
    kind: str = "cash"
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class AgedItem:
    ref: str
    days: int
    bucket: str
    open_amount: Decimal
    disputed: bool


@dataclass(frozen=True, slots=True)
class AgingReport:
    """Bucket totals of open items, an "Unapplied" line (negative) and "of which disputed" per bucket."""

    as_of: date
    scheme: BucketScheme
    buckets: dict[str, Decimal]
    disputed: dict[str, Decimal]
    unapplied: dict[str, Decimal]
    items: tuple[AgedItem, ...]
    total: Decimal  # total AR: open items less unapplied cash and credits (gross of the bad-debt allowance)
    currency: str | None = None

    @property
    def open_items_total(self) -> Decimal:
        return exact_sum(self.buckets.values())

    @property
    def unapplied_total(self) -> Decimal:
        return exact_sum(self.unapplied.values())

    def percent_current(self) -> KpiResult:
        if self.scheme.anchor != "due_date":
            raise KpiInputError("percent current needs due-date aging (the invoice-date anchor has no current bucket)")
        return percent_current(self.buckets[CURRENT], self.total)

    def percent_over(self, days: int = 90) -> KpiResult:
        """(Buckets beyond ``days``) / Total AR × 100; ``percent_over(90)`` is CRF's "over 91 days"."""
        over = exact_sum(self.buckets[lb] for lb in self.scheme.labels_over(days))
        return _share(f"percent_over_{days}", over, self.total)


def aging_report(
    items: Iterable[OpenItem],
    as_of: date,
    *,
    scheme: BucketScheme = DUE_DATE_AGING,
    unapplied: Iterable[UnappliedItem] = (),
) -> AgingReport:
    """Age open items at ``as_of`` (end of day). Items issued after ``as_of`` or fully applied are left out.

    Disputed items stay in their natural bucket and are also summed in ``disputed``. Unapplied
    cash/credits are aged by their own date on their own line and included (negative) in the total.
    """
    items = [i for i in items if i.invoice_date <= as_of]
    unapplied = [u for u in unapplied if u.on <= as_of]
    currency = check_single_currency([*items, *unapplied], "aging")
    zero = Decimal(0)
    buckets = dict.fromkeys(scheme.labels, zero)
    disputed = dict.fromkeys(scheme.labels, zero)
    unapplied_lines = dict.fromkeys(scheme.labels, zero)
    aged = []
    by_due = scheme.anchor == "due_date"
    for item in items:
        balance = item.open_at(as_of)
        if balance == 0:
            continue
        days = (as_of - (item.due_date if by_due else item.invoice_date)).days
        label = scheme.label(days)
        buckets[label] = EXACT.add(buckets[label], balance)
        if item.disputed:
            disputed[label] = EXACT.add(disputed[label], balance)
        aged.append(AgedItem(item.ref, days, label, balance, item.disputed))
    for u in unapplied:
        amount = to_money(u.amount, f"{u.ref}.amount")
        if amount < 0:
            raise KpiInputError(f"{u.ref}: give unapplied amounts as positive numbers")
        label = scheme.label((as_of - u.on).days)
        unapplied_lines[label] = EXACT.subtract(unapplied_lines[label], amount)
    total = exact_sum((*buckets.values(), *unapplied_lines.values()))
    return AgingReport(as_of, scheme, buckets, disputed, unapplied_lines, tuple(aged), total, currency)


def _share(kpi: str, part: Number, total: Number) -> KpiResult:
    whole = to_fraction(total, "total_ar")
    if whole <= 0:
        return KpiResult.undefined(kpi, Unit.PERCENT, Reason.NON_POSITIVE_TOTAL_AR)
    return KpiResult.of(kpi, Unit.PERCENT, percent(to_fraction(part, kpi), whole))


def percent_current(current_ar: Number, total_ar: Number) -> KpiResult:
    """Current AR / Total AR × 100 (§8); Total AR ≤ 0 → ``NON_POSITIVE_TOTAL_AR``."""
    return _share("percent_current", current_ar, total_ar)


def percent_over_90(over_90_ar: Number, total_ar: Number) -> KpiResult:
    """(91-120 + 121+) / Total AR × 100 (§6)."""
    return _share("percent_over_90", over_90_ar, total_ar)


def avg_days_past_due_open(items: Iterable[OpenItem], as_of: date) -> KpiResult:
    """Amount-weighted average dpd of the open past-due items: the invoice-level variant §4 keeps apart from ADD."""
    items = list(items)
    check_single_currency(items, "avg_days_past_due_open")
    weighted = Fraction(0)
    amount = Fraction(0)
    for item in items:
        dpd = days_past_due(as_of, item.due_date)
        if item.invoice_date > as_of or dpd <= 0:
            continue
        balance = Fraction(item.open_at(as_of))
        weighted += balance * dpd
        amount += balance
    if amount == 0:
        return KpiResult.undefined("avg_days_past_due_open", Unit.DAYS, Reason.NO_PAST_DUE_ITEMS)
    return KpiResult.of("avg_days_past_due_open", Unit.DAYS, weighted / amount)


def ar_balance(gross_ar: Number, *, variant: str = "gross", bad_debt_allowance: Number = 0) -> Fraction:
    """Total AR gross of the allowance (default), or the ``net`` variant (gross − allowance)."""
    require_choice("variant", variant, ("gross", "net"))
    gross = to_fraction(gross_ar, "gross_ar")
    return gross if variant == "gross" else gross - to_fraction(bad_debt_allowance, "bad_debt_allowance")
