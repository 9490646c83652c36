"""Customer 360: the timeline of every event on an account, the days-beyond-terms trend and the contacts.

The timeline merges, newest first, the `limit` newest rows of each source: documents issued,
payments and their allocations, messages out and in, calls, notes, promises and their outcomes,
payment plans and their events, disputes and their status changes, holds and assignment changes
(from the audit trail of the customer) and contacts the compliance gate refused.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings

from arrears.audit.models import AuditEvent
from arrears.compliance.models import ComplianceDecision
from arrears.disputes.models import Dispute
from arrears.ledger.models import (
    Allocation,
    AllocationSource,
    Channel,
    Contact,
    Document,
    DocumentKind,
    DocumentStatus,
    Payment,
)
from arrears.promises.models import PaymentPlan, Promise, PromiseEvent
from arrears.users.models import User
from arrears.worklist.models import CallLog, Note
from arrears.worklist.selectors.risk import money_text

HOLD_FIELDS = ("paused", "cease_communication", "do_not_contact", "bankruptcy", "attorney_represented")


class Kind:
    DOCUMENT = "document"
    PAYMENT = "payment"
    ALLOCATION = "allocation"
    MESSAGE_OUT = "message_out"
    MESSAGE_IN = "message_in"
    CALL = "call"
    NOTE = "note"
    PROMISE = "promise"
    PROMISE_OUTCOME = "promise_outcome"
    PLAN = "plan"
    DISPUTE = "dispute"
    DISPUTE_TRANSITION = "dispute_transition"
    HOLD = "hold"
    ASSIGNMENT = "assignment"
    COMPLIANCE_BLOCK = "compliance_block"


KIND_LABELS = {
    Kind.DOCUMENT: "Document", Kind.PAYMENT: "Payment", Kind.ALLOCATION: "Allocation", Kind.MESSAGE_OUT: "Message out",
    Kind.MESSAGE_IN: "Message in", Kind.CALL: "Call", Kind.NOTE: "Note", Kind.PROMISE: "Promise",
    Kind.PROMISE_OUTCOME: "Promise outcome", Kind.PLAN: "Payment plan", Kind.DISPUTE: "Dispute",
    Kind.DISPUTE_TRANSITION: "Dispute status", Kind.HOLD: "Hold", Kind.ASSIGNMENT: "Assignment",
    Kind.COMPLIANCE_BLOCK: "Compliance block",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str
    title: str
    detail: str = ""
    link: str = ""
    body: str = ""  # a message's rendered text, shown folded on the timeline

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def _at(day: dt.date, *, end: bool = False) -> dt.datetime:
    """A business date as a moment: the start of the day (issue, receipt) in the company's zone."""
    moment = dt.datetime.combine(day, dt.time(23, 59) if end else dt.time(0, 0))
    return moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


def _user_names(ids: set[int]) -> dict[int, str]:
    return {u.pk: str(u) for u in User.objects.filter(pk__in=ids)}


