"""Paying in the portal: bank transfer with a creditor reference, card / wallet through the provider,
SEPA direct debit mandates; and the provider's webhooks, processed exactly once.

Money moves in the ledger only when the money has arrived: a paid checkout (webhook) or a settled
direct debit. Both go through `intent_settle`, which posts `payment_create` + `payment_allocate` in one
transaction, and the unique payment external id ("<provider>:<session>") means the same money can
never be posted twice, whatever the provider sends.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from arrears.audit.services import audit_record
from arrears.common.clock import now, today
from arrears.common.money import from_minor
from arrears.ledger.models import ZERO, Customer, Document, Payment
from arrears.ledger.services import payment_allocate, payment_create
from arrears.payments.references import creditor_reference, creditor_reference_for
from arrears.portal.errors import PortalError, PortalErrorCode
from arrears.portal.models import (
    IntentStatus,
    Mandate,
    MandateStatus,
    PaymentIntent,
    PaymentIntentLine,
    PaymentMethod,
    PaymentSettings,
    WebhookEvent,
)
from arrears.portal.providers import PaymentProvider
from arrears.portal.selectors import payment_settings_for
from arrears.portal.services.actions import portal_acting

SELECTION_TAG = "P"  # RF..P<intent id>: a portal selection of several documents


# ------------------------------------------------------------------------------------------ IBAN / BIC


def iban_validate(value: str, *, field: str = "iban") -> IBAN:
    """A schwifty IBAN, or a PortalError that says what is wrong in words a customer understands."""
    text = (value or "").strip()
    if not text:
        raise PortalError(PortalErrorCode.INVALID_IBAN, f"{field}: enter an IBAN")
    try:
        return IBAN(text)
    except SchwiftyException as exc:
        reason = str(exc).rstrip(".") or type(exc).__name__
        raise PortalError(
            PortalErrorCode.INVALID_IBAN, f"{field}: {text!r} is not a valid IBAN ({reason[0].lower() + reason[1:]})"
        ) from exc


def bic_for(iban: IBAN, given: str = "", *, field: str = "bic") -> str:
    """The BIC typed in (validated) or the one schwifty knows for the IBAN's bank."""
    if given.strip():
        try:
            return str(BIC(given.strip()).compact)
        except SchwiftyException as exc:
            raise PortalError(PortalErrorCode.INVALID_BIC, f"{field}: {given!r} is not a valid BIC ({exc})") from exc
    bic = iban.bic
    if bic is None:
        raise PortalError(
            PortalErrorCode.INVALID_BIC, f"{field}: the bank of {iban.formatted} is not known; enter its BIC"
        )
    return str(bic.compact)


@transaction.atomic
def payment_settings_set(
    *, business_unit: Any, account_holder: str, iban: str, bic: str = "", bank_name: str = "",
    sepa_creditor_id: str = "", card_payments: bool = True, direct_debit: bool = True,
) -> PaymentSettings:
    """Create or change where a business unit's customers pay. The IBAN and BIC are checked."""
    parsed = iban_validate(iban)
    bic_value = bic_for(parsed, bic)
    values = {
        "account_holder": account_holder.strip(), "iban": parsed.compact, "bic": bic_value,
        "bank_name": bank_name or (parsed.bank_name or ""), "sepa_creditor_id": sepa_creditor_id.replace(" ", "").upper(),
        "card_payments": card_payments, "direct_debit": direct_debit,
    }
    if not values["account_holder"]:
        raise PortalError(PortalErrorCode.BAD_INPUT, "account_holder: enter the account holder's name")
    settings_row, created = PaymentSettings.objects.update_or_create(business_unit=business_unit, defaults=values)
    audit_record(action="create" if created else "update", obj=settings_row, after=values)
    return settings_row


# ------------------------------------------------------------------------------------------ intents


def _lines(documents: Sequence[Document]) -> tuple[str, Decimal]:
    if not documents:
        raise PortalError(PortalErrorCode.NO_DOCUMENTS, "documents: choose at least one open document")
    currencies = {d.currency for d in documents}
    if len(currencies) != 1:
        raise PortalError(
            PortalErrorCode.CURRENCY_MISMATCH,
            f"documents: pay documents in one currency at a time (chose {', '.join(sorted(currencies))})",
        )
    for doc in documents:
        if not doc.is_debit or doc.open_amount <= ZERO:
            raise PortalError(PortalErrorCode.DOCUMENT_NOT_OPEN, f"documents: {doc.external_id} has nothing open")
    return currencies.pop(), sum((d.open_amount for d in documents), ZERO)


