"""Reads for the pages. Each one starts from a permission gate in `arrears.ledger.selectors`.

Money is summed in SQL, grouped by currency, and never added across currencies. Lists are read one
page at a time with `page_fetch`, which asks for one row more than it shows instead of counting the
whole table (a COUNT(*) over a million documents on every page view is the slow part of a list).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.http import Http404

from arrears.audit.models import AuditEvent
from arrears.audit.selectors import audit_event_list
from arrears.ledger.models import (
    ZERO,
    Allocation,
    BusinessUnit,
    ChannelConsent,
    Contact,
    Customer,
    Document,
    DocumentKind,
    DocumentStatus,
    Payment,
)
from arrears.ledger.selectors import (
    customer_list_visible,
    document_list_visible,
    payment_list_visible,
)
from arrears.users.models import Role, User

OPEN_STATUSES = (DocumentStatus.OPEN, DocumentStatus.PARTIALLY_PAID)
DEBIT_KINDS = (DocumentKind.INVOICE, DocumentKind.DEBIT_NOTE)
MAX_PAGE = 10_000  # deeper offsets are a scan; narrow the filters instead


# --- paging -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    number: int
    size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)


def page_number(raw: Any) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def page_fetch(qs: QuerySet[Any], *, page: int, size: int) -> Page:
    """One page of an ordered queryset plus whether another follows: a single query, no COUNT."""
    start = (page - 1) * size
    rows = list(qs[start : start + size + 1])
    return Page(rows=rows[:size], number=page, size=size, has_next=len(rows) > size)


# --- money summaries ----------------------------------------------------------------------------


@dataclass
class CurrencyBalance:
    """What one customer (or a portfolio) owes in one currency."""

    currency: str
    open_debits: Decimal = ZERO
    unapplied_credits: Decimal = ZERO  # open credit notes
    unapplied_cash: Decimal = ZERO  # payments not yet allocated
    overdue: Decimal = ZERO
    overdue_documents: int = 0
    open_documents: int = 0

    @property
    def credits(self) -> Decimal:
        return self.unapplied_credits + self.unapplied_cash

    @property
    def net(self) -> Decimal:
        return self.open_debits - self.credits


def _debit_sums(qs: QuerySet[Document], *, as_of: dt.date, group: Sequence[str]) -> QuerySet[Any]:
    """Open debits, open credit notes and the overdue part, grouped by `group` (always with currency)."""
    debit = ~Q(kind=DocumentKind.CREDIT_NOTE)
    overdue = debit & Q(due_date__lt=as_of)
    return (
        qs.filter(status__in=OPEN_STATUSES)
        .values(*group)
        .annotate(
            open_debits=Sum("open_amount", filter=debit, default=ZERO),
            unapplied_credits=Sum("open_amount", filter=Q(kind=DocumentKind.CREDIT_NOTE), default=ZERO),
            overdue=Sum("open_amount", filter=overdue, default=ZERO),
            overdue_documents=Count("id", filter=overdue),
            open_documents=Count("id", filter=debit),
        )
        .order_by(*group)
    )


def _apply_debit_row(bal: CurrencyBalance, row: dict[str, Any]) -> None:
    bal.open_debits = row["open_debits"]
    bal.unapplied_credits = row["unapplied_credits"]
    bal.overdue = row["overdue"]
    bal.overdue_documents = row["overdue_documents"]
    bal.open_documents = row["open_documents"]


@dataclass
class PortfolioSummary:
    customers: int
    balances: list[CurrencyBalance] = field(default_factory=list)

    @property
    def overdue_documents(self) -> int:
        return sum(b.overdue_documents for b in self.balances)


def portfolio_summary(*, user: Any, as_of: dt.date) -> PortfolioSummary:
    """The visible portfolio in three SQL aggregates: customers, documents by currency, unapplied cash."""
    by_currency: dict[str, CurrencyBalance] = {}
    for row in _debit_sums(document_list_visible(user=user), as_of=as_of, group=["currency"]):
        _apply_debit_row(by_currency.setdefault(row["currency"], CurrencyBalance(row["currency"])), row)
    cash = (
        payment_list_visible(user=user)
        .filter(unapplied_amount__gt=0)
        .values("currency")
        .annotate(s=Sum("unapplied_amount"))
        .order_by("currency")
    )
    for row in cash:
        by_currency.setdefault(row["currency"], CurrencyBalance(row["currency"])).unapplied_cash = row["s"]
    return PortfolioSummary(
        customers=customer_list_visible(user=user).count(),
        balances=[by_currency[c] for c in sorted(by_currency)],
    )


def customer_balances(*, customer_ids: Iterable[int], as_of: dt.date) -> dict[int, list[CurrencyBalance]]:
    """Open balance and overdue per currency for a page of customers: one grouped query.

    The ids must come from a gated read (a page of `customer_list_visible`).
    """
    ids = list(customer_ids)
    out: dict[int, list[CurrencyBalance]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = _debit_sums(
        Document.objects.filter(customer_id__in=ids), as_of=as_of, group=["customer_id", "currency"]
    )
    for row in rows:
        bal = CurrencyBalance(row["currency"])
        _apply_debit_row(bal, row)
        out[row["customer_id"]].append(bal)
    return out


def customer_balance_detail(*, customer: Customer, as_of: dt.date) -> list[CurrencyBalance]:
    """The customer header: debits, credit notes, unapplied cash and overdue, per currency."""
    by_currency: dict[str, CurrencyBalance] = {}
    for row in _debit_sums(customer.documents.all(), as_of=as_of, group=["currency"]):
        _apply_debit_row(by_currency.setdefault(row["currency"], CurrencyBalance(row["currency"])), row)
    cash = (
        customer.payments.filter(unapplied_amount__gt=0)
        .values("currency")
        .annotate(s=Sum("unapplied_amount"))
        .order_by("currency")
    )
    for row in cash:
        by_currency.setdefault(row["currency"], CurrencyBalance(row["currency"])).unapplied_cash = row["s"]
    return [by_currency[c] for c in sorted(by_currency)]


@dataclass(frozen=True)
class CreditUse:
    limit: Decimal
    currency: str
    used: Decimal

    @property
    def percent(self) -> int:
        if self.limit <= ZERO:
            return 0
        return int((self.used / self.limit * 100).to_integral_value(rounding=ROUND_HALF_UP))

    @property
    def over(self) -> bool:
        return self.used > self.limit


def customer_credit_use(*, customer: Customer, balances: list[CurrencyBalance]) -> CreditUse | None:
    """Utilisation of the credit limit: the net balance in the limit's own currency (no FX here)."""
    if customer.credit_limit is None:
        return None
    currency = customer.credit_currency or customer.business_unit.home_currency
    used = next((b.net for b in balances if b.currency == currency), ZERO)
    return CreditUse(limit=customer.credit_limit, currency=currency, used=max(used, ZERO))


