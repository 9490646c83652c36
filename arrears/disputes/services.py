"""Every write for disputes: open, review, resolve (by credit note, write-off or none), comment, attach.

The workflow allows only these moves; anything else raises DisputeError(INVALID_TRANSITION):

    open -> in_review -> resolved_valid | resolved_invalid | credited

A credit note is a new ledger Document (kind credit_note) applied to the disputed documents with
`ledger.services.credit_note_apply`; an adjustment is `ledger.services.document_write_off`. Both
happen in the same transaction as the status change, so a dispute is never "credited" without
its credit applied.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum

from arrears.audit.services import audit_record, snapshot
from arrears.common.clock import now, today
from arrears.common.money import MoneyError, parse_amount
from arrears.compliance.rules.calendar import is_public_holiday
from arrears.compliance.rules.model import ComplianceInputError
from arrears.disputes import conf
from arrears.disputes.errors import DisputeError, DisputeErrorCode
from arrears.disputes.models import (
    HOLDING_STATUSES,
    Dispute,
    DisputeAttachment,
    DisputeComment,
    DisputeLine,
    DisputeReason,
    DisputeStatus,
    Resolution,
)
from arrears.ledger.models import ZERO, Customer, Document, DocumentKind
from arrears.ledger.services import credit_note_apply, document_write_off
from arrears.ledger.services_customers import document_create
from arrears.users.models import Role

TRANSITIONS: dict[str, frozenset[str]] = {
    DisputeStatus.OPEN: frozenset({DisputeStatus.IN_REVIEW}),
    DisputeStatus.IN_REVIEW: frozenset(
        {DisputeStatus.RESOLVED_VALID, DisputeStatus.RESOLVED_INVALID, DisputeStatus.CREDITED}
    ),
}


def _amount(raw: Decimal | str, currency: str, field: str) -> Decimal:
    try:
        value = parse_amount(raw, currency)
    except MoneyError as exc:
        raise DisputeError(DisputeErrorCode.NON_POSITIVE_AMOUNT, f"{field}: {exc}") from exc
    if value <= ZERO:
        raise DisputeError(DisputeErrorCode.NON_POSITIVE_AMOUNT, f"{field}: must be positive, got {value}")
    return value


def _held_elsewhere(document: Document) -> Decimal:
    return (
        DisputeLine.objects.filter(document=document, dispute__status__in=HOLDING_STATUSES).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )


def _check_owner(owner: Any) -> None:
    if owner is not None and (not owner.is_active or owner.role == Role.AUDITOR):
        raise DisputeError(DisputeErrorCode.OWNER_CANNOT_OWN, f"owner: {owner} cannot own a dispute (inactive or read-only)")


@transaction.atomic
def dispute_open(
    *,
    customer: Customer,
    reason: str,
    lines: Sequence[tuple[Document, Decimal | str | None]],
    owner: Any = None,
    created_by: Any = None,
    description: str = "",
    opened_on: dt.date | None = None,
) -> Dispute:
    """Open a dispute over (document, amount) lines; amount None = the document's whole open amount.

    Each amount is at most what is open on the document less what other live disputes already hold.
    """
    if reason not in DisputeReason.values:
        raise DisputeError(
            DisputeErrorCode.UNKNOWN_REASON, f"reason: {reason!r} is not one of {', '.join(DisputeReason.values)}"
        )
    if not lines:
        raise DisputeError(DisputeErrorCode.NO_DOCUMENTS, "documents: a dispute is about at least one document")
    _check_owner(owner)
    ids = [d.pk for d, _ in lines]
    if len(set(ids)) != len(ids):
        raise DisputeError(DisputeErrorCode.DUPLICATE_DOCUMENT, "documents: a document is listed twice")
    locked = {d.pk: d for d in Document.objects.select_for_update().filter(pk__in=ids)}
    currency = locked[ids[0]].currency
    checked: list[tuple[Document, Decimal]] = []
    for i, (given, raw) in enumerate(lines):
        doc = locked[given.pk]
        where = f"documents[{i}] ({doc.external_id})"
        if doc.customer_id != customer.pk:
            raise DisputeError(DisputeErrorCode.DOCUMENT_NOT_OF_CUSTOMER, f"{where}: belongs to another customer")
        if doc.kind == DocumentKind.CREDIT_NOTE:
            raise DisputeError(DisputeErrorCode.NOT_A_DEBIT_DOCUMENT, f"{where}: is a credit note")
        if doc.currency != currency:
            raise DisputeError(DisputeErrorCode.CURRENCY_MISMATCH, f"{where}: is in {doc.currency}, not {currency}")
        disputable = doc.open_amount - _held_elsewhere(doc)
        amount = disputable if raw is None else _amount(raw, currency, f"{where}.amount")
        if amount <= ZERO or amount > disputable:
            raise DisputeError(
                DisputeErrorCode.DISPUTED_EXCEEDS_OPEN,
                f"{where}.amount: {amount} {currency} exceeds the {disputable} {currency} open and not already disputed",
            )
        checked.append((doc, amount))
    opened_at = now()
    opened_on = opened_on or today()
    sla = conf.sla_days(reason)
    dispute = Dispute.objects.create(
        customer=customer, reason=reason, description=description, currency=currency,
        disputed_amount=sum((a for _, a in checked), ZERO), owner=owner or customer.collector,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
        opened_at=opened_at, opened_on=opened_on, sla_days=sla, due_date=opened_on + dt.timedelta(days=sla),
    )
    DisputeLine.objects.bulk_create([DisputeLine(dispute=dispute, document=d, amount=a) for d, a in checked])
    audit_record(
        action="create", obj=dispute, customer_id=customer.pk,
        after={**snapshot(dispute), "lines": [[d.external_id, str(a)] for d, a in checked]},
    )
    return dispute


def _lock(dispute: Dispute, to: str) -> Dispute:
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if to not in TRANSITIONS.get(dispute.status, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(dispute.status, ()))) or "nothing (it is resolved)"
        raise DisputeError(
            DisputeErrorCode.INVALID_TRANSITION,
            f"dispute {dispute.pk} is {dispute.status}: it cannot become {to}; allowed: {allowed}",
        )
    return dispute


def _move(dispute: Dispute, to: str, *, note: str, fields: Sequence[str] = ()) -> Dispute:
    before = dispute.status
    dispute.status = to
    dispute.save(update_fields=["status", *fields, "updated_at"])
    audit_record(
        action="status", obj=dispute, customer_id=dispute.customer_id, before={"status": before},
        after={"status": to, **snapshot(dispute, fields)}, note=note,
    )
    return dispute


def business_days_between(start: dt.date, end: dt.date, *, country: str, subdivision: str = "") -> int:
    """Weekdays after `start` up to and including `end`, less the country's public holidays."""
    days = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() >= 5:
            continue
        try:
            if is_public_holiday(day, country, subdivision):
                continue
        except ComplianceInputError:
            pass  # no holiday calendar for this country: weekdays only
        days += 1
    return days


