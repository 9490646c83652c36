"""What a customer does in the portal: promise to pay, dispute, ask for a plan, set contact preferences.

Each action calls the owning app's service (promises, disputes, ledger) inside one transaction and
writes one `portal.*` audit event with the customer id, under the actor label
"portal:<customer external id>", so it lands on the customer's timeline and in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import ROUND_UP, Decimal
from typing import Any

from django.db import transaction

from arrears.audit.context import acting_as
from arrears.audit.services import audit_record
from arrears.common.clock import now, today
from arrears.common.money import MoneyError, check_currency, currency_exponent, parse_amount, quantize
from arrears.disputes.models import Dispute
from arrears.disputes.services import dispute_attachment_add, dispute_open
from arrears.ledger.models import ZERO, Channel, ChannelConsent, ConsentStatus, Customer, Document
from arrears.ledger.services import customer_update
from arrears.portal import conf
from arrears.portal.errors import PortalError, PortalErrorCode
from arrears.portal.selectors import portal_contacts, portal_open_documents
from arrears.promises.models import PaymentPlan, PlanFrequency, Promise, PromiseChannel
from arrears.promises.services import plan_create, promise_create


def portal_actor_label(customer: Customer) -> str:
    return f"portal:{customer.external_id}"


@contextmanager
def portal_acting(customer: Customer) -> Iterator[None]:
    """Everything written inside is attributed to the customer acting in the portal."""
    with acting_as(None, label=portal_actor_label(customer)):
        yield


def _currency_total(customer: Customer, documents: Sequence[Document], currency: str) -> Decimal:
    docs = documents or [d for d in portal_open_documents(customer=customer) if d.currency == currency]
    return sum((d.open_amount for d in docs), ZERO)


def promise_minimum(*, balance: Decimal, currency: str) -> Decimal:
    """The smallest promise accepted: the policy's percent of the balance, at least the floor, never more
    than the balance itself. Rounded up to the currency's minor unit."""
    policy = conf.promise_policy()
    by_percent = (balance * policy.min_percent / Decimal(100)).quantize(
        Decimal(1).scaleb(-currency_exponent(currency)), rounding=ROUND_UP
    )
    return min(balance, max(by_percent, quantize(policy.min_amount, currency)))


@transaction.atomic
def portal_promise_create(
    *, customer: Customer, amount: Decimal | str, currency: str, promised_date: dt.date,
    documents: Sequence[Document] = (), note: str = "", as_of: dt.date | None = None,
) -> Promise:
    """A promise to pay made by the customer, within the portal policy (latest date, smallest amount)."""
    as_of = as_of or today()
    policy = conf.promise_policy()
    try:
        currency = check_currency(currency)
        value = parse_amount(amount, currency)
    except MoneyError as exc:
        raise PortalError(PortalErrorCode.BAD_INPUT, f"amount: {exc}") from exc
    latest = as_of + dt.timedelta(days=policy.max_days)
    if promised_date > latest:
        raise PortalError(
            PortalErrorCode.PROMISE_TOO_LATE,
            f"promised_date: at most {policy.max_days} days ahead, that is by {latest.isoformat()}",
        )
    balance = _currency_total(customer, documents, currency)
    if balance <= ZERO:
        raise PortalError(PortalErrorCode.NO_DOCUMENTS, f"amount: nothing is open in {currency}")
    minimum = promise_minimum(balance=balance, currency=currency)
    if value < minimum:
        raise PortalError(
            PortalErrorCode.PROMISE_TOO_SMALL,
            f"amount: at least {minimum} {currency} ({policy.min_percent}% of the {balance} {currency} open, "
            f"and not less than {quantize(policy.min_amount, currency)} {currency})",
        )
    with portal_acting(customer):
        promise = promise_create(
            customer=customer, amount=value, currency=currency, promised_date=promised_date, documents=documents,
            channel=PromiseChannel.PORTAL, made_on=as_of, note=note[:500],
        )
        audit_record(
            action="portal.promise", obj=promise, customer_id=customer.pk,
            after={"amount": str(promise.amount), "currency": currency, "promised_date": promised_date.isoformat(),
                   "documents": [d.external_id for d in documents]},
        )
    return promise


@transaction.atomic
def portal_dispute_open(
    *, customer: Customer, document: Document, reason: str, comment: str = "", upload: Any = None,
) -> Dispute:
    """Dispute one document's open amount, with an optional attachment. A refused attachment leaves
    nothing behind (one transaction)."""
    with portal_acting(customer):
        dispute = dispute_open(
            customer=customer, reason=reason, lines=[(document, None)], description=comment.strip()[:4000],
        )
        if upload is not None:
            dispute_attachment_add(dispute=dispute, upload=upload)
        audit_record(
            action="portal.dispute", obj=dispute, customer_id=customer.pk,
            after={"document": document.external_id, "reason": reason, "amount": str(dispute.disputed_amount),
                   "attachment": getattr(upload, "name", "") if upload is not None else ""},
        )
    return dispute