# --- aging --------------------------------------------------------------------------------------

AGING_BUCKETS: tuple[tuple[str, str, int | None, int | None], ...] = (
    # key, label, min days past due, max days past due (inclusive; None = open-ended)
    ("current", "Current", None, 0),
    ("d1_30", "1–30", 1, 30),
    ("d31_60", "31–60", 31, 60),
    ("d61_90", "61–90", 61, 90),
    ("d91_120", "91–120", 91, 120),
    ("d120_plus", "120+", 121, None),
)


@dataclass(frozen=True)
class AgingRow:
    currency: str
    buckets: list[Decimal]
    total: Decimal


def _bucket_filter(as_of: dt.date, lo: int | None, hi: int | None) -> Q:
    # days past due = as_of - due_date, so "at least lo days" is due_date <= as_of - lo.
    q = Q()
    if lo is not None:
        q &= Q(due_date__lte=as_of - dt.timedelta(days=lo))
    if hi is not None:
        q &= Q(due_date__gte=as_of - dt.timedelta(days=hi))
    return q


def customer_aging(*, customer: Customer, as_of: dt.date) -> list[AgingRow]:
    """Open debit amounts by days past due, one row per currency, from one SQL aggregate."""
    sums = {
        key: Sum("open_amount", filter=_bucket_filter(as_of, lo, hi), default=ZERO)
        for key, _label, lo, hi in AGING_BUCKETS
    }
    rows = (
        customer.documents.filter(status__in=OPEN_STATUSES)
        .exclude(kind=DocumentKind.CREDIT_NOTE)
        .values("currency")
        .annotate(total=Sum("open_amount"), **sums)
        .order_by("currency")
    )
    return [
        AgingRow(currency=r["currency"], buckets=[r[key] for key, *_ in AGING_BUCKETS], total=r["total"])
        for r in rows
    ]