def _resolve(dispute: Dispute, to: str, *, on: dt.date, note: str, resolution: str = Resolution.NONE,
             amount: Decimal | None = None) -> Dispute:
    dispute.resolved_at = now()
    dispute.resolved_on = on
    dispute.resolution_days = (on - dispute.opened_on).days
    bu = dispute.customer.business_unit
    dispute.resolution_business_days = business_days_between(
        dispute.opened_on, on, country=bu.country, subdivision=bu.subdivision
    )
    dispute.resolution = resolution
    dispute.resolution_amount = amount
    dispute.resolution_note = note
    return _move(
        dispute, to, note=note,
        fields=["resolved_at", "resolved_on", "resolution_days", "resolution_business_days", "resolution",
                "resolution_amount", "resolution_note", "credit_note_id"],
    )


@transaction.atomic
def dispute_start_review(*, dispute: Dispute, note: str = "") -> Dispute:
    return _move(_lock(dispute, DisputeStatus.IN_REVIEW), DisputeStatus.IN_REVIEW, note=note)


@transaction.atomic
def dispute_resolve_invalid(*, dispute: Dispute, note: str = "", on: dt.date | None = None) -> Dispute:
    """The claim is rejected: the amount is owed after all and the hold ends."""
    dispute = _lock(dispute, DisputeStatus.RESOLVED_INVALID)
    return _resolve(dispute, DisputeStatus.RESOLVED_INVALID, on=on or today(), note=note)


