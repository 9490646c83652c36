"""Reads: active templates, the merge context for a customer, the outbox and inbound lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from arrears.communications.links import opt_out_url, portal_link_for
from arrears.communications.models import (
    CallTask,
    InboundMessage,
    MessageTemplate,
    OutboundMessage,
    SenderProfile,
)
from arrears.communications.rendering import locale_for
from arrears.ledger.models import (
    BusinessUnit,
    Contact,
    Customer,
    Document,
    DocumentKind,
    DocumentStatus,
    Jurisdiction,
)
from arrears.ledger.selectors import customer_list_visible

OPEN_STATUSES = (DocumentStatus.OPEN, DocumentStatus.PARTIALLY_PAID)
DISCLOSURE_EN = "This communication is from a debt collector. This is an attempt to collect a debt."
DISCLOSURE_DE = "Diese Mitteilung stammt von einem Inkassounternehmen und dient der Einziehung einer Forderung."


class TemplateMissing(LookupError):
    pass


def opt_out_required(customer: Customer) -> bool:
    """US consumer electronic messages must carry an opt-out (12 CFR 1006.6(e))."""
    return customer.jurisdiction == Jurisdiction.US_CONSUMER


def template_get_active(*, key: str, channel: str, language: str) -> MessageTemplate:
    """The active version for the customer's language, falling back to the base language, then English."""
    candidates = template_language_candidates(language)
    found = {
        t.language: t
        for t in MessageTemplate.objects.filter(key=key, channel=channel, language__in=candidates, active=True)
    }
    for lang in candidates:
        if lang in found:
            return found[lang]
    raise TemplateMissing(f"no active template {key}/{channel} for language {language!r} (nor en)")


def template_list(*, key: str = "", channel: str = "", language: str = "", active_only: bool = True
                  ) -> QuerySet[MessageTemplate]:
    qs = MessageTemplate.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    if key:
        qs = qs.filter(key=key)
    if channel:
        qs = qs.filter(channel=channel)
    if language:
        qs = qs.filter(language=language)
    return qs


def template_versions(*, template: MessageTemplate) -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.filter(
        key=template.key, channel=template.channel, language=template.language
    ).order_by("-version")


def sender_profile_for(*, customer: Customer) -> dict[str, str]:
    """The business unit's sender, or a neutral default built from the unit's name."""
    try:
        profile = SenderProfile.objects.get(business_unit_id=customer.business_unit_id)
    except SenderProfile.DoesNotExist:
        return sender_dict(None, unit=customer.business_unit)
    return sender_dict(profile, unit=None)


def sender_dict(profile: SenderProfile | None, *, unit: BusinessUnit | None) -> dict[str, str]:
    """The merge fields of a sender profile; without one, the business unit's name."""
    if profile is None:
        if unit is None:
            raise ValueError("sender_dict: a business unit is needed when there is no sender profile")
        return {"from_name": unit.name, "from_email": "", "reply_to": "", "letterhead": unit.name,
                "return_address": unit.name, "phone": "", "sms_sender": ""}
    return {"from_name": profile.from_name, "from_email": profile.from_email, "reply_to": profile.reply_to,
            "letterhead": profile.letterhead or profile.from_name, "return_address": profile.return_address,
            "phone": profile.phone, "sms_sender": profile.sms_sender}


def contact_primary(*, customer: Customer) -> Contact | None:
    return Contact.objects.filter(customer=customer).order_by("-is_primary", "id").first()


def _contact_dict(contact: Contact | None) -> dict[str, str]:
    if contact is None:
        return {"name": "", "email": "", "phone": "", "role": "", "address_line1": "", "address_line2": "",
                "postal_code": "", "city": "", "region": "", "country": "", "address_lines": []}
    lines = [contact.address_line1, contact.address_line2,
             " ".join(p for p in (contact.postal_code, contact.city) if p), contact.region, contact.country]
    return {"name": contact.name, "email": contact.email, "phone": contact.phone, "role": contact.role,
            "address_line1": contact.address_line1, "address_line2": contact.address_line2,
            "postal_code": contact.postal_code, "city": contact.city, "region": contact.region,
            "country": contact.country, "address_lines": [line for line in lines if line]}