# --- customers ----------------------------------------------------------------------------------

CUSTOMER_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "external_id": ("external_id", "id"),
    "oldest_due": ("oldest_due", "name", "id"),
}


def customer_list_for_page(
    *,
    user: Any,
    as_of: dt.date,
    q: str = "",
    business_unit: BusinessUnit | None = None,
    segment: str = "",
    kind: str = "",
    jurisdiction: str = "",
    collector: Any = None,
    overdue_only: bool = False,
    sort: str = "name",
) -> QuerySet[Customer]:
    """Visible customers, filtered and sorted, annotated with the due date of their oldest open debit."""
    qs = customer_list_visible(user=user).select_related("collector", "business_unit")
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(external_id__iexact=q))
    if business_unit is not None:
        qs = qs.filter(business_unit=business_unit)
    if segment:
        qs = qs.filter(segment=segment)
    if kind:
        qs = qs.filter(kind=kind)
    if jurisdiction:
        qs = qs.filter(jurisdiction=jurisdiction)
    if collector is not None:
        qs = qs.filter(collector=collector)
    order = CUSTOMER_SORTS.get(sort, CUSTOMER_SORTS["name"])
    if sort == "oldest_due":
        # Sorting by it means computing it for every visible customer: one grouped LEFT JOIN on the open
        # debits is ~4x cheaper than a correlated subquery per customer (1M documents, PostgreSQL).
        qs = qs.annotate(
            open_debit=FilteredRelation(
                "documents", condition=Q(documents__status__in=OPEN_STATUSES, documents__kind__in=DEBIT_KINDS)
            )
        ).annotate(oldest_due=Min("open_debit__due_date"))
        if overdue_only:
            qs = qs.filter(oldest_due__lt=as_of)
        return qs.order_by(F("oldest_due").asc(nulls_last=True), *order[1:])
    open_debits = Document.objects.filter(
        customer_id=OuterRef("pk"), status__in=OPEN_STATUSES, kind__in=DEBIT_KINDS
    )
    # A correlated subquery on the (customer, status, due_date) index, evaluated only for the rows on
    # the page.
    qs = qs.annotate(oldest_due=Subquery(open_debits.order_by("due_date").values("due_date")[:1]))
    if overdue_only:
        qs = qs.filter(Exists(open_debits.filter(due_date__lt=as_of)))
    qs = qs.order_by(*order)
    return qs


def customer_segment_list(*, user: Any) -> list[str]:
    return list(
        customer_list_visible(user=user)
        .exclude(segment="")
        .order_by("segment")
        .values_list("segment", flat=True)
        .distinct()
    )


def collector_list_visible(*, user: Any) -> QuerySet[User]:
    """The collectors a user may filter by: everyone who can own a portfolio, within the user's view."""
    qs = User.objects.filter(is_active=True, role__in=[Role.COLLECTOR, Role.LEAD])
    ids = user.visible_collector_ids()
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.order_by("first_name", "last_name", "username")


def customer_document_list(*, customer: Customer, open_only: bool = False) -> QuerySet[Document]:
    """Documents of a customer that came through `customer_get_for_user`."""
    qs = customer.documents.all()
    if open_only:
        return qs.filter(status__in=OPEN_STATUSES).order_by("due_date", "id")
    return qs.order_by("-due_date", "-id")


