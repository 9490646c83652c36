"""Reads for cash application: the matching index (all open documents at once), statements, the queue."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db.models import BigIntegerField, F, QuerySet
from django.db.models.functions import Cast, Round
from django.http import Http404

from arrears.common.money import currency_exponent
from arrears.ledger.models import Customer, Document, DocumentKind
from arrears.ledger.selectors import customer_list_visible
from arrears.payments.matching import MatchIndex, OpenDocuments, Payers
from arrears.payments.models import BankStatement, CustomerBankAccount, LineStatus, StatementLine
from arrears.users.models import Role

# Who applies cash: the back office, not the collectors (docs/cash-application.md, "Who may match").
MAY_MATCH = {Role.ADMIN, Role.HEAD, Role.LEAD}
MAY_READ = {Role.ADMIN, Role.HEAD, Role.LEAD, Role.AUDITOR}


def cash_may_read(*, user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in MAY_READ))


def cash_may_match(*, user: Any) -> bool:
    return bool(user and user.is_authenticated and not user.is_read_only
                and (user.is_superuser or user.role in MAY_MATCH))


def open_documents_load() -> OpenDocuments:
    """Every open debit document as columns; amounts as exact integers of 1/1000 converted to minor units.

    One query. On SQLite the stored value is already a float (its NUMERIC affinity) and Django would
    round it the same way; on PostgreSQL numeric * 1000 -> bigint is exact.
    """
    rows = list(
        Document.objects.filter(open_amount__gt=0)
        .exclude(kind=DocumentKind.CREDIT_NOTE)
        .order_by("id")
        .annotate(milli=Cast(Round(F("open_amount") * 1000), BigIntegerField()))
        .values_list("id", "customer_id", "external_id", "currency", "milli", "due_date")
        .iterator(chunk_size=20000)
    )
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return OpenDocuments(empty, empty.copy(), [], [], empty.copy(), empty.copy())
    ids, customers, external_ids, currencies, milli, due = zip(*rows, strict=True)
    divisor = {c: 10 ** (3 - currency_exponent(c)) for c in set(currencies)}
    milli_arr = np.fromiter(milli, dtype=np.int64, count=len(rows))
    if len(divisor) == 1:
        open_minor = milli_arr // next(iter(divisor.values()))
    else:
        open_minor = milli_arr // np.fromiter((divisor[c] for c in currencies), dtype=np.int64, count=len(rows))
    return OpenDocuments(
        ids=np.fromiter(ids, dtype=np.int64, count=len(rows)),
        customer_ids=np.fromiter(customers, dtype=np.int64, count=len(rows)),
        external_ids=external_ids,
        currencies=currencies,
        open_minor=open_minor,
        due_ordinal=np.fromiter((d.toordinal() for d in due), dtype=np.int64, count=len(rows)),
    )


def payers_load() -> Payers:
    ids, names = [], []
    for pk, name in Customer.objects.order_by("id").values_list("id", "name").iterator(chunk_size=20000):
        ids.append(pk)
        names.append(name)
    ibans: dict[str, set[int]] = {}
    for iban, customer_id in CustomerBankAccount.objects.values_list("iban", "customer_id"):
        ibans.setdefault(iban, set()).add(customer_id)
    return Payers(customer_ids=ids, names=names, ibans=ibans)


def match_index_load() -> MatchIndex:
    docs = open_documents_load()
    exponents = {c: currency_exponent(c) for c in set(docs.currencies)}
    return MatchIndex(docs, payers_load(), exponents=exponents)


def statement_list() -> QuerySet[BankStatement]:
    return BankStatement.objects.select_related("imported_by")


def statement_get(*, pk: int) -> BankStatement:
    try:
        return statement_list().get(pk=pk)
    except (BankStatement.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such statement") from exc


def statement_line_list() -> QuerySet[StatementLine]:
    return StatementLine.objects.select_related("statement", "matched_customer", "payment", "matched_by")


def statement_line_queue() -> QuerySet[StatementLine]:
    """Credit lines waiting for a person: suggestions first (most confident first), then unmatched."""
    return (
        statement_line_list()
        .filter(status__in=[LineStatus.SUGGESTED, LineStatus.UNMATCHED], is_credit=True)
        .order_by("status", "-confidence", "booking_date", "id")
    )


def statement_line_get(*, pk: int) -> StatementLine:
    try:
        return statement_line_list().get(pk=pk)
    except (StatementLine.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such statement line") from exc


def line_candidates_visible(*, user: Any, line: StatementLine) -> list[dict[str, Any]]:
    """The stored candidates, limited to customers this user may see (a lead: the team's)."""
    if user.visible_collector_ids() is None:
        return list(line.candidates)
    ids = {c["customer_id"] for c in line.candidates}
    visible = set(customer_list_visible(user=user).filter(pk__in=ids).values_list("pk", flat=True))
    return [c for c in line.candidates if c["customer_id"] in visible]


def customer_open_documents(*, customer: Customer, currency: str) -> QuerySet[Document]:
    return (
        Document.objects.filter(customer=customer, currency=currency, open_amount__gt=0)
        .exclude(kind=DocumentKind.CREDIT_NOTE)
        .order_by("due_date", "id")
    )


def customer_find_for_user(*, user: Any, query: str) -> Customer | None:
    """A customer by id or by number (external id), within what the user may see."""
    query = (query or "").strip()
    if not query:
        return None
    qs = customer_list_visible(user=user).select_related("business_unit")
    found = qs.filter(external_id=query).first()
    if found is None and query.isdigit():
        found = qs.filter(pk=int(query)).first()
    return found