def _spread(dispute: Dispute, amount: Decimal | str | None) -> list[tuple[DisputeLine, Decimal]]:
    """The resolution amount over the lines in order, each capped by its line and its document's open amount."""
    lines = list(dispute.lines.select_related("document").order_by("id"))
    total = dispute.disputed_amount if amount is None else _amount(amount, dispute.currency, "amount")
    if total > dispute.disputed_amount:
        raise DisputeError(
            DisputeErrorCode.RESOLUTION_EXCEEDS_DISPUTED,
            f"amount: {total} {dispute.currency} exceeds the {dispute.disputed_amount} {dispute.currency} disputed",
        )
    out, left = [], total
    for line in lines:
        doc = Document.objects.get(pk=line.document_id)
        part = min(left, line.amount, doc.open_amount)
        if part > ZERO:
            out.append((line, part))
            left -= part
    if left > ZERO:
        raise DisputeError(
            DisputeErrorCode.RESOLUTION_EXCEEDS_OPEN,
            f"amount: only {total - left} {dispute.currency} of {total} is still open on the disputed documents",
        )
    return out


@transaction.atomic
def dispute_resolve_valid(
    *, dispute: Dispute, adjustment: str = Resolution.NONE, amount: Decimal | str | None = None, note: str = "",
    on: dt.date | None = None, by: Any = None,
) -> Dispute:
    """The claim holds. With adjustment="write_off" the amount (default: all disputed) is written off."""
    dispute = _lock(dispute, DisputeStatus.RESOLVED_VALID)
    on = on or today()
    if adjustment not in (Resolution.NONE, Resolution.WRITE_OFF):
        raise DisputeError(
            DisputeErrorCode.UNKNOWN_ADJUSTMENT, f"adjustment: {adjustment!r} is not '' or 'write_off' (credit: use credited)"
        )
    written = None
    if adjustment == Resolution.WRITE_OFF:
        parts = _spread(dispute, amount)
        reason = f"dispute {dispute.pk} ({dispute.get_reason_display()}): {note}".strip(": ")[:200]
        offs = [
            document_write_off(document=line.document, amount=part, date=on, reason=reason,
                               approved_by=by if getattr(by, "is_authenticated", False) else None)
            for line, part in parts
        ]
        dispute.write_offs.add(*offs)
        written = sum((part for _, part in parts), ZERO)
    return _resolve(dispute, DisputeStatus.RESOLVED_VALID, on=on, note=note, resolution=adjustment, amount=written)


@transaction.atomic
def dispute_credit(
    *, dispute: Dispute, amount: Decimal | str | None = None, note: str = "", on: dt.date | None = None,
    credit_note_number: str = "",
) -> Dispute:
    """Resolve by a credit note for the disputed amount (or a smaller one), applied to the documents."""
    dispute = _lock(dispute, DisputeStatus.CREDITED)
    on = on or today()
    parts = _spread(dispute, amount)
    credited = sum((part for _, part in parts), ZERO)
    credit_note = document_create(
        customer=dispute.customer, external_id=credit_note_number or f"CN-DSP-{dispute.pk}", issue_date=on,
        due_date=on, amount=credited, currency=dispute.currency, kind=DocumentKind.CREDIT_NOTE,
        reference=f"dispute {dispute.pk}",
    )
    for line, part in parts:
        credit_note_apply(credit_note=credit_note, document=line.document, amount=part, date=on)
    credit_note.refresh_from_db()
    dispute.credit_note = credit_note
    return _resolve(dispute, DisputeStatus.CREDITED, on=on, note=note, resolution=Resolution.CREDIT_NOTE, amount=credited)