def timeline_for_customer(*, customer_id: int, limit: int = 100) -> list[TimelineEntry]:
    """Every event on the account, newest first, at most `limit` entries."""
    entries: list[TimelineEntry] = []
    add = entries.append
    for d in Document.objects.filter(customer_id=customer_id).order_by("-issue_date", "-id")[:limit]:
        add(TimelineEntry(
            _at(d.issue_date), Kind.DOCUMENT, f"{d.get_kind_display()} {d.external_id} issued: {money_text(d.amount, d.currency)}",
            f"due {d.due_date.isoformat()} · {d.get_status_display().lower()}", f"/documents/{d.pk}/",
        ))
    for p in Payment.objects.filter(customer_id=customer_id).order_by("-received_date", "-id")[:limit]:
        add(TimelineEntry(
            _at(p.received_date), Kind.PAYMENT, f"Payment {p.external_id} received: {money_text(p.amount, p.currency)}",
            f"{p.method or 'payment'}" + (f" · {money_text(p.unapplied_amount, p.currency)} unapplied" if p.unapplied_amount else ""),
        ))
    for a in (
        Allocation.objects.filter(document__customer_id=customer_id)
        .select_related("document", "payment", "credit_note").order_by("-date", "-id")[:limit]
    ):
        source = {
            AllocationSource.PAYMENT: f"payment {a.payment.external_id}" if a.payment_id else "payment",
            AllocationSource.CREDIT_NOTE: f"credit note {a.credit_note.external_id}" if a.credit_note_id else "credit note",
            AllocationSource.WRITE_OFF: "write-off",
        }[a.source]
        add(TimelineEntry(
            _at(a.date, end=True), Kind.ALLOCATION,
            f"{money_text(a.amount, a.currency)} of {source} applied to {a.document.external_id}",
            link=f"/documents/{a.document_id}/",
        ))
    if apps.is_installed("arrears.communications"):
        from arrears.communications.selectors import inbound_list_for_customer, message_list_for_customer

        for m in message_list_for_customer(customer_id=customer_id)[:limit]:
            add(TimelineEntry(
                m.queued_at, Kind.MESSAGE_OUT, f"{m.get_channel_display()} {m.step_key or 'message'}: {m.subject or m.text_body[:80]}",
                f"{m.get_status_display()} · to {m.to_address or 'the customer'}", m.get_absolute_url(),
                body=m.text_body,
            ))
        for m in inbound_list_for_customer(customer_id=customer_id)[:limit]:
            add(TimelineEntry(
                m.received_at, Kind.MESSAGE_IN, f"Reply from {m.from_address}: {m.subject}",
                f"{m.get_label_display()} · {m.get_status_display().lower()}", m.get_absolute_url(),
                body=m.body,
            ))
    for c in CallLog.objects.filter(customer_id=customer_id).select_related("user", "contact", "promise").order_by("-at", "-id")[:limit]:
        detail = [f"by {c.user}"]
        if c.contact_id:
            detail.append(f"with {c.contact.name}")
        if c.follow_up_date:
            detail.append(f"follow up {c.follow_up_date.isoformat()}")
        if c.notes:
            detail.append(c.notes[:200])
        add(TimelineEntry(c.at, Kind.CALL, f"Call: {c.get_outcome_display()}", " · ".join(detail)))
    for n in Note.objects.filter(customer_id=customer_id).select_related("author").order_by("-created_at", "-id")[:limit]:
        add(TimelineEntry(n.created_at, Kind.NOTE, f"Note by {n.author or 'someone'}", n.body[:500]))
    for p in Promise.objects.filter(customer_id=customer_id).order_by("-created_at", "-id")[:limit]:
        add(TimelineEntry(
            p.created_at, Kind.PROMISE,
            f"Promise: {money_text(p.amount, p.currency)} by {p.promised_date.isoformat()} ({p.get_status_display().lower()})",
            f"{p.get_channel_display()} · paid {money_text(p.paid_amount, p.currency)}" + (f" · {p.note}" if p.note else ""),
        ))
    for e in PromiseEvent.objects.filter(customer_id=customer_id).select_related("promise", "plan").order_by("-date", "-id")[:limit]:
        currency = e.promise.currency if e.promise_id else (e.plan.currency if e.plan_id else "")
        amount = f": {money_text(e.amount, currency)}" if e.amount is not None and currency else ""
        subject = f"promise {e.promise_id}" if e.promise_id else f"plan {e.plan_id}"
        add(TimelineEntry(_at(e.date, end=True), Kind.PROMISE_OUTCOME, f"{e.get_kind_display()} ({subject}){amount}"))
    for plan in PaymentPlan.objects.filter(customer_id=customer_id).order_by("-created_at", "-id")[:limit]:
        add(TimelineEntry(
            plan.created_at, Kind.PLAN, f"Payment plan {plan.pk}: {money_text(plan.total, plan.currency)} ({plan.get_status_display().lower()})",
            f"{plan.get_schedule_kind_display()}" + (f", {plan.get_frequency_display().lower()}" if plan.frequency else ""),
        ))
    disputes = {d.pk: d for d in Dispute.objects.filter(customer_id=customer_id).order_by("-opened_at", "-id")[:limit]}
    for d in disputes.values():
        add(TimelineEntry(
            d.opened_at, Kind.DISPUTE, f"Dispute {d.pk} opened: {d.get_reason_display()}, {money_text(d.disputed_amount, d.currency)}",
            f"SLA to {d.due_date.isoformat()}" + (f" · {d.description[:200]}" if d.description else ""),
        ))
    events = AuditEvent.objects.filter(customer_id=customer_id)
    for ev in events.filter(object_type="disputes.dispute", action="status").order_by("-at", "-id")[:limit]:
        before, after = (ev.before or {}).get("status", "?"), (ev.after or {}).get("status", "?")
        add(TimelineEntry(
            ev.at, Kind.DISPUTE_TRANSITION, f"Dispute {ev.object_id}: {before.replace('_', ' ')} → {after.replace('_', ' ')}",
            f"by {ev.actor_label}" + (f" · {ev.note}" if ev.note else ""),
        ))
    changes = events.filter(object_type="ledger.customer", action="update").order_by("-at", "-id")[: limit * 2]
    collector_ids: set[int] = set()
    rows = list(changes)
    for ev in rows:
        for key in ("before", "after"):
            value = (getattr(ev, key) or {}).get("collector_id")
            if isinstance(value, int):
                collector_ids.add(value)
    names = _user_names(collector_ids)
    for ev in rows:
        before, after = ev.before or {}, ev.after or {}
        holds = [f for f in HOLD_FIELDS if f in after and before.get(f) != after.get(f)]
        if holds:
            words = ", ".join(f"{f.replace('_', ' ')} {'on' if after[f] else 'off'}" for f in holds)
            add(TimelineEntry(ev.at, Kind.HOLD, f"Hold changed: {words}", f"by {ev.actor_label}"))
        if "collector_id" in after and before.get("collector_id") != after.get("collector_id"):
            old = names.get(before.get("collector_id"), "nobody")
            new = names.get(after.get("collector_id"), "nobody")
            add(TimelineEntry(ev.at, Kind.ASSIGNMENT, f"Collector: {old} → {new}", f"by {ev.actor_label}" + (f" · {ev.note}" if ev.note else "")))
    for dec in ComplianceDecision.objects.filter(customer_id=customer_id, allowed=False).order_by("-at", "-id")[:limit]:
        rules = ", ".join(dec.blocking_rules) or dec.outcome
        add(TimelineEntry(
            dec.at, Kind.COMPLIANCE_BLOCK, f"{dec.get_channel_display()} contact refused by {rules}",
            dec.reasons[:300], f"/compliance/decisions/{dec.pk}/",
        ))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


