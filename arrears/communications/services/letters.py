"""Letters: every queued letter of a run goes into ONE print file (a LetterBatch)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from arrears.common.clock import now as clock_now
from arrears.communications.models import LetterBatch, MessageStatus, OutboundMessage
from arrears.communications.selectors import _contact_dict, sender_profile_for
from arrears.communications.services.outbox import _apply_refusal, _finish, outbox_claim, outbox_gate
from arrears.communications.services.pdf import letter_html, pdf_concatenate
from arrears.compliance.errors import ComplianceError
from arrears.compliance.services import contact_attempt_record
from arrears.ledger.models import Channel

LETTER_DIR = "letters"


def letter_html_for(message: OutboundMessage) -> str:
    customer = message.customer
    return letter_html(
        customer={"name": customer.name, "number": customer.external_id}, contact=_contact_dict(message.contact),
        sender=sender_profile_for(customer=customer), subject=message.subject, body_html=message.html_body,
        language=customer.language, country=customer.country,
        date=dt.date.fromisoformat(message.statement["as_of"]) if message.statement.get("as_of") else message.queued_at.date(),
    )


def letter_batch_print(*, run_reference: str = "", message_ids: list[int] | None = None,
                       now: dt.datetime | None = None) -> dict[str, Any]:
    """Claim the queued letters (of a run, or the given ones), gate each, and write all that pass
    into one PDF under MEDIA_ROOT/letters/. Returns {"batch": LetterBatch | None, "printed", "blocked", ...}.

    Letters are claimed like any outbox row, so two printers never print the same letter; a crash
    before the file is written leaves the rows 'sending' until their lease expires ('check')."""
    at = now or clock_now()
    qs = OutboundMessage.objects.filter(channel=Channel.LETTER, status=MessageStatus.QUEUED)
    if message_ids is not None:
        qs = qs.filter(pk__in=message_ids)
    if run_reference:
        qs = qs.filter(run_reference=run_reference)
    ids = list(qs.order_by("customer__name", "id").values_list("pk", flat=True))
    claimed = [pk for pk in ids if outbox_claim(message_id=pk, now=at)]
    messages = list(OutboundMessage.objects.filter(pk__in=claimed).select_related(
        "customer", "customer__business_unit", "contact", "created_by").order_by("customer__name", "id"))
    counts = {"printed": 0, "blocked": 0, "deferred": 0, "failed": 0}
    printable: list[tuple[OutboundMessage, Any]] = []
    for message in messages:
        try:
            decision = outbox_gate(message, now=at)
        except ComplianceError as exc:
            _finish(message, status=MessageStatus.FAILED, last_error=f"compliance gate refused the input: {exc}")
            counts["failed"] += 1
            continue
        if not decision.allowed:
            result = _apply_refusal(message, decision, now=at)
            counts["deferred" if result == "deferred" else "blocked"] += 1
            continue
        printable.append((message, decision))
    if not printable:
        return {"batch": None, **counts}
    pdf, pages = pdf_concatenate([letter_html_for(m) for m, _ in printable])
    with transaction.atomic():
        batch = LetterBatch.objects.create(run_reference=run_reference, file="", letter_count=len(printable),
                                           page_count=pages)
        relative = f"{LETTER_DIR}/batch-{batch.pk:06d}.pdf"
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
        batch.file = relative
        batch.save(update_fields=["file"])
        for message, decision in printable:
            _finish(message, status=MessageStatus.SENT, sent_at=at, decision=decision, letter_batch=batch,
                    provider_id=f"letter-batch-{batch.pk}", last_error="")
            contact_attempt_record(customer=message.customer, channel=Channel.LETTER, at=at, contact=message.contact,
                                   outcome="attempted", decision=decision, source="outbox",
                                   reference=f"outbox:{message.pk}", debt_ids=list(message.debt_ids) or None)
    counts["printed"] = len(printable)
    return {"batch": batch, **counts}


def letter_batch_path(batch: LetterBatch) -> Path:
    return Path(settings.MEDIA_ROOT) / batch.file