@transaction.atomic
def portal_plan_request(
    *, customer: Customer, documents: Sequence[Document], instalment_count: int, first_due_date: dt.date,
    frequency: str = PlanFrequency.MONTHLY, note: str = "", as_of: dt.date | None = None,
) -> PaymentPlan:
    """Ask for a payment plan within the portal limits; it waits for a collector's approval."""
    as_of = as_of or today()
    policy = conf.plan_policy()
    if not documents:
        raise PortalError(PortalErrorCode.NO_DOCUMENTS, "documents: choose at least one open document")
    if instalment_count < 2 or instalment_count > policy.max_instalments:
        raise PortalError(
            PortalErrorCode.PLAN_TOO_MANY_INSTALMENTS,
            f"instalments: from 2 to {policy.max_instalments}, not {instalment_count}",
        )
    latest = as_of + dt.timedelta(days=policy.max_first_due_days)
    if first_due_date > latest or first_due_date < as_of:
        raise PortalError(
            PortalErrorCode.PLAN_FIRST_DUE_TOO_LATE,
            f"first_due_date: from {as_of.isoformat()} to {latest.isoformat()}",
        )
    if frequency not in PlanFrequency.values:
        raise PortalError(PortalErrorCode.BAD_INPUT, f"frequency: {frequency!r} is not one of {', '.join(PlanFrequency.values)}")
    currencies = {d.currency for d in documents}
    if len(currencies) != 1:
        raise PortalError(PortalErrorCode.CURRENCY_MISMATCH, "documents: a plan covers documents in one currency")
    currency = currencies.pop()
    total = sum((d.open_amount for d in documents), ZERO)
    smallest = quantize(total / instalment_count, currency)
    if smallest < quantize(policy.min_instalment, currency):
        raise PortalError(
            PortalErrorCode.PLAN_INSTALMENT_TOO_SMALL,
            f"instalments: {instalment_count} instalments of {total} {currency} are {smallest} {currency} each; "
            f"the smallest allowed is {quantize(policy.min_instalment, currency)} {currency}",
        )
    with portal_acting(customer):
        plan = plan_create(
            customer=customer, documents=documents, created_by=None, first_due_date=first_due_date,
            instalment_count=instalment_count, frequency=frequency, made_on=as_of, submit=True,
            note=("Requested in the portal. " + note.strip())[:500],
        )
        audit_record(
            action="portal.plan_request", obj=plan, customer_id=customer.pk,
            after={"total": str(plan.total), "currency": currency, "instalments": instalment_count,
                   "first_due_date": first_due_date.isoformat(), "status": plan.status,
                   "documents": [d.external_id for d in documents]},
        )
    return plan


@transaction.atomic
def portal_preferences_update(
    *, customer: Customer, preferred_channel: str, opted_out: Sequence[str], language: str | None = None,
) -> dict[str, Any]:
    """Set the preferred channel and which channels the customer opts out of (for every contact).

    Opting out records ChannelConsent(status=opted_out, source="portal"); unticking an opt-out grants
    the channel again. Returns what changed."""
    if preferred_channel not in Channel.values:
        raise PortalError(PortalErrorCode.UNKNOWN_CHANNEL, f"preferred_channel: {preferred_channel!r} is not a channel")
    unknown = set(opted_out) - set(Channel.values)
    if unknown:
        raise PortalError(PortalErrorCode.UNKNOWN_CHANNEL, f"opt_out: {', '.join(sorted(unknown))} is not a channel")
    if preferred_channel in opted_out:
        raise PortalError(
            PortalErrorCode.BAD_INPUT, f"preferred_channel: you opted out of {preferred_channel}; choose another"
        )
    changes: dict[str, Any] = {}
    with portal_acting(customer):
        fields: dict[str, Any] = {}
        if customer.preferred_channel != preferred_channel:
            fields["preferred_channel"] = preferred_channel
        if language and language != customer.language:
            fields["language"] = language
        if fields:
            customer_update(customer=customer, **fields)
            changes.update(fields)
        at = now()
        consent_changes = []
        for contact in portal_contacts(customer=customer):
            current = {c.channel: c for c in contact.consents.all()}
            for channel in Channel.values:
                existing = current.get(channel)
                if channel in opted_out:
                    wanted = ConsentStatus.OPTED_OUT
                elif existing is not None and existing.status == ConsentStatus.OPTED_OUT:
                    wanted = ConsentStatus.GRANTED
                else:
                    continue
                if existing is not None and existing.status == wanted:
                    continue
                ChannelConsent.objects.update_or_create(
                    contact=contact, channel=channel,
                    defaults={"status": wanted, "changed_at": at, "source": "portal"},
                )
                consent_changes.append({"contact": contact.pk, "channel": channel, "status": wanted})
        if consent_changes:
            changes["consents"] = consent_changes
        audit_record(
            action="portal.preferences", obj=customer, customer_id=customer.pk,
            after={"preferred_channel": preferred_channel, "opted_out": sorted(opted_out), **changes},
        )
    return changes