def _existing(customer: Customer, idempotency_key: str) -> PaymentIntent | None:
    intent = PaymentIntent.objects.filter(idempotency_key=idempotency_key).first()
    if intent is not None and intent.customer_id != customer.pk:
        raise PortalError(PortalErrorCode.BAD_INPUT, "idempotency_key: already used")
    return intent


def _intent_create(
    *, customer: Customer, documents: Sequence[Document], method: str, idempotency_key: str, **fields: Any
) -> PaymentIntent:
    currency, total = _lines(documents)
    fields.setdefault("status", IntentStatus.PENDING)
    intent = PaymentIntent.objects.create(
        customer=customer, method=method, amount=total, currency=currency, idempotency_key=idempotency_key[:64],
        **fields,
    )
    PaymentIntentLine.objects.bulk_create(
        [PaymentIntentLine(intent=intent, document=d, amount=d.open_amount) for d in documents]
    )
    reference = (
        creditor_reference_for(documents[0]) if len(documents) == 1
        else creditor_reference(f"{SELECTION_TAG}{intent.pk}")
    )
    intent.creditor_reference = reference
    intent.save(update_fields=["creditor_reference", "updated_at"])
    return intent


def _audit_pay(intent: PaymentIntent, customer: Customer, step: str, **extra: Any) -> None:
    audit_record(
        action="portal.pay", obj=intent, customer_id=customer.pk,
        after={"step": step, "method": intent.method, "amount": str(intent.amount), "currency": intent.currency,
               "reference": intent.creditor_reference,
               "documents": [line.document.external_id for line in intent.lines.select_related("document")], **extra},
    )


@transaction.atomic
def bank_transfer_intent_create(
    *, customer: Customer, documents: Sequence[Document], idempotency_key: str
) -> PaymentIntent:
    """Bank transfer details for exactly this selection: the unit's IBAN and an RF reference that names
    the one document (RF..D<id>) or this selection (RF..P<intent id>)."""
    existing = _existing(customer, idempotency_key)
    if existing is not None:
        return existing
    if payment_settings_for(customer=customer) is None:
        raise PortalError(PortalErrorCode.NO_PAYMENT_SETTINGS, "bank transfer: no bank account is set up for your supplier")
    with portal_acting(customer):
        intent = _intent_create(
            customer=customer, documents=documents, method=PaymentMethod.BANK_TRANSFER, idempotency_key=idempotency_key
        )
        _audit_pay(intent, customer, "bank_transfer_details")
    return intent


def card_checkout_start(
    *, customer: Customer, documents: Sequence[Document], idempotency_key: str, provider: PaymentProvider | None,
    success_url: str, cancel_url: str,
) -> PaymentIntent:
    """A hosted checkout session for the selection; the customer is sent to `intent.checkout_url`.

    The intent is saved before the provider is called (so a webhook can always find it) and the
    provider is called outside any transaction (no lock held across the network)."""
    existing = _existing(customer, idempotency_key)
    if existing is not None:
        return existing
    settings_row = payment_settings_for(customer=customer)
    if provider is None or (settings_row is not None and not settings_row.card_payments):
        raise PortalError(PortalErrorCode.METHOD_NOT_OFFERED, "card: card payments are not offered")
    with transaction.atomic(), portal_acting(customer):
        intent = _intent_create(
            customer=customer, documents=documents, method=PaymentMethod.CARD, idempotency_key=idempotency_key,
            provider=provider.name, status=IntentStatus.CREATED,
        )
    description = ", ".join(line.document.external_id for line in intent.lines.select_related("document"))[:200]
    try:
        session = provider.create_checkout(
            amount=intent.amount, currency=intent.currency, reference=intent.creditor_reference,
            description=f"{customer.business_unit.name}: {description}", success_url=success_url,
            cancel_url=cancel_url, metadata={"intent": intent.pk, "customer": customer.external_id},
        )
    except PortalError as exc:
        intent.status = IntentStatus.FAILED
        intent.failure_reason = exc.message[:200]
        intent.save(update_fields=["status", "failure_reason", "updated_at"])
        raise
    with transaction.atomic(), portal_acting(customer):
        intent.provider_session_id = session.session_id
        intent.checkout_url = session.url
        intent.status = IntentStatus.PENDING
        intent.save(update_fields=["provider_session_id", "checkout_url", "status", "updated_at"])
        _audit_pay(intent, customer, "card_checkout", session=session.session_id)
    return intent