# --- days beyond terms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date  # the first of the month
    average_days_late: Decimal | None  # None: nothing settled that month
    settled: int


def _month_start(value: dt.date, back: int = 0) -> dt.date:
    index = value.year * 12 + value.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def dbt_trend_for_customer(*, customer_id: int, as_of: dt.date, months: int = 12) -> list[TrendPoint]:
    """Per month (oldest first): the average days beyond terms of the invoices settled (paid) that
    month, where paying early counts as 0 days late."""
    first = _month_start(as_of, months - 1)
    sums: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for due, closed in Document.objects.filter(
        customer_id=customer_id, status=DocumentStatus.PAID, closed_date__gte=first, closed_date__lte=as_of,
    ).exclude(kind=DocumentKind.CREDIT_NOTE).values_list("due_date", "closed_date"):
        bucket = sums[_month_start(closed)]
        bucket[0] += max((closed - due).days, 0)
        bucket[1] += 1
    out = []
    for back in range(months - 1, -1, -1):
        month = _month_start(as_of, back)
        total, n = sums.get(month, (0, 0))
        avg = (Decimal(total) / n).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if n else None
        out.append(TrendPoint(month, avg, n))
    return out


# --- contacts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactRow:
    contact: Contact
    consents: list[tuple[str, str, str]]  # (channel label, status, status label)


def contacts_with_consent(*, customer_id: int) -> list[ContactRow]:
    rows = []
    for contact in Contact.objects.filter(customer_id=customer_id).prefetch_related("consents").order_by("-is_primary", "name"):
        by_channel = {c.channel: c for c in contact.consents.all()}
        consents = []
        for value, label in Channel.choices:
            consent = by_channel.get(value)
            consents.append((label, consent.status if consent else "unknown",
                             consent.get_status_display() if consent else "Not recorded"))
        rows.append(ContactRow(contact, consents))
    return rows
