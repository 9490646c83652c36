"""Early warnings: customers whose behaviour is turning, each with its reason in words.

Promise, dispute and contact facts come from the optional arguments (callers above scoring pass
them), else from those apps' tables read as plain SQL when the tables exist (see selectors).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Max, Q, Sum

from arrears.common.json import jsonable
from arrears.compliance.models import AttemptOutcome, ContactAttempt, Direction
from arrears.ledger.models import ZERO, Allocation, AllocationSource, Customer, Document, Payment
from arrears.scoring.models import EarlyWarning, Severity, WarningCode
from arrears.scoring.selectors import DEBIT_KINDS, _table_exists

RECENT = 5  # the last RECENT settled invoices ...
MIN_EARLIER = 3  # ... against at least this many before them
SLOWER_DAYS = 10  # fire when the recent mean delay is this much worse
GROWTH = Decimal("1.25")  # balance now against 60 days ago
PARTIAL_WINDOW_DAYS = 180
PARTIAL_MIN = 3
PROMISE_WINDOW_DAYS = 90
PROMISE_MIN = 2
DISPUTE_WINDOW_DAYS = 90
DISPUTE_MIN = 2
SILENCE_WINDOW_DAYS = 30
SILENCE_MIN_CONTACTS = 3

ContactFact = tuple[dt.date, str, str]  # (date, direction, outcome)


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _warn(customer_id: int, code: WarningCode, severity: Severity, reason: str, **details: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "code": code, "severity": severity, "reason": reason, "details": details}


# ------------------------------------------------------------------------------------ the signals


def _paying_slower(as_of: dt.date) -> list[dict[str, Any]]:
    rows = (
        Document.objects.filter(kind__in=DEBIT_KINDS, closed_date__lt=as_of, status="paid")
        .order_by("customer_id", "closed_date", "id")
        .values_list("customer_id", "closed_date", "due_date")
    )
    delays: dict[int, list[int]] = defaultdict(list)
    for customer_id, closed, due in rows.iterator(chunk_size=20000):
        delays[customer_id].append((closed - due).days)
    out = []
    for customer_id, d in delays.items():
        if len(d) < RECENT + MIN_EARLIER:
            continue
        recent = float(np.mean(d[-RECENT:]))
        earlier = float(np.mean(d[:-RECENT]))
        slower = recent - earlier
        if slower >= SLOWER_DAYS and recent > 0:
            severity = Severity.HIGH if slower >= 30 else Severity.MEDIUM if slower >= 20 else Severity.LOW
            out.append(_warn(
                customer_id, WarningCode.PAYING_SLOWER, severity,
                f"Paid the last {RECENT} invoices on average {recent:.0f} days after the due date, against "
                f"{earlier:.0f} days for the {len(d) - RECENT} before them ({slower:.0f} days slower).",
                recent_mean_delay=round(recent, 1), earlier_mean_delay=round(earlier, 1), invoices=len(d),
            ))
    return out


def _balances(on: dt.date, since: dt.date) -> dict[tuple[int, str], Decimal]:
    """Open balance per (customer, currency) at the end of ``on``, from documents and allocations by date."""
    live = Q(closed_date__isnull=True) | Q(closed_date__gte=since)
    docs = (
        Document.objects.filter(live, kind__in=DEBIT_KINDS, issue_date__lte=on)
        .values("customer_id", "currency").annotate(s=Sum("amount")).order_by()
    )
    allocs = (
        Allocation.objects.filter(
            Q(document__closed_date__isnull=True) | Q(document__closed_date__gte=since),
            document__kind__in=DEBIT_KINDS, document__issue_date__lte=on, date__lte=on,
        )
        .values("document__customer_id", "currency").annotate(s=Sum("amount")).order_by()
    )
    out: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    for d in docs:
        out[(d["customer_id"], d["currency"])] += d["s"] or ZERO
    for a in allocs:
        out[(a["document__customer_id"], a["currency"])] -= a["s"] or ZERO
    return out


def _balance_warnings(as_of: dt.date) -> list[dict[str, Any]]:
    since = as_of - dt.timedelta(days=60)
    now = _balances(as_of, since)
    d30 = _balances(as_of - dt.timedelta(days=30), since)
    d60 = _balances(since, since)
    out = []
    limits = Customer.objects.filter(credit_limit__isnull=False).values_list(
        "id", "credit_limit", "credit_currency", "business_unit__home_currency"
    )
    for customer_id, limit, credit_currency, home in limits:
        currency = credit_currency or home
        balance = now.get((customer_id, currency), ZERO)
        if balance > limit:
            over = balance / limit if limit > 0 else Decimal("9")
            severity = Severity.HIGH if over >= Decimal("1.5") else Severity.MEDIUM if over >= Decimal("1.2") else Severity.LOW
            out.append(_warn(
                customer_id, WarningCode.OVER_CREDIT_LIMIT, severity,
                f"Open balance {_money(balance, currency)} is above the credit limit {_money(limit, currency)} "
                f"(by {_money(balance - limit, currency)}).",
                balance=balance, credit_limit=limit, currency=currency,
            ))
    growing: dict[int, dict[str, Any]] = {}
    for (customer_id, currency), b0 in now.items():
        b30, b60 = d30.get((customer_id, currency), ZERO), d60.get((customer_id, currency), ZERO)
        if b60 > 0 and b0 > b30 > b60 and b0 >= b60 * GROWTH:
            ratio = b0 / b60
            if customer_id in growing and growing[customer_id]["details"]["ratio"] >= ratio:
                continue
            severity = Severity.HIGH if ratio >= 2 else Severity.MEDIUM if ratio >= Decimal("1.5") else Severity.LOW
            growing[customer_id] = _warn(
                customer_id, WarningCode.GROWING_BALANCE, severity,
                f"Open balance grew from {_money(b60, currency)} 60 days ago to {_money(b30, currency)} 30 days ago "
                f"and {_money(b0, currency)} now.",
                balance_60_days_ago=b60, balance_30_days_ago=b30, balance=b0, currency=currency,
                ratio=ratio.quantize(Decimal("0.01")),
            )
    return out + list(growing.values())


def _partial_payments(as_of: dt.date) -> list[dict[str, Any]]:
    since = as_of - dt.timedelta(days=PARTIAL_WINDOW_DAYS)
    touched = Allocation.objects.filter(source=AllocationSource.PAYMENT, date__gt=since, date__lte=as_of).values(
        "document_id"
    )
    rows = (
        Allocation.objects.filter(document_id__in=touched, date__lte=as_of)
        .order_by("document_id", "date", "id")
        .values_list("document_id", "document__customer_id", "document__amount", "source", "amount", "date")
    )
    partial: dict[int, list[int]] = defaultdict(list)
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for doc_id, customer_id, doc_amount, source, amount, date in rows.iterator(chunk_size=20000):
        paid[doc_id] += amount
        if source == AllocationSource.PAYMENT and date > since and paid[doc_id] < doc_amount:
            partial[customer_id].append(doc_id)
    out = []
    for customer_id, docs in partial.items():
        if len(docs) >= PARTIAL_MIN:
            n = len(docs)
            severity = Severity.HIGH if n >= 6 else Severity.MEDIUM if n >= 4 else Severity.LOW
            out.append(_warn(
                customer_id, WarningCode.PARTIAL_PAYMENTS, severity,
                f"{n} partial payments on {len(set(docs))} invoices in the last {PARTIAL_WINDOW_DAYS} days.",
                partial_payments=n, invoices=len(set(docs)),
            ))
    return out


def _dates_sql(table: str, sql: str, params: Sequence[Any]) -> dict[int, list[dt.date]]:
    out: dict[int, list[dt.date]] = defaultdict(list)
    if not _table_exists(table):
        return out
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for customer_id, day in cursor.fetchall():
            out[customer_id].append(day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)))
    return out


def _broken_promises(as_of: dt.date, given: Mapping[int, Sequence[dt.date]] | None) -> list[dict[str, Any]]:
    dates = given if given is not None else _dates_sql(
        "promises_promise",
        "SELECT customer_id, decided_on FROM promises_promise WHERE status = %s AND decided_on IS NOT NULL",
        ["broken"],
    )
    since = as_of - dt.timedelta(days=PROMISE_WINDOW_DAYS)
    out = []
    for customer_id, ds in dates.items():
        n = sum(1 for d in ds if since < d <= as_of)
        if n >= PROMISE_MIN:
            out.append(_warn(
                customer_id, WarningCode.BROKEN_PROMISES, Severity.HIGH if n >= 3 else Severity.MEDIUM,
                f"Broke {n} promises to pay in the last {PROMISE_WINDOW_DAYS} days.", broken_promises=n,
            ))
    return out


def _rising_disputes(as_of: dt.date, given: Mapping[int, Sequence[dt.date]] | None) -> list[dict[str, Any]]:
    dates = given if given is not None else _dates_sql(
        "disputes_dispute", "SELECT customer_id, opened_on FROM disputes_dispute", []
    )
    if not dates:
        return []
    recent_from = as_of - dt.timedelta(days=DISPUTE_WINDOW_DAYS)
    earlier_from = recent_from - dt.timedelta(days=365)
    counts = (
        Document.objects.filter(customer_id__in=list(dates), kind__in=DEBIT_KINDS, issue_date__gt=earlier_from,
                                issue_date__lte=as_of)
        .values_list("customer_id", "issue_date")
    )
    invoices: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for customer_id, issued in counts:
        invoices[customer_id][0 if issued > recent_from else 1] += 1
    out = []
    for customer_id, ds in dates.items():
        recent = sum(1 for d in ds if recent_from < d <= as_of)
        earlier = sum(1 for d in ds if earlier_from < d <= recent_from)
        inv_recent, inv_earlier = invoices[customer_id]
        rate_recent = recent / max(inv_recent, 1)
        rate_earlier = earlier / max(inv_earlier, 1)
        if recent >= DISPUTE_MIN and rate_recent >= 0.2 and rate_recent >= 2 * rate_earlier:
            out.append(_warn(
                customer_id, WarningCode.RISING_DISPUTES,
                Severity.HIGH if rate_recent >= 0.5 else Severity.MEDIUM,
                f"Opened {recent} disputes on {inv_recent} invoices in the last {DISPUTE_WINDOW_DAYS} days "
                f"({rate_recent:.0%}), against {earlier} on {inv_earlier} in the year before ({rate_earlier:.0%}).",
                recent_disputes=recent, recent_invoices=inv_recent, earlier_disputes=earlier,
                earlier_invoices=inv_earlier,
            ))
    return out


def _contacts_from_log(since: dt.date) -> dict[int, list[ContactFact]]:
    out: dict[int, list[ContactFact]] = defaultdict(list)
    rows = ContactAttempt.objects.filter(at__date__gte=since).values_list("customer_id", "at", "direction", "outcome")
    for customer_id, at, direction, outcome in rows:
        out[customer_id].append((at.date(), direction, outcome))
    return out


def _silence(as_of: dt.date, given: Mapping[int, Sequence[ContactFact]] | None) -> list[dict[str, Any]]:
    since = as_of - dt.timedelta(days=SILENCE_WINDOW_DAYS)
    contacts = given if given is not None else _contacts_from_log(since)
    candidates = {}
    for customer_id, facts in contacts.items():
        window = [f for f in facts if since <= f[0] <= as_of]
        outbound = sorted(f[0] for f in window if f[1] == Direction.OUTBOUND)
        if len(outbound) < SILENCE_MIN_CONTACTS:
            continue
        first = outbound[0]
        answered = any(
            f[0] >= first and (f[1] == Direction.INBOUND or f[2] == AttemptOutcome.CONVERSATION) for f in window
        )
        if not answered:
            candidates[customer_id] = (first, len(outbound))
    if not candidates:
        return []
    paid_since = dict(
        Payment.objects.filter(customer_id__in=list(candidates), received_date__lte=as_of)
        .values("customer_id").annotate(last=Max("received_date")).values_list("customer_id", "last")
    )
    owing = set(
        Document.objects.filter(customer_id__in=list(candidates), kind__in=DEBIT_KINDS, status__in=("open", "partially_paid"))
        .values_list("customer_id", flat=True)
    )
    out = []
    for customer_id, (first, n) in candidates.items():
        last_paid = paid_since.get(customer_id)
        if customer_id not in owing or (last_paid is not None and last_paid >= first):
            continue
        out.append(_warn(
            customer_id, WarningCode.SILENCE, Severity.HIGH if n >= 5 else Severity.MEDIUM,
            f"No reply and no payment after {n} contacts since {first.isoformat()}.",
            contacts=n, first_contact=first, last_payment=last_paid,
        ))
    return out


# ------------------------------------------------------------------------------------- the service


def early_warnings_compute(
    *,
    as_of: dt.date,
    broken_promises: Mapping[int, Sequence[dt.date]] | None = None,
    disputes: Mapping[int, Sequence[dt.date]] | None = None,
    contacts: Mapping[int, Sequence[ContactFact]] | None = None,
) -> dict[str, Any]:
    """Recompute the warnings of ``as_of`` (replacing that day's rows) and return counts per code.

    ``broken_promises`` and ``disputes`` map a customer id to the dates promises were broken /
    disputes opened; ``contacts`` to ``(date, direction, outcome)`` facts. ``None`` reads them from
    the promise, dispute and contact tables when those exist.
    """
    found = [
        *_paying_slower(as_of),
        *_balance_warnings(as_of),
        *_partial_payments(as_of),
        *_broken_promises(as_of, broken_promises),
        *_rising_disputes(as_of, disputes),
        *_silence(as_of, contacts),
    ]
    with transaction.atomic():
        EarlyWarning.objects.filter(as_of=as_of).delete()
        EarlyWarning.objects.bulk_create(
            [EarlyWarning(customer_id=w["customer_id"], code=w["code"], severity=w["severity"], reason=w["reason"],
                          details=jsonable(w["details"]), as_of=as_of) for w in found],
            batch_size=5000,
        )
    counts: dict[str, int] = defaultdict(int)
    for w in found:
        counts[str(w["code"])] += 1
    return {"as_of": as_of, "warnings": len(found), "by_code": dict(sorted(counts.items()))}
