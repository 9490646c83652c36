"""Reads for the portal. Every read that a customer can reach goes through one gate per object type:
`portal_document_get(customer=..., pk=...)` answers 404 for anything that is not the customer's."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404

from arrears.common.clock import now
from arrears.ledger.models import ZERO, Contact, Customer, Document, DocumentKind, Payment
from arrears.portal.models import Mandate, MandateStatus, PaymentIntent, PaymentSettings, PortalToken


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def portal_token_get_active(*, raw: str) -> PortalToken | None:
    """The live token for a link, or None for an unknown, expired or revoked one (the caller answers
    all three with the same 404). Lookup is by hash, so no secret is compared in Python."""
    if not raw or len(raw) > 128:
        return None
    token = (
        PortalToken.objects.select_related("customer", "customer__business_unit")
        .filter(token_hash=token_hash(raw))
        .first()
    )
    if token is None or not portal_token_is_live(token):
        return None
    return token


def portal_token_is_live(token: PortalToken) -> bool:
    return token.revoked_at is None and token.expires_at > now()


def portal_token_get_for_session(*, token_id: int, customer_id: int) -> PortalToken | None:
    token = (
        PortalToken.objects.select_related("customer", "customer__business_unit")
        .filter(pk=token_id, customer_id=customer_id)
        .first()
    )
    return token if token is not None and portal_token_is_live(token) else None


def portal_token_get(*, pk: int) -> PortalToken:
    token = PortalToken.objects.filter(pk=pk).first()
    if token is None:
        raise Http404("No such link")
    return token


def portal_token_list_for_customer(*, customer: Customer) -> QuerySet[PortalToken]:
    return PortalToken.objects.filter(customer=customer).order_by("-created_at", "-id")


def portal_open_documents(*, customer: Customer) -> QuerySet[Document]:
    return (
        Document.objects.filter(customer=customer, open_amount__gt=0)
        .exclude(kind=DocumentKind.CREDIT_NOTE)
        .order_by("due_date", "id")
    )


def portal_document_get(*, customer: Customer, pk: int) -> Document:
    """The one gate for a customer reaching a document: another customer's id is a 404."""
    document = Document.objects.filter(customer=customer, pk=pk).first()
    if document is None:
        raise Http404("No such document")
    return document


def portal_documents_pick(*, customer: Customer, ids: list[int], open_only: bool = True) -> list[Document]:
    """The customer's documents among `ids`; any id that is not theirs (or not open) is a 404."""
    wanted = sorted(set(ids))
    qs = portal_open_documents(customer=customer) if open_only else Document.objects.filter(customer=customer)
    docs = list(qs.filter(pk__in=wanted))
    if len(docs) != len(wanted):
        raise Http404("No such document")
    return docs


def portal_payment_history(*, customer: Customer) -> QuerySet[Payment]:
    return Payment.objects.filter(customer=customer).prefetch_related("allocations__document").order_by(
        "-received_date", "-id"
    )


def portal_intent_list(*, customer: Customer) -> QuerySet[PaymentIntent]:
    return PaymentIntent.objects.filter(customer=customer).prefetch_related("lines__document")


def portal_intent_get(*, customer: Customer, pk: int) -> PaymentIntent:
    intent = PaymentIntent.objects.filter(customer=customer, pk=pk).prefetch_related("lines__document").first()
    if intent is None:
        raise Http404("No such payment")
    return intent


def portal_balances(*, customer: Customer) -> list[tuple[str, Decimal]]:
    totals: dict[str, Decimal] = {}
    for doc in portal_open_documents(customer=customer).only("open_amount", "currency"):
        totals[doc.currency] = totals.get(doc.currency, ZERO) + doc.open_amount
    return sorted(totals.items())


def portal_contacts(*, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer).prefetch_related("consents").order_by("-is_primary", "name", "id")


def payment_settings_for(*, customer: Customer) -> PaymentSettings | None:
    return PaymentSettings.objects.filter(business_unit_id=customer.business_unit_id).first()


def mandate_list_active(*, customer: Customer) -> QuerySet[Mandate]:
    return Mandate.objects.filter(customer=customer, status=MandateStatus.ACTIVE)


def bank_transfer_reference_resolve(*, reference: str) -> list[tuple[int, Decimal]]:
    """(document id, amount) pairs a portal selection reference (RF..P<intent id>) stands for, for cash
    application; [] when the reference is not a portal selection."""
    compact = "".join((reference or "").split()).upper()
    intent = (
        PaymentIntent.objects.filter(creditor_reference=compact, method="bank_transfer")
        .prefetch_related("lines")
        .first()
    )
    if intent is None:
        return []
    return [(line.document_id, line.amount) for line in intent.lines.all()]
