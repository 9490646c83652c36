"""A collector's calendar: follow-ups, promised dates, plan instalments and call tasks, by day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from arrears.communications.models import CallTask, CallTaskStatus
from arrears.promises.models import Instalment, InstalmentStatus, PlanStatus, Promise, PromiseStatus
from arrears.worklist.models import CalendarToken, FollowUp
from arrears.worklist.selectors.risk import money_text


@dataclass(frozen=True)
class CalendarEvent:
    date: dt.date
    kind: str  # follow_up, promise, instalment, call_task
    title: str
    customer_id: int
    uid: str

    @property
    def link(self) -> str:
        return f"/worklist/customers/{self.customer_id}/"


def calendar_events_for_user(*, user: Any, start: dt.date, end: dt.date) -> list[CalendarEvent]:
    """Events from `start` to `end` (inclusive) for the user: their follow-ups and call tasks, and the
    promises and instalments of the customers they collect."""
    events: list[CalendarEvent] = []
    for f in FollowUp.objects.filter(user=user, done_at__isnull=True, date__range=(start, end)).select_related("customer"):
        events.append(CalendarEvent(f.date, "follow_up", f"Follow up {f.customer.name}" + (f": {f.note}" if f.note else ""),
                                    f.customer_id, f"followup-{f.pk}"))
    for p in Promise.objects.filter(
        customer__collector=user, status=PromiseStatus.PENDING, promised_date__range=(start, end)
    ).select_related("customer"):
        events.append(CalendarEvent(p.promised_date, "promise",
                                    f"Promise {p.customer.name}: {money_text(p.amount, p.currency)}", p.customer_id, f"promise-{p.pk}"))
    for i in Instalment.objects.filter(
        plan__customer__collector=user, plan__status=PlanStatus.ACTIVE, due_date__range=(start, end),
    ).exclude(status=InstalmentStatus.PAID).select_related("plan__customer"):
        customer = i.plan.customer
        events.append(CalendarEvent(i.due_date, "instalment",
                                    f"Instalment {i.sequence} {customer.name}: {money_text(i.amount - i.paid_amount, i.plan.currency)}",
                                    customer.pk, f"instalment-{i.pk}"))
    for t in CallTask.objects.filter(assigned_to=user, status=CallTaskStatus.OPEN, due_date__range=(start, end)).select_related("customer"):
        events.append(CalendarEvent(t.due_date, "call_task", f"Call {t.customer.name}" + (f" ({t.step_key})" if t.step_key else ""),
                                    t.customer_id, f"calltask-{t.pk}"))
    events.sort(key=lambda e: (e.date, e.kind, e.title))
    return events


def calendar_user_for_token(*, token: str) -> Any | None:
    if not token or len(token) > 64:
        return None
    row = CalendarToken.objects.filter(token=token, user__is_active=True).select_related("user").first()
    return row.user if row is not None else None