def customer_payment_list(*, customer: Customer) -> QuerySet[Payment]:
    allocations = Allocation.objects.select_related("document").order_by("date", "id")
    return customer.payments.prefetch_related(Prefetch("allocations", queryset=allocations)).order_by(
        "-received_date", "-id"
    )


def customer_contact_list(*, customer: Customer) -> list[Contact]:
    return list(
        customer.contacts.prefetch_related(
            Prefetch("consents", queryset=ChannelConsent.objects.order_by("channel"))
        )
    )


def customer_audit_list(*, customer: Customer) -> QuerySet[AuditEvent]:
    return audit_event_list(customer_id=customer.pk)


# --- documents ----------------------------------------------------------------------------------

DOCUMENT_SORTS = {
    "due_date": ("due_date", "id"),
    "-due_date": ("-due_date", "-id"),
    "issue_date": ("issue_date", "id"),
    "-issue_date": ("-issue_date", "-id"),
}


def document_list_for_page(
    *,
    user: Any,
    as_of: dt.date,
    q: str = "",
    status: str = "",
    kind: str = "",
    currency: str = "",
    business_unit: BusinessUnit | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    overdue_only: bool = False,
    sort: str = "due_date",
) -> QuerySet[Document]:
    qs = document_list_visible(user=user).select_related("customer")
    q = q.strip()
    if q:
        # Case-sensitive prefixes, as typed and upper-cased: the planner estimates these well and scans
        # once (~0.2 s over 1M rows); UPPER(...) LIKE made it walk the whole due-date index (~6 s).
        # A pattern-ops index on external_id would make this an index lookup (see docs/web.md).
        match = Q()
        for variant in dict.fromkeys((q, q.upper())):
            match |= Q(external_id__startswith=variant) | Q(reference__startswith=variant)
        qs = qs.filter(match)
    if status == "unsettled":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if currency:
        qs = qs.filter(currency=currency.upper())
    if business_unit is not None:
        qs = qs.filter(business_unit=business_unit)
    if due_from is not None:
        qs = qs.filter(due_date__gte=due_from)
    if due_to is not None:
        qs = qs.filter(due_date__lte=due_to)
    if overdue_only:
        qs = qs.filter(status__in=OPEN_STATUSES, due_date__lt=as_of).exclude(kind=DocumentKind.CREDIT_NOTE)
    return qs.order_by(*DOCUMENT_SORTS.get(sort, DOCUMENT_SORTS["due_date"]))


def document_get_for_user(*, user: Any, pk: int) -> Document:
    """One document, or 404 when it does not exist or its customer is outside the user's view."""
    try:
        return document_list_visible(user=user).select_related("customer", "business_unit").get(pk=pk)
    except (Document.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such document") from exc


def document_allocation_list(*, document: Document) -> list[Allocation]:
    """What settled a debit document, or where a credit note was applied."""
    qs = Allocation.objects.select_related("payment", "credit_note", "write_off", "document")
    if document.kind == DocumentKind.CREDIT_NOTE:
        qs = qs.filter(credit_note=document)
    else:
        qs = qs.filter(document=document)
    return list(qs.order_by("date", "id"))


def currency_list_known() -> list[str]:
    """Currencies worth offering in a filter: the business units' home currencies (a tiny table)."""
    return sorted(set(BusinessUnit.objects.values_list("home_currency", flat=True)))


# --- audit --------------------------------------------------------------------------------------


def audit_list_for_page(
    *,
    action: str = "",
    object_type: str = "",
    actor: str = "",
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """The global audit trail; the caller checks `user.can_read_audit`. Bounds are aware datetimes."""
    qs = audit_event_list(object_type=object_type.strip() or None)
    if action:
        qs = qs.filter(action=action.strip())
    if actor:
        qs = qs.filter(actor_label__iexact=actor.strip())
    if date_from is not None:
        qs = qs.filter(at__gte=date_from)
    if date_to is not None:
        qs = qs.filter(at__lt=date_to)
    return qs.order_by("-at", "-id")