@transaction.atomic
def mandate_create(
    *, customer: Customer, debtor_name: str, iban: str, bic: str = "", signature_date: dt.date | None = None,
    collect_when_due: bool = False,
) -> Mandate:
    """A SEPA direct debit mandate signed in the portal; the IBAN is checked and the BIC looked up."""
    settings_row = payment_settings_for(customer=customer)
    if settings_row is None or not settings_row.direct_debit or not settings_row.sepa_creditor_id:
        raise PortalError(PortalErrorCode.METHOD_NOT_OFFERED, "direct debit: not offered by your supplier")
    name = (debtor_name or "").strip()
    if not name:
        raise PortalError(PortalErrorCode.BAD_INPUT, "debtor_name: enter the account holder's name")
    parsed = iban_validate(iban)
    if not parsed.in_sepa_zone:
        raise PortalError(PortalErrorCode.INVALID_IBAN, f"iban: {parsed.formatted} is not in the SEPA zone")
    bic_value = bic_for(parsed, bic)
    signed = signature_date or today()
    if signed > today():
        raise PortalError(PortalErrorCode.BAD_INPUT, "signature_date: may not be in the future")
    with portal_acting(customer):
        mandate = Mandate.objects.create(
            customer=customer, mandate_id=f"ARR-{customer.pk}-{secrets.token_hex(5).upper()}", debtor_name=name[:140],
            iban=parsed.compact, bic=bic_value, signature_date=signed, collect_when_due=collect_when_due,
        )
        audit_record(
            action="portal.mandate", obj=mandate, customer_id=customer.pk,
            after={"mandate_id": mandate.mandate_id, "iban": f"{parsed.compact[:4]}…{parsed.compact[-4:]}",
                   "bic": bic_value, "signature_date": signed.isoformat(), "collect_when_due": collect_when_due},
        )
    return mandate


@transaction.atomic
def direct_debit_intent_create(
    *, customer: Customer, documents: Sequence[Document], mandate: Mandate, idempotency_key: str
) -> PaymentIntent:
    """Collect this selection by direct debit with the next pain.008 file."""
    existing = _existing(customer, idempotency_key)
    if existing is not None:
        return existing
    if mandate.customer_id != customer.pk or mandate.status != MandateStatus.ACTIVE:
        raise PortalError(PortalErrorCode.BAD_INPUT, "mandate: not an active mandate of yours")
    with portal_acting(customer):
        intent = _intent_create(
            customer=customer, documents=documents, method=PaymentMethod.DIRECT_DEBIT,
            idempotency_key=idempotency_key, mandate=mandate,
        )
        _audit_pay(intent, customer, "direct_debit_requested", mandate=mandate.mandate_id)
    return intent


@transaction.atomic
def mandate_revoke(*, mandate: Mandate) -> Mandate:
    mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if mandate.status == MandateStatus.REVOKED:
        return mandate
    mandate.status = MandateStatus.REVOKED
    mandate.save(update_fields=["status", "updated_at"])
    PaymentIntent.objects.filter(mandate=mandate, status=IntentStatus.PENDING).update(
        status=IntentStatus.CANCELLED, failure_reason="mandate revoked", updated_at=now()
    )
    audit_record(action="portal.mandate_revoke", obj=mandate, customer_id=mandate.customer_id,
                 after={"mandate_id": mandate.mandate_id})
    return mandate


# ------------------------------------------------------------------------------------------ settling