STATEMENT_COLUMNS = ("id", "external_id", "reference", "issue_date", "due_date", "amount", "open_amount", "currency")


def _open_debits() -> QuerySet[Document]:
    return Document.objects.filter(status__in=OPEN_STATUSES, open_amount__gt=0).exclude(kind=DocumentKind.CREDIT_NOTE)


def statement_for(*, customer: Customer, as_of: dt.date, debt_ids: list[int] | None = None) -> dict[str, Any]:
    """The open debit items (all, or the given ones) with days past due and totals per currency.

    JSON-ready (dates ISO, amounts as strings) because it is stored on the message and the PDF is
    rendered from the stored copy: the attachment always matches the body that was rendered.
    """
    qs = _open_debits().filter(customer=customer)
    if debt_ids:
        qs = qs.filter(pk__in=debt_ids)
    return statement_build(rows=qs.order_by("due_date", "id").values_list(*STATEMENT_COLUMNS), as_of=as_of)


def statement_build(*, rows: Any, as_of: dt.date) -> dict[str, Any]:
    """The statement from (id, number, reference, issue_date, due_date, amount, open_amount, currency)
    rows in due-date order: the single path and the bulk path share it, so they store the same."""
    out = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for pk, number, reference, issue_date, due_date, amount, open_amount, currency in rows:
        out.append({"id": pk, "number": number, "reference": reference,
                    "issue_date": issue_date.isoformat(), "due_date": due_date.isoformat(),
                    "days_past_due": (as_of - due_date).days, "amount": str(amount),
                    "open_amount": str(open_amount), "currency": currency})
        totals[currency] += open_amount
    return {"as_of": as_of.isoformat(), "rows": out,
            "totals": [{"currency": c, "amount": str(totals[c])} for c in sorted(totals)]}


