"""Reads for disputes, including the hold and events the nightly dunning run consumes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from arrears.disputes.models import HOLDING_STATUSES, RESOLVED_STATUSES, Dispute, DisputeLine
from arrears.ledger.models import ZERO
from arrears.ledger.selectors import customer_list_visible


def _holding_on(as_of: dt.date) -> Q:
    """Disputes that held on `as_of`: opened by then and not resolved before it (right for past days too)."""
    return Q(dispute__opened_on__lte=as_of) & (
        Q(dispute__status__in=HOLDING_STATUSES) | Q(dispute__resolved_on__gt=as_of)
    )


def dispute_open_amounts(*, as_of: dt.date) -> dict[int, Decimal]:
    """document_id -> amount held from dunning by open or in-review disputes on `as_of`."""
    held: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for doc_id, amount in DisputeLine.objects.filter(_holding_on(as_of)).values_list("document_id", "amount"):
        held[doc_id] += amount
    return dict(held)


def dispute_events_between(*, start: dt.date, end: dt.date) -> list[tuple[int, dt.date, str]]:
    """(customer_id, resolved_on, "dispute_resolved") for disputes resolved in [start, end], by date."""
    rows = (
        Dispute.objects.filter(status__in=RESOLVED_STATUSES, resolved_on__gte=start, resolved_on__lte=end)
        .order_by("resolved_on", "id")
        .values_list("customer_id", "resolved_on")
    )
    return [(customer_id, on, "dispute_resolved") for customer_id, on in rows]


def dispute_list_visible(*, user: Any) -> QuerySet[Dispute]:
    """The permission gate for disputes: those of the customers this user may see."""
    return (
        Dispute.objects.filter(customer__in=customer_list_visible(user=user))
        .select_related("owner", "credit_note")
        .prefetch_related(Prefetch("lines", queryset=DisputeLine.objects.select_related("document").order_by("id")))
    )


def dispute_list_past_sla(*, as_of: dt.date) -> QuerySet[Dispute]:
    """Unresolved disputes whose due date has passed (a worklist reason)."""
    return Dispute.objects.filter(status__in=HOLDING_STATUSES, due_date__lt=as_of).order_by("due_date", "id")
