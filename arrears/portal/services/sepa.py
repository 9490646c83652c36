"""SEPA direct debit collection files (pain.008.001.02) built with sepaxml.

What is due on a collection date:

1. every pending direct-debit intent (a selection the customer asked to have collected) whose
   mandate is active;
2. for mandates signed with "collect when due", each open debit document of that customer due on
   or before the collection date and not already in a pending or submitted intent (a new intent is
   made for them, one per mandate).

One transaction per intent. The first collection under a mandate is FRST, later ones RCUR (since
the 2016 rulebook a first collection may also be RCUR, so two collections of one mandate in one
file are valid). Exported intents become `submitted` with the file's message id, so running the
export again does not collect them twice. The money is posted to the ledger when it arrives
(`direct_debit_settle`), not when the file is written.
"""

from __future__ import annotations

import datetime as dt
import secrets
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from sepaxml import SepaDD

from arrears.audit.services import audit_record
from arrears.common.clock import today
from arrears.common.money import quantize, to_minor
from arrears.ledger.models import ZERO, Document, DocumentKind, Payment
from arrears.portal.errors import PortalError, PortalErrorCode
from arrears.portal.models import (
    IntentStatus,
    Mandate,
    MandateStatus,
    PaymentIntent,
    PaymentIntentLine,
    PaymentMethod,
    PaymentSettings,
)
from arrears.portal.services.payments import direct_debit_intent_create, intent_settle

SCHEMA = "pain.008.001.02"
# sepaxml 2.7 tests an ElementTree element's truth value; harmless today, a DeprecationWarning on 3.12.
_SEPAXML_WARNING = "Testing an element's truth value"


def _sepa_add(sepa: SepaDD, payment: dict[str, object]) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_SEPAXML_WARNING, category=DeprecationWarning)
        sepa.add_payment(payment)


@dataclass
class SepaExport:
    xml: bytes = b""
    message_id: str = ""
    business_unit: str = ""
    collection_date: dt.date | None = None
    transactions: list[dict[str, str]] = field(default_factory=list)
    total: Decimal = ZERO
    currency: str = "EUR"


def _due_intents_for_mandates(collection_date: dt.date, business_unit_code: str | None) -> None:
    """Make intents for the documents of "collect when due" mandates that have fallen due."""
    mandates = Mandate.objects.filter(status=MandateStatus.ACTIVE, collect_when_due=True).select_related("customer")
    if business_unit_code:
        mandates = mandates.filter(customer__business_unit__code=business_unit_code)
    for mandate in mandates:
        busy = PaymentIntentLine.objects.filter(
            intent__customer_id=mandate.customer_id,
            intent__status__in=[IntentStatus.PENDING, IntentStatus.SUBMITTED, IntentStatus.CREATED],
        ).values("document_id")
        docs = list(
            Document.objects.select_for_update()
            .filter(customer_id=mandate.customer_id, currency="EUR", open_amount__gt=0, due_date__lte=collection_date)
            .exclude(kind=DocumentKind.CREDIT_NOTE)
            .exclude(pk__in=busy)
            .order_by("due_date", "id")
        )
        if not docs:
            continue
        direct_debit_intent_create(
            customer=mandate.customer, documents=docs, mandate=mandate,
            idempotency_key=f"dd-due-{mandate.pk}-{collection_date.isoformat()}-{secrets.token_hex(4)}",
        )