def open_documents_by_customer(*, customer_ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    """Every open debit item of these customers in one query: {customer id: [statement row, ...]},
    each list in due-date order (the order `statement_for` uses)."""
    out: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    rows = (_open_debits().filter(customer_id__in=customer_ids).order_by("customer_id", "due_date", "id")
            .values_list("customer_id", *STATEMENT_COLUMNS))
    for row in rows:
        out[row[0]].append(row[1:])
    return out


def contacts_by_customer(*, customer_ids: list[int]) -> dict[int, list[Contact]]:
    """Every contact of these customers in one query, primary first (the order `contact_primary` uses)."""
    out: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.filter(customer_id__in=customer_ids).order_by("customer_id", "-is_primary", "id"):
        out[contact.customer_id].append(contact)
    return out


def sender_profiles_by_unit() -> dict[int, SenderProfile]:
    """All sender profiles (one per business unit: a small table) in one query."""
    return {p.business_unit_id: p for p in SenderProfile.objects.all()}


def templates_active_for(*, keys: list[str], channels: list[str]) -> dict[tuple[str, str, str], MessageTemplate]:
    """The active versions for these keys and channels in one query: {(key, channel, language): template}."""
    return {(t.key, t.channel, t.language): t
            for t in MessageTemplate.objects.filter(key__in=keys, channel__in=channels, active=True)}


def template_language_candidates(language: str) -> list[str]:
    return [language, language.split("-")[0].split("_")[0], "en"]


def statement_for_template(statement: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Turn the stored statement back into Decimals and dates for the templates' filters."""
    documents = [
        {**row, "issue_date": dt.date.fromisoformat(row["issue_date"]), "due_date": dt.date.fromisoformat(row["due_date"]),
         "amount": Decimal(row["amount"]), "open_amount": Decimal(row["open_amount"])}
        for row in statement.get("rows", [])
    ]
    totals = [{"currency": t["currency"], "amount": Decimal(t["amount"])} for t in statement.get("totals", [])]
    return documents, totals


def template_context_for(*, customer: Customer, contact: Contact | None, as_of: dt.date, step_key: str = "",
                         debt_ids: list[int] | None = None, statement: dict[str, Any] | None = None,
                         ) -> dict[str, Any]:
    """Every merge field a template may use, as plain data (see docs/communications.md for the list)."""
    if statement is None:
        statement = statement_for(customer=customer, as_of=as_of, debt_ids=debt_ids)
    return template_context_build(customer=customer, contact=contact, as_of=as_of, step_key=step_key,
                                  statement=statement, sender=sender_profile_for(customer=customer),
                                  portal_link=portal_link_for(customer))


def template_context_build(*, customer: Customer, contact: Contact | None, as_of: dt.date, step_key: str,
                           statement: dict[str, Any], sender: dict[str, str], portal_link: str) -> dict[str, Any]:
    """The merge context from data already loaded (no query): the single and the bulk path share it."""
    documents, totals = statement_for_template(statement)
    required = opt_out_required(customer)
    language = (customer.language or "en").split("-")[0].split("_")[0]
    return {
        "locale": locale_for(customer.language, customer.country),
        "language": language,
        "today": as_of,
        "step": step_key,
        "customer": {"name": customer.name, "number": customer.external_id, "country": customer.country,
                     "language": customer.language, "segment": customer.segment},
        "contact": _contact_dict(contact),
        "business_unit": {"code": customer.business_unit.code, "name": customer.business_unit.name},
        "sender": sender,
        "documents": documents,
        "totals": totals,
        "total": totals[0] if len(totals) == 1 else None,
        "oldest_due_date": min((d["due_date"] for d in documents), default=None),
        "max_days_past_due": max((d["days_past_due"] for d in documents), default=0),
        "portal_link": portal_link,
        "opt_out_required": required,
        "opt_out_url": opt_out_url(contact_id=contact.pk) if contact is not None else "",
        "disclosure_required": required,
        "disclosure": DISCLOSURE_DE if language == "de" else DISCLOSURE_EN,
    }


# --- the outbox -------------------------------------------------------------------------------------


def message_list_for_customer(*, customer_id: int) -> QuerySet[OutboundMessage]:
    """The customer's timeline of outbound messages, newest first, with the rendered bodies."""
    return (
        OutboundMessage.objects.filter(customer_id=customer_id)
        .select_related("template", "contact", "decision")
        .order_by("-queued_at", "-id")
    )


def outbox_list_visible(*, user: Any, status: str = "", channel: str = "", customer_id: int | None = None,
                        q: str = "", run_reference: str = "") -> QuerySet[OutboundMessage]:
    visible = customer_list_visible(user=user)
    qs = OutboundMessage.objects.filter(customer__in=visible.values("pk")).select_related("customer", "template")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if run_reference:
        qs = qs.filter(run_reference=run_reference)
    if q:
        qs = qs.filter(Q(subject__icontains=q) | Q(to_address__icontains=q) | Q(customer__name__icontains=q))
    return qs.order_by("-queued_at", "-id")


def outbox_get_for_user(*, user: Any, pk: int) -> OutboundMessage:
    from django.http import Http404

    try:
        return outbox_list_visible(user=user).select_related("contact", "decision", "letter_batch").get(pk=pk)
    except (OutboundMessage.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such message") from exc


def inbound_list_visible(*, user: Any, label: str = "", status: str = "") -> QuerySet[InboundMessage]:
    qs = InboundMessage.objects.select_related("customer")
    ids = user.visible_collector_ids()
    if ids is not None:
        qs = qs.filter(customer__collector_id__in=ids)
    if label:
        qs = qs.filter(label=label)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at", "-id")


def inbound_get_for_user(*, user: Any, pk: int) -> InboundMessage:
    from django.http import Http404

    try:
        return inbound_list_visible(user=user).select_related("contact", "reply_to_message").get(pk=pk)
    except (InboundMessage.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such message") from exc


def inbound_list_for_customer(*, customer_id: int) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(customer_id=customer_id).order_by("-received_at", "-id")


def call_task_list_open(*, user_id: int | None = None) -> QuerySet[CallTask]:
    qs = CallTask.objects.filter(status="open").select_related("customer", "contact")
    if user_id is not None:
        qs = qs.filter(assigned_to_id=user_id)
    return qs.order_by("due_date", "id")
