"""Letters: every queued letter of a run goes into ONE print file (a LetterBatch)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from arrears.common.clock import now as clock_now
from arrears.communications.models import LetterBatch, MessageStatus, OutboundMessage, SenderProfile
from arrears.communications.selectors import _contact_dict, sender_dict, sender_profile_for
from arrears.communications.services.outbox import (
    _apply_refusal,
    _finish,
    lease_seconds,
    outbox_claim,
    outbox_gate,
)
from arrears.communications.services.pdf import LetterPart, letter_html, letter_part, letters_pdf
from arrears.compliance.errors import ComplianceError
from arrears.compliance.models import ContactAttempt
from arrears.compliance.services import compliance_gate_many
from arrears.ledger.models import Channel

LETTER_DIR = "letters"


def _letter_date(message: OutboundMessage) -> dt.date:
    return dt.date.fromisoformat(message.statement["as_of"]) if message.statement.get("as_of") else message.queued_at.date()


def letter_html_for(message: OutboundMessage) -> str:
    customer = message.customer
    return letter_html(
        customer={"name": customer.name, "number": customer.external_id}, contact=_contact_dict(message.contact),
        sender=sender_profile_for(customer=customer), subject=message.subject, body_html=message.html_body,
        language=customer.language, country=customer.country, date=_letter_date(message),
    )


def letter_parts_for(messages: Sequence[OutboundMessage]) -> list[LetterPart]:
    """The batch-render parts of the letters (customer, contact, business unit already loaded), with
    the senders of all their business units read in one query."""
    units = {m.customer.business_unit_id for m in messages}
    profiles = {p.business_unit_id: p for p in SenderProfile.objects.filter(business_unit_id__in=units)}
    senders: dict[int, dict[str, str]] = {}
    parts = []
    for message in messages:
        customer = message.customer
        unit_id = customer.business_unit_id
        if unit_id not in senders:
            profile = profiles.get(unit_id)
            senders[unit_id] = sender_dict(profile, unit=None if profile is not None else customer.business_unit)
        parts.append(letter_part(
            customer={"name": customer.name, "number": customer.external_id}, contact=_contact_dict(message.contact),
            sender=senders[unit_id], subject=message.subject, body_html=message.html_body,
            language=customer.language, country=customer.country, date=_letter_date(message),
        ))
    return parts


CLAIM_CHUNK = 5000  # ids per claiming UPDATE (SQLite caps the parameters of one query)


def _claim_many(ids: list[int], *, at: dt.datetime) -> list[int]:
    """Claim the queued letters like `outbox_claim` does one by one, with one conditional UPDATE per
    chunk. The rows are locked first (rows another printer holds are skipped), so every row the UPDATE
    moves is ours; if the count ever disagrees, the chunk is claimed row by row instead."""
    claimed: list[int] = []
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=at)
    for start in range(0, len(ids), CLAIM_CHUNK):
        chunk = ids[start:start + CLAIM_CHUNK]
        with transaction.atomic():
            mine = list(OutboundMessage.objects.select_for_update(skip_locked=True)
                        .filter(due, pk__in=chunk, status=MessageStatus.QUEUED).values_list("pk", flat=True))
            moved = OutboundMessage.objects.filter(due, pk__in=mine, status=MessageStatus.QUEUED).update(
                status=MessageStatus.SENDING, lease_until=at + dt.timedelta(seconds=lease_seconds()),
                attempts=F("attempts") + 1, updated_at=at)
            if moved == len(mine):
                claimed.extend(mine)
                continue
            transaction.set_rollback(True)
        claimed.extend(pk for pk in chunk if outbox_claim(message_id=pk, now=at))
    return claimed


def _gate_letters(messages: list[OutboundMessage], *, at: dt.datetime) -> list[Any]:
    """One compliance decision per letter, from one batched gate call (`compliance_gate_many`).
    When the batch refuses its input, the letters are gated one by one so only the bad one fails;
    an entry is then the ComplianceError of that letter."""
    items = [{"customer": m.customer, "channel": m.channel, "when": at, "initiated_by": "automatic",
              "contact": m.contact, "debt_ids": list(m.debt_ids) or None, "content_flags": m.content_flags,
              "actor": m.created_by, "source": f"outbox {m.channel}"} for m in messages]
    try:
        return list(compliance_gate_many(items=items))
    except ComplianceError:
        pass
    decisions: list[Any] = []
    for message in messages:
        try:
            decisions.append(outbox_gate(message, now=at))
        except ComplianceError as exc:
            decisions.append(exc)
    return decisions


def _record_printed(printable: list[tuple[OutboundMessage, Any]], *, batch: LetterBatch, at: dt.datetime) -> None:
    """Mark the printed letters sent and record their contact attempts, a few queries for all.

    Same rows as `_finish(...)` and `contact_attempt_record(...)` per letter: only rows still
    'sending' (this printer's lease) move; an attempt already recorded for a letter is left alone
    (an 'attempted' outcome never replaces another)."""
    ids = [m.pk for m, _ in printable]
    held: set[int] = set()
    for start in range(0, len(ids), CLAIM_CHUNK):
        held.update(OutboundMessage.objects.select_for_update().filter(
            pk__in=ids[start:start + CLAIM_CHUNK], status=MessageStatus.SENDING).values_list("pk", flat=True))
    stamp = clock_now()
    rows = []
    for message, decision in printable:
        values = {"status": MessageStatus.SENT, "sent_at": at, "decision": decision, "letter_batch": batch,
                  "provider_id": f"letter-batch-{batch.pk}", "last_error": "", "lease_until": None,
                  "updated_at": stamp}
        for key, value in values.items():
            setattr(message, key, value)
        if message.pk in held:
            rows.append(message)
    OutboundMessage.objects.bulk_update(rows, ["status", "sent_at", "decision", "letter_batch", "provider_id",
                                               "last_error", "lease_until", "updated_at"], batch_size=1000)
    ContactAttempt.objects.bulk_create([
        ContactAttempt(customer=m.customer, contact=m.contact, channel=Channel.LETTER, direction="outbound", at=at,
                       outcome="attempted", decision=d, source="outbox", reference=f"outbox:{m.pk}",
                       debt_ids=list(dict.fromkeys(m.debt_ids or [])), actor=None)
        for m, d in printable
    ], batch_size=1000, ignore_conflicts=True)


def letter_batch_print(*, run_reference: str = "", message_ids: list[int] | None = None,
                       now: dt.datetime | None = None) -> dict[str, Any]:
    """Claim the queued letters (of a run, or the given ones), gate them, and write all that pass
    into one PDF under MEDIA_ROOT/letters/. Returns {"batch": LetterBatch | None, "printed", "blocked", ...}.

    Letters are claimed like any outbox row, so two printers never print the same letter; a crash
    before the file is written leaves the rows 'sending' until their lease expires ('check').
    The work is batched: one claiming UPDATE, one compliance gate call for all letters, one render
    for the print file (`pdf.letters_pdf`), a few queries to record the result."""
    at = now or clock_now()
    qs = OutboundMessage.objects.filter(channel=Channel.LETTER, status=MessageStatus.QUEUED)
    if message_ids is not None:
        qs = qs.filter(pk__in=message_ids)
    if run_reference:
        qs = qs.filter(run_reference=run_reference)
    ids = list(qs.order_by("customer__name", "id").values_list("pk", flat=True))
    claimed = _claim_many(ids, at=at)
    messages = list(OutboundMessage.objects.filter(pk__in=claimed).select_related(
        "customer", "customer__business_unit", "contact", "created_by").order_by("customer__name", "id"))
    counts = {"printed": 0, "blocked": 0, "deferred": 0, "failed": 0}
    printable: list[tuple[OutboundMessage, Any]] = []
    for message, decision in zip(messages, _gate_letters(messages, at=at), strict=True):
        if isinstance(decision, ComplianceError):
            _finish(message, status=MessageStatus.FAILED, last_error=f"compliance gate refused the input: {decision}")
            counts["failed"] += 1
            continue
        if not decision.allowed:
            result = _apply_refusal(message, decision, now=at)
            counts["deferred" if result == "deferred" else "blocked"] += 1
            continue
        printable.append((message, decision))
    if not printable:
        return {"batch": None, **counts}
    pdf, pages = letters_pdf(letter_parts_for([m for m, _ in printable]))
    with transaction.atomic():
        batch = LetterBatch.objects.create(run_reference=run_reference, file="", letter_count=len(printable),
                                           page_count=sum(pages))
        relative = f"{LETTER_DIR}/batch-{batch.pk:06d}.pdf"
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
        batch.file = relative
        batch.save(update_fields=["file"])
        _record_printed(printable, batch=batch, at=at)
    counts["printed"] = len(printable)
    return {"batch": batch, **counts}


def letter_batch_path(batch: LetterBatch) -> Path:
    return Path(settings.MEDIA_ROOT) / batch.file