@transaction.atomic
def sepa_collection_export(
    *, collection_date: dt.date, business_unit_code: str | None = None, as_of: dt.date | None = None
) -> SepaExport:
    """Build the pain.008 file for everything due; an empty export (no xml) when nothing is due."""
    as_of = as_of or today()
    if collection_date < as_of:
        raise PortalError(PortalErrorCode.BAD_INPUT, f"collection_date: {collection_date} is in the past")
    _due_intents_for_mandates(collection_date, business_unit_code)
    intents = list(
        PaymentIntent.objects.select_for_update()
        .filter(method=PaymentMethod.DIRECT_DEBIT, status=IntentStatus.PENDING, mandate__status=MandateStatus.ACTIVE)
        .select_related("mandate", "customer", "customer__business_unit")
        .order_by("customer__business_unit__code", "mandate_id", "id")
    )
    if business_unit_code:
        intents = [i for i in intents if i.customer.business_unit.code == business_unit_code]
    if not intents:
        return SepaExport(collection_date=collection_date, business_unit=business_unit_code or "")
    units = sorted({i.customer.business_unit.code for i in intents})
    if len(units) > 1:
        raise PortalError(
            PortalErrorCode.BAD_INPUT,
            f"business_unit: collections are due for {', '.join(units)}; export one business unit at a time",
        )
    unit = intents[0].customer.business_unit
    settings_row = PaymentSettings.objects.filter(business_unit=unit).first()
    if settings_row is None or not settings_row.sepa_creditor_id:
        raise PortalError(PortalErrorCode.NO_PAYMENT_SETTINGS, f"business_unit {unit.code}: no SEPA creditor id is set up")
    not_eur = sorted({i.currency for i in intents} - {"EUR"})
    if not_eur:
        raise PortalError(PortalErrorCode.CURRENCY_MISMATCH, f"direct debit is in EUR only, not {', '.join(not_eur)}")
    sepa = SepaDD({
        "name": settings_row.account_holder, "IBAN": settings_row.iban, "BIC": settings_row.bic, "batch": True,
        "creditor_id": settings_row.sepa_creditor_id, "currency": "EUR",
    }, schema=SCHEMA, clean=True)
    export = SepaExport(collection_date=collection_date, business_unit=unit.code)
    used: dict[int, int] = defaultdict(int)
    for intent in intents:
        mandate = intent.mandate
        assert mandate is not None
        seq = "FRST" if mandate.collections + used[mandate.pk] == 0 else "RCUR"
        used[mandate.pk] += 1
        docs = ", ".join(line.document.external_id for line in intent.lines.select_related("document"))
        end_to_end = f"ARR-DD-{intent.pk}"
        _sepa_add(sepa, {
            "name": mandate.debtor_name, "IBAN": mandate.iban, "BIC": mandate.bic,
            "amount": to_minor(intent.amount, "EUR"), "type": seq, "collection_date": collection_date,
            "mandate_id": mandate.mandate_id, "mandate_date": mandate.signature_date,
            "description": f"{intent.creditor_reference} {docs}"[:140], "endtoend_id": end_to_end,
        })
        export.transactions.append({
            "intent": str(intent.pk), "customer": intent.customer.external_id, "mandate_id": mandate.mandate_id,
            "amount": str(quantize(intent.amount, "EUR")), "sequence": seq, "end_to_end_id": end_to_end,
            "reference": intent.creditor_reference,
        })
        export.total = quantize(export.total + intent.amount, "EUR")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_SEPAXML_WARNING, category=DeprecationWarning)
        export.xml = sepa.export(validate=True)
    export.message_id = str(sepa.msg_id)
    for intent in intents:
        intent.status = IntentStatus.SUBMITTED
        intent.collection_date = collection_date
        intent.collection_file = export.message_id[:64]
        intent.save(update_fields=["status", "collection_date", "collection_file", "updated_at"])
    for mandate_pk, count in used.items():
        mandate = Mandate.objects.select_for_update().get(pk=mandate_pk)
        mandate.collections += count
        mandate.save(update_fields=["collections", "updated_at"])
    audit_record(
        action="sepa.export", object_type="portal.sepa_file", object_id=export.message_id[:64],
        after={"business_unit": unit.code, "collection_date": collection_date.isoformat(),
               "transactions": len(export.transactions), "total": str(export.total)},
    )
    return export


@transaction.atomic
def direct_debit_settle(*, intent: PaymentIntent, received_date: dt.date) -> Payment | None:
    """The collected money arrived: post it to the ledger (once)."""
    if intent.method != PaymentMethod.DIRECT_DEBIT or intent.status not in (IntentStatus.SUBMITTED, IntentStatus.PAID):
        raise PortalError(PortalErrorCode.BAD_INPUT, f"intent {intent.pk}: not a submitted direct debit")
    return intent_settle(
        intent=intent, amount=intent.amount, received_date=received_date, method=PaymentMethod.DIRECT_DEBIT,
        external_id=f"sepa-dd:ARR-DD-{intent.pk}",
    )
