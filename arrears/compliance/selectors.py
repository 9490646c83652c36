"""Reads of the gate's audit trail. Decision lists are for heads, administrators, auditors and team
leads (their team's customers); collectors check contacts but do not browse the compliance log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from arrears.compliance.models import ComplianceDecision, ContactAttempt
from arrears.ledger.models import Customer
from arrears.ledger.selectors import customer_list_visible
from arrears.users.models import Role

DECISION_READERS = frozenset({Role.ADMIN, Role.HEAD, Role.AUDITOR, Role.LEAD})


def compliance_may_read_decisions(*, user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in DECISION_READERS))


def compliance_decision_list(
    *,
    customer_id: int | None = None,
    user: Any = None,
    allowed: bool | None = None,
    outcome: str | None = None,
    rule: str | None = None,
    channel: str | None = None,
    initiated_by: str | None = None,
    customer: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> QuerySet[ComplianceDecision]:
    """Decisions, newest first. With `user`, only the customers that user may see, and only for
    decision readers (PermissionDenied otherwise). `customer` matches an id, number or name;
    `rule` a rule id that did not pass (blocked, review or flag); dates bound `at` [from, to)."""
    qs = ComplianceDecision.objects.select_related("customer", "contact", "actor")
    if user is not None:
        if not compliance_may_read_decisions(user=user):
            raise PermissionDenied("the compliance log is for heads, administrators, auditors and team leads")
        if user.visible_collector_ids() is not None:
            qs = qs.filter(customer__in=customer_list_visible(user=user))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if allowed is not None:
        qs = qs.filter(allowed=allowed)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if rule:
        qs = qs.filter(rule_keys__contains=f"|{rule.strip().upper()}|")
    if channel:
        qs = qs.filter(channel=channel)
    if initiated_by:
        qs = qs.filter(initiated_by=initiated_by)
    if customer:
        text = customer.strip()
        match = Q(customer__name__icontains=text) | Q(customer__external_id__iexact=text)
        if text.isdigit():
            match |= Q(customer_id=int(text))
        qs = qs.filter(match)
    if date_from is not None:
        qs = qs.filter(at__gte=date_from)
    if date_to is not None:
        qs = qs.filter(at__lt=date_to)
    return qs.order_by("-at", "-id")


def compliance_decision_get(*, pk: int, user: Any) -> ComplianceDecision:
    """One decision for a decision reader who may see its customer; 404 otherwise (the same answer)."""
    try:
        return compliance_decision_list(user=user).get(pk=pk)
    except (ComplianceDecision.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such decision") from exc


def contact_attempt_list(*, customer_id: int, since: dt.datetime | None = None) -> QuerySet[ContactAttempt]:
    """A customer's contact history, newest first."""
    qs = ContactAttempt.objects.filter(customer_id=customer_id).select_related("contact", "actor")
    if since is not None:
        qs = qs.filter(at__gte=since)
    return qs.order_by("-at", "-id")


def customer_for_check(*, user: Any, pk: int) -> Customer:
    """The customer a what-if check is about: collectors only their own, leads their team's (404 else)."""
    try:
        return customer_list_visible(user=user).get(pk=pk)
    except (Customer.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such customer") from exc
