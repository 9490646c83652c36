"""Writes that create ledger records one at a time (the API and the pages): customers, contacts,
consents and documents. Each write is validated, atomic and audited.

Validation failures raise `django.core.exceptions.ValidationError` keyed by field name, so every
interface (API, pages, CLI) can say which field is wrong.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import transaction

from arrears.audit.services import audit_record, audit_record_change, snapshot
from arrears.common.clock import now
from arrears.common.money import MoneyError, check_currency, parse_amount
from arrears.ledger.models import (
    ZERO,
    BusinessUnit,
    Channel,
    ChannelConsent,
    ConsentStatus,
    Contact,
    Customer,
    Document,
    DocumentKind,
    DocumentStatus,
)

CUSTOMER_CREATE_FIELDS = (
    "kind", "jurisdiction", "country", "segment", "timezone", "language", "preferred_channel",
    "credit_limit", "credit_currency", "payment_terms_days", "collector", "parent", "paused",
    "cease_communication", "do_not_contact", "bankruptcy", "attorney_represented", "attributes",
)
CONTACT_FIELDS = (
    "name", "role", "email", "phone", "address_line1", "address_line2", "postal_code", "city", "region",
    "country", "is_primary",
)


def _check_timezone(value: str) -> None:
    if not value:
        return
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError({"timezone": f"unknown time zone {value!r} (expected an IANA name such as Europe/Berlin)"}) from exc


def _check_credit(credit_limit: Decimal | None, credit_currency: str) -> tuple[Decimal | None, str]:
    if credit_limit is None:
        return None, credit_currency.upper() if credit_currency else ""
    try:
        currency = check_currency(credit_currency)
    except MoneyError as exc:
        raise ValidationError({"credit_currency": str(exc)}) from exc
    try:
        amount = parse_amount(credit_limit, currency)
    except MoneyError as exc:
        raise ValidationError({"credit_limit": str(exc)}) from exc
    if amount < ZERO:
        raise ValidationError({"credit_limit": "a credit limit cannot be negative"})
    return amount, currency


@transaction.atomic
def customer_create(*, business_unit: BusinessUnit, external_id: str, name: str, **fields: Any) -> Customer:
    """Create one customer account. `collector` and `parent` are instances (or None)."""
    unknown = set(fields) - set(CUSTOMER_CREATE_FIELDS)
    if unknown:
        raise ValueError(f"not settable on create: {', '.join(sorted(unknown))}")
    external_id = (external_id or "").strip()
    if Customer.objects.filter(business_unit=business_unit, external_id=external_id).exists():
        raise ValidationError({"external_id": f"customer {external_id!r} already exists in {business_unit.code}"})
    _check_timezone(fields.get("timezone", ""))
    credit_limit, credit_currency = _check_credit(
        fields.pop("credit_limit", None), fields.pop("credit_currency", "") or business_unit.home_currency
    )
    customer = Customer(
        business_unit=business_unit, external_id=external_id, name=(name or "").strip(),
        credit_limit=credit_limit, credit_currency=credit_currency, **fields,
    )
    customer.full_clean(exclude=["business_unit", "collector", "parent"], validate_unique=False)
    customer.save()
    audit_record(action="create", obj=customer, customer_id=customer.pk, after=snapshot(customer))
    return customer


def _normalise_phone(phone: str, country: str) -> str:
    phone = (phone or "").strip()
    if not phone:
        return ""
    try:
        parsed = phonenumbers.parse(phone, (country or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError({"phone": f"not a phone number: {phone!r} ({exc})"}) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError({"phone": f"not a valid phone number: {phone!r} (use E.164, e.g. +4930123456)"})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _prepare_contact(contact: Contact) -> None:
    contact.phone = _normalise_phone(contact.phone, contact.country or contact.customer.country)
    contact.country = (contact.country or "").upper()
    contact.full_clean(exclude=["customer"])


def _demote_other_primaries(contact: Contact) -> None:
    """One primary contact per customer: marking one primary demotes the others."""
    if contact.is_primary:
        Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False, updated_at=now()
        )


@transaction.atomic
def contact_create(*, customer: Customer, name: str, **fields: Any) -> Contact:
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"not settable on a contact: {', '.join(sorted(unknown))}")
    contact = Contact(customer=customer, name=(name or "").strip(), **fields)
    _prepare_contact(contact)
    contact.save()
    _demote_other_primaries(contact)
    audit_record(action="create", obj=contact, customer_id=customer.pk, after=snapshot(contact))
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, **changes: Any) -> Contact:
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"not editable on a contact: {', '.join(sorted(unknown))}")
    before = snapshot(contact, changes.keys())
    for key, value in changes.items():
        setattr(contact, key, value)
    _prepare_contact(contact)
    contact.save(update_fields=[*changes.keys(), "updated_at"])
    _demote_other_primaries(contact)
    audit_record_change(obj=contact, before=before, customer_id=contact.customer_id)
    return contact


@transaction.atomic
def consent_set(
    *, contact: Contact, channel: str, status: str, changed_at: dt.datetime | None = None, source: str = ""
) -> ChannelConsent:
    """Record consent (or an opt-out) for one channel of a contact; when and where it came from."""
    if channel not in Channel.values:
        raise ValidationError({"channel": f"unknown channel {channel!r} (one of {', '.join(Channel.values)})"})
    if status not in ConsentStatus.values:
        raise ValidationError({"status": f"unknown status {status!r} (one of {', '.join(ConsentStatus.values)})"})
    if changed_at is not None and changed_at.tzinfo is None:
        raise ValidationError({"changed_at": "give a time zone (e.g. 2026-03-01T10:00:00Z)"})
    consent, created = ChannelConsent.objects.select_for_update().get_or_create(contact=contact, channel=channel)
    fields = ("status", "changed_at", "source")
    before = {} if created else snapshot(consent, fields)
    consent.status = status
    consent.changed_at = changed_at or now()
    consent.source = (source or "").strip()
    consent.full_clean(exclude=["contact"], validate_unique=False)
    consent.save(update_fields=[*fields, "updated_at"])
    if created:
        audit_record(action="create", obj=consent, customer_id=contact.customer_id, after=snapshot(consent, fields))
    else:
        audit_record_change(obj=consent, before=before, customer_id=contact.customer_id)
    return consent


@transaction.atomic
def document_create(
    *,
    customer: Customer,
    external_id: str,
    issue_date: dt.date,
    due_date: dt.date,
    amount: Decimal | str,
    currency: str,
    kind: str = DocumentKind.INVOICE,
    reference: str = "",
    attributes: dict[str, Any] | None = None,
) -> Document:
    """Create an invoice, debit note or credit note for a customer, fully open.

    The business unit is the customer's. Nothing is allocated yet, so the open amount is the amount.
    """
    errors: dict[str, str] = {}
    try:
        currency = check_currency(currency)
    except MoneyError as exc:
        errors["currency"] = str(exc)
    else:
        try:
            amount = parse_amount(amount, currency)
        except MoneyError as exc:
            errors["amount"] = str(exc)
        else:
            if amount <= ZERO:
                errors["amount"] = "an amount must be positive (the kind says whether it is a credit)"
    if kind not in DocumentKind.values:
        errors["kind"] = f"unknown kind {kind!r} (one of {', '.join(DocumentKind.values)})"
    if due_date < issue_date:
        errors["due_date"] = f"due date {due_date.isoformat()} is before the issue date {issue_date.isoformat()}"
    external_id = (external_id or "").strip()
    if not external_id:
        errors["external_id"] = "a document number is required"
    elif Document.objects.filter(business_unit_id=customer.business_unit_id, external_id=external_id).exists():
        errors["external_id"] = f"document {external_id!r} already exists in this business unit"
    if errors:
        raise ValidationError(errors)
    document = Document.objects.create(
        business_unit_id=customer.business_unit_id,
        customer=customer,
        external_id=external_id,
        kind=kind,
        issue_date=issue_date,
        due_date=due_date,
        amount=amount,
        currency=currency,
        reference=reference,
        open_amount=amount,
        status=DocumentStatus.OPEN,
        attributes=attributes or {},
    )
    audit_record(action="create", obj=document, customer_id=customer.pk, after=snapshot(document))
    return document