@transaction.atomic
def intent_settle(
    *, intent: PaymentIntent, amount: Decimal, received_date: dt.date, external_id: str, method: str,
) -> Payment | None:
    """Post the money an intent brought in: one ledger payment, allocated to the intent's documents in
    order (each at most its open amount now; the rest stays unapplied). None when already settled."""
    intent = PaymentIntent.objects.select_for_update().select_related("customer", "customer__business_unit").get(pk=intent.pk)
    if intent.status == IntentStatus.PAID:
        return None
    customer = intent.customer
    if Payment.objects.filter(business_unit_id=customer.business_unit_id, external_id=external_id).exists():
        return None
    with portal_acting(customer):
        payment = payment_create(
            business_unit=customer.business_unit, customer=customer, external_id=external_id[:64],
            received_date=received_date, amount=amount, currency=intent.currency, method=method,
            reference=intent.creditor_reference,
        )
        remaining = payment.amount
        pairs: list[tuple[Document, Decimal]] = []
        for line in intent.lines.select_related("document").order_by("document__due_date", "id"):
            doc = Document.objects.select_for_update().get(pk=line.document_id)
            take = min(line.amount, doc.open_amount, remaining)
            if take > ZERO:
                pairs.append((doc, take))
                remaining -= take
        if pairs:
            payment_allocate(payment=payment, allocations=pairs, date=received_date)
        intent.status = IntentStatus.PAID
        intent.payment = payment
        intent.paid_at = now()
        intent.save(update_fields=["status", "payment", "paid_at", "updated_at"])
        _audit_pay(intent, customer, "paid", payment=payment.external_id, received=str(payment.amount),
                   allocated=str(payment.amount - remaining))
    return payment


@dataclass(frozen=True)
class WebhookResult:
    outcome: str  # paid, already_paid, duplicate, failed, ignored, unknown_session
    intent_id: int | None = None
    payment_id: int | None = None


COMPLETED = "checkout.session.completed"
FAILED_TYPES = frozenset({"checkout.session.expired", "checkout.session.failed", "payment.failed"})


def webhook_process(*, provider: PaymentProvider, body: bytes, signature_header: str) -> WebhookResult:
    """Verify and apply one webhook. A bad signature or stale timestamp raises PortalError and changes
    nothing; an event id seen before is a duplicate and changes nothing; a second event for a session
    already paid records the event only."""
    event = provider.parse_webhook(body=body, signature_header=signature_header, at=now())
    if WebhookEvent.objects.filter(provider=provider.name, event_id=event.event_id).exists():
        return WebhookResult("duplicate")
    try:
        with transaction.atomic():
            return _webhook_apply(provider, event)
    except IntegrityError:
        # The same event raced in on another connection: it won, this one changes nothing.
        if WebhookEvent.objects.filter(provider=provider.name, event_id=event.event_id).exists():
            return WebhookResult("duplicate")
        raise


def _webhook_apply(provider: PaymentProvider, event: Any) -> WebhookResult:
    row = WebhookEvent.objects.create(
        provider=provider.name, event_id=event.event_id, event_type=event.event_type, received_at=now(),
        signed_at=event.signed_at, payload=event.payload,
    )
    intent = (
        PaymentIntent.objects.select_for_update().filter(provider=provider.name, provider_session_id=event.session_id).first()
        if event.session_id else None
    )
    if intent is None:
        outcome, payment = ("unknown_session" if event.session_id else "ignored"), None
    elif event.event_type == COMPLETED:
        if event.currency and event.currency != intent.currency:
            outcome, payment = "currency_mismatch", None
        else:
            amount = intent.amount if event.amount_minor is None else from_minor(event.amount_minor, intent.currency)
            if amount <= ZERO:
                outcome, payment = "ignored", None
            else:
                payment = intent_settle(
                    intent=intent, amount=amount, received_date=today(), method=PaymentMethod.CARD,
                    external_id=f"{provider.name}:{event.session_id}",
                )
                outcome = "paid" if payment is not None else "already_paid"
    elif event.event_type in FAILED_TYPES:
        payment = None
        if intent.status in (IntentStatus.PENDING, IntentStatus.CREATED):
            intent.status = IntentStatus.FAILED
            intent.failure_reason = event.event_type[:200]
            intent.save(update_fields=["status", "failure_reason", "updated_at"])
            outcome = "failed"
        else:
            outcome = "ignored"
    else:
        outcome, payment = "ignored", None
    row.outcome = outcome
    row.intent = intent
    row.save(update_fields=["outcome", "intent"])
    return WebhookResult(outcome, intent.pk if intent else None, payment.pk if payment else None)