def dispute_transition(*, dispute: Dispute, to: str, **kwargs: Any) -> Dispute:
    """One entry point for the API: `to` is the target status; kwargs go to the matching service."""
    if to == DisputeStatus.IN_REVIEW:
        return dispute_start_review(dispute=dispute, note=kwargs.get("note", ""))
    if to == DisputeStatus.RESOLVED_INVALID:
        return dispute_resolve_invalid(dispute=dispute, note=kwargs.get("note", ""), on=kwargs.get("on"))
    if to == DisputeStatus.RESOLVED_VALID:
        return dispute_resolve_valid(dispute=dispute, **kwargs)
    if to == DisputeStatus.CREDITED:
        kwargs.pop("by", None)
        kwargs.pop("adjustment", None)
        return dispute_credit(dispute=dispute, **kwargs)
    _lock(dispute, to)  # raises: nothing moves back to open
    raise AssertionError("unreachable")


@transaction.atomic
def dispute_assign(*, dispute: Dispute, owner: Any) -> Dispute:
    _check_owner(owner)
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    before = {"owner_id": dispute.owner_id}
    dispute.owner = owner
    dispute.save(update_fields=["owner", "updated_at"])
    audit_record(action="update", obj=dispute, customer_id=dispute.customer_id, before=before,
                 after={"owner_id": dispute.owner_id})
    return dispute


@transaction.atomic
def dispute_comment_add(*, dispute: Dispute, author: Any, body: str) -> DisputeComment:
    body = (body or "").strip()
    if not body:
        raise DisputeError(DisputeErrorCode.EMPTY_COMMENT, "body: a comment cannot be empty")
    comment = DisputeComment.objects.create(
        dispute=dispute, author=author if getattr(author, "is_authenticated", False) else None, body=body
    )
    audit_record(action="comment", obj=comment, customer_id=dispute.customer_id, after={"body": body[:500]})
    return comment


def _read_all(upload: Any, limit: int) -> bytes:
    chunks, size = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        size += len(chunk)
        if size > limit:
            raise DisputeError(
                DisputeErrorCode.ATTACHMENT_TOO_LARGE, f"file: larger than the {limit:,} bytes allowed"
            )
        chunks.append(chunk)
    return b"".join(chunks)


@transaction.atomic
def dispute_attachment_add(*, dispute: Dispute, upload: Any, uploaded_by: Any = None) -> DisputeAttachment:
    """Store a file under MEDIA_ROOT/disputes/<id>/ after checking its size, extension and first bytes."""
    name = os.path.basename(getattr(upload, "name", "") or "attachment")
    ext = os.path.splitext(name)[1].lower()
    types = conf.attachment_types()
    if ext not in types:
        raise DisputeError(
            DisputeErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED,
            f"file: {name!r} is not an accepted type ({', '.join(sorted(types))})",
        )
    limit = conf.attachment_max_bytes()
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise DisputeError(DisputeErrorCode.ATTACHMENT_TOO_LARGE, f"file: {declared:,} bytes is over the {limit:,} allowed")
    data = _read_all(upload, limit)
    if not data:
        raise DisputeError(DisputeErrorCode.ATTACHMENT_EMPTY, f"file: {name!r} is empty")
    content_type, magics = types[ext]
    if magics and not any(data.startswith(m) for m in magics):
        raise DisputeError(
            DisputeErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED, f"file: {name!r} does not look like a {ext} file"
        )
    if not magics:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DisputeError(
                DisputeErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED, f"file: {name!r} is not UTF-8 text"
            ) from exc
    attachment = DisputeAttachment(
        dispute=dispute, original_name=name[:255], content_type=content_type, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=uploaded_by if getattr(uploaded_by, "is_authenticated", False) else None,
    )
    attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    audit_record(
        action="attach", obj=attachment, customer_id=dispute.customer_id,
        after={"name": name, "size": len(data), "sha256": attachment.sha256},
    )
    return attachment

