"""The outbox: write the message first, send it later, at most once.

    queued --claim--> sending --sent--> sent (--receipt--> delivered | --DSN--> bounced)
      ^                  |--transient error, attempts left--> queued (next_attempt_at = now + backoff)
      |                  |--transient error, no attempts left / permanent error--> failed
      |                  |--compliance BLOCK (time alone lifts it)--> queued at next_allowed_at
      |                  |--compliance BLOCK / REVIEW--> blocked
      |                  |--connection lost after the data went out--> check
      '---resolve------ check <--lease expired (the worker died mid-send)-- sending

A row is claimed by one conditional UPDATE (status='queued' and due -> 'sending' with a lease);
whoever gets rowcount 1 owns it. The claim commits before the SMTP conversation starts and 'sent' is
written right after it ends, so a crash between the two leaves a 'sending' row whose lease expires;
that row goes to 'check' and is NOT sent again unless ARREARS_OUTBOX_RESEND_UNCONFIRMED is on or a
person resolves it. docs/communications.md describes the window.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from arrears.common.clock import now as clock_now
from arrears.communications.links import opt_out_mailto, opt_out_url
from arrears.communications.models import MessageStatus, MessageTemplate, OutboundMessage
from arrears.communications.rendering import Rendered, render_message
from arrears.communications.selectors import (
    contact_primary,
    opt_out_required,
    sender_profile_for,
    statement_for,
    template_context_for,
    template_get_active,
)
from arrears.communications.services import channels
from arrears.communications.services.pdf import pdf_from_html, statement_html
from arrears.compliance.errors import ComplianceError
from arrears.compliance.services import compliance_gate, contact_attempt_record
from arrears.ledger.models import Channel, Contact, Customer

log = logging.getLogger(__name__)

SENDABLE = (Channel.EMAIL, Channel.SMS)


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def max_attempts() -> int:
    return int(_setting("ARREARS_OUTBOX_MAX_ATTEMPTS", 5))


def lease_seconds() -> int:
    return int(_setting("ARREARS_OUTBOX_LEASE_SECONDS", 300))


def backoff_delay(attempts: int) -> dt.timedelta:
    """Exponential: base, 2x base, 4x base ... capped (defaults 60 s doubling, at most 6 h)."""
    base = float(_setting("ARREARS_OUTBOX_BACKOFF_SECONDS", 60))
    cap = float(_setting("ARREARS_OUTBOX_BACKOFF_MAX_SECONDS", 6 * 3600))
    return dt.timedelta(seconds=min(cap, base * (2 ** max(0, attempts - 1))))


class MessageNotQueueable(ValueError):
    pass


def _destination(channel: str, contact: Contact | None) -> str:
    if contact is None:
        return ""
    if channel == Channel.EMAIL:
        return contact.email
    if channel == Channel.SMS:
        return contact.phone
    if channel == Channel.LETTER:
        return ", ".join(x for x in (contact.address_line1, contact.postal_code, contact.city, contact.country) if x)
    return ""


def _message_domain(from_email: str) -> str:
    configured = _setting("ARREARS_MESSAGE_ID_DOMAIN", "")
    if configured:
        return configured
    return from_email.rsplit("@", 1)[-1] if "@" in from_email else "arrears.invalid"


def message_queue(
    *,
    customer: Customer,
    channel: str,
    step_key: str,
    as_of: dt.date,
    contact: Contact | None = None,
    debt_ids: list[int] | None = None,
    idempotency_key: str | None = None,
    run_reference: str = "",
    template: MessageTemplate | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> OutboundMessage:
    """Render the step's template for the customer and write the message (status queued).

    Idempotent: the key defaults to run + customer + step + channel, and queueing the same key
    again returns the row that exists. A message with no address is written as failed, so the gap is
    visible in the outbox instead of silently skipped.
    """
    if channel not in (Channel.EMAIL, Channel.SMS, Channel.LETTER):
        raise MessageNotQueueable(f"channel {channel!r}: calls are call tasks (call_task_create), not messages")
    at = now or clock_now()
    if idempotency_key is None:
        idempotency_key = (f"run:{run_reference}:c{customer.pk}:{step_key}:{channel}" if run_reference
                           else f"manual:{uuid.uuid4().hex}")
    existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if contact is None:
        contact = contact_primary(customer=customer)
    elif contact.customer_id != customer.pk:
        raise MessageNotQueueable(f"contact {contact.pk} is not a contact of customer {customer.pk}")
    if template is None:
        template = template_get_active(key=step_key, channel=channel, language=customer.language or "en")
    statement = statement_for(customer=customer, as_of=as_of, debt_ids=debt_ids)
    context = template_context_for(customer=customer, contact=contact, as_of=as_of, step_key=step_key,
                                   statement=statement)
    rendered = render_message(subject=template.subject, html_body=template.html_body, text_body=template.text_body,
                              context=context, channel=channel, step_key=step_key)
    message = message_build(
        customer=customer, contact=contact, channel=channel, step_key=step_key, template=template, rendered=rendered,
        statement=statement, debt_ids_given=bool(debt_ids), idempotency_key=idempotency_key, at=at,
        run_reference=run_reference, actor=actor, from_email=context["sender"]["from_email"],
    )
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        return OutboundMessage.objects.get(idempotency_key=idempotency_key)
    return message


def message_build(*, customer: Customer, contact: Contact | None, channel: str, step_key: str,
                  template: MessageTemplate, rendered: Rendered, statement: dict[str, Any], debt_ids_given: bool,
                  idempotency_key: str, at: dt.datetime, run_reference: str, actor: Any, from_email: str,
                  ) -> OutboundMessage:
    """The unsaved row for a rendered message (the single and the bulk path share it).

    A contact without an address for the channel gives a `failed` row, so the gap shows in the outbox."""
    to = _destination(channel, contact)
    status, error = MessageStatus.QUEUED, ""
    if not to:
        status, error = MessageStatus.FAILED, f"contact has no {'address' if channel == Channel.LETTER else channel} on file"
    return OutboundMessage(
        customer=customer, contact=contact, channel=channel, template=template, step_key=step_key, to_address=to,
        subject=rendered.subject, html_body=rendered.html, text_body=rendered.text, statement=statement,
        content_flags=rendered.flags, debt_ids=[r["id"] for r in statement["rows"]] if debt_ids_given else [],
        idempotency_key=idempotency_key, status=status, last_error=error, queued_at=at, next_attempt_at=at,
        run_reference=run_reference, created_by=actor if getattr(actor, "pk", None) else None,
        provider_id=(channels.message_id_for(idempotency_key=idempotency_key, domain=_message_domain(from_email))
                     if channel == Channel.EMAIL else ""),
    )


# --- claiming and recovery ---------------------------------------------------------------------------


def outbox_claim(*, message_id: int, now: dt.datetime) -> bool:
    """Take the row for sending: one conditional UPDATE; True only for the one caller that won."""
    claimed = OutboundMessage.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), pk=message_id, status=MessageStatus.QUEUED,
    ).update(status=MessageStatus.SENDING, lease_until=now + dt.timedelta(seconds=lease_seconds()),
             attempts=F("attempts") + 1, updated_at=now)
    return claimed == 1


def outbox_recover_expired(*, now: dt.datetime) -> int:
    """'sending' rows whose worker is gone (lease expired): the send may or may not have happened.

    They go to 'check' (a person decides) unless ARREARS_OUTBOX_RESEND_UNCONFIRMED is set, in which
    case they are queued again: that policy accepts a possible duplicate over a possible loss.
    """
    resend = bool(_setting("ARREARS_OUTBOX_RESEND_UNCONFIRMED", False))
    expired = OutboundMessage.objects.filter(status=MessageStatus.SENDING, lease_until__lt=now)
    if resend:
        return expired.update(status=MessageStatus.QUEUED, next_attempt_at=now, lease_until=None, updated_at=now,
                              last_error="worker lease expired; re-queued by policy (RESEND_UNCONFIRMED)")
    return expired.update(status=MessageStatus.CHECK, lease_until=None, updated_at=now,
                          last_error="worker lease expired during the send; delivery unknown, not re-sent")


def _finish(message: OutboundMessage, **values: Any) -> bool:
    """Move a row this worker holds out of 'sending'; False when the lease was lost meanwhile."""
    values.setdefault("lease_until", None)
    values["updated_at"] = clock_now()
    done = OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(**values)
    for key, value in values.items():
        setattr(message, key, value)
    return done == 1


def _mark_sent(message: OutboundMessage, *, provider_id: str, at: dt.datetime) -> bool:
    return _finish(message, status=MessageStatus.SENT, sent_at=at, provider_id=provider_id, last_error="")


# --- sending ---------------------------------------------------------------------------------------


def _statement_pdf(message: OutboundMessage) -> bytes | None:
    if not message.statement.get("rows"):
        return None
    customer = message.customer
    contact = message.contact
    from arrears.communications.selectors import _contact_dict

    return pdf_from_html(statement_html(
        customer={"name": customer.name, "number": customer.external_id}, contact=_contact_dict(contact),
        sender=sender_profile_for(customer=customer), statement=message.statement,
        language=customer.language, country=customer.country,
    ))


def _deliver_email(message: OutboundMessage) -> str:
    customer = message.customer
    sender = sender_profile_for(customer=customer)
    from_email = sender["from_email"] or settings.DEFAULT_FROM_EMAIL
    from_header = f'"{sender["from_name"]}" <{from_email}>' if sender["from_name"] else from_email
    attachments = []
    pdf = _statement_pdf(message)
    if pdf is not None:
        name = "Kontoauszug.pdf" if (customer.language or "")[:2] == "de" else "statement.pdf"
        attachments.append((name, pdf, "application/pdf"))
    unsubscribe = None
    if opt_out_required(customer) and message.contact_id:
        mailbox = sender["reply_to"] or from_email
        unsubscribe = (opt_out_mailto(mailbox=mailbox, contact_id=message.contact_id),
                       opt_out_url(contact_id=message.contact_id))
    email = channels.email_build(
        to=message.to_address, subject=message.subject, text=message.text_body, html=message.html_body,
        from_email=from_header, reply_to=sender["reply_to"], message_id=message.provider_id,
        attachments=attachments, list_unsubscribe=unsubscribe,
    )
    channels.email_send(email)
    return message.provider_id


def _deliver_sms(message: OutboundMessage) -> str:
    sender = sender_profile_for(customer=message.customer)
    return channels.sms_provider().send(message.to_address, message.text_body, sender=sender["sms_sender"],
                                        idempotency_key=message.idempotency_key)


_DELIVER = {Channel.EMAIL: _deliver_email, Channel.SMS: _deliver_sms}


def _max_defer() -> dt.timedelta:
    return dt.timedelta(days=float(_setting("ARREARS_OUTBOX_MAX_DEFER_DAYS", 7)))


def outbox_gate(message: OutboundMessage, *, now: dt.datetime):
    """The compliance gate for this message at this instant, with the flags read from its content."""
    return compliance_gate(
        customer=message.customer, channel=message.channel, when=now, initiated_by="automatic",
        contact=message.contact, debt_ids=list(message.debt_ids) or None, content_flags=message.content_flags,
        actor=message.created_by, source=f"outbox {message.channel}",
    )


def _apply_refusal(message: OutboundMessage, decision: Any, *, now: dt.datetime) -> str:
    """BLOCK that waiting lifts (contact hours, caps): back to the queue at the allowed time.
    Anything else (opt-out, cease, review): blocked, with the reason, nothing sent."""
    wait_until = decision.next_allowed_at
    if wait_until is not None and wait_until - now <= _max_defer():
        _finish(message, status=MessageStatus.QUEUED, next_attempt_at=wait_until, decision=decision,
                attempts=F("attempts") - 1, last_error=f"deferred by compliance: {decision.reasons}"[:2000])
        message.refresh_from_db(fields=["attempts"])
        return "deferred"
    _finish(message, status=MessageStatus.BLOCKED, decision=decision, last_error=decision.reasons[:2000])
    return MessageStatus.BLOCKED


def outbox_send_one(*, message_id: int, now: dt.datetime | None = None) -> str:
    """Claim one due message, gate it, send it, record it. Returns the resulting status, 'deferred',
    or 'skipped' when the row was not ours to send (already claimed, sent, or not due)."""
    at = now or clock_now()
    if not outbox_claim(message_id=message_id, now=at):
        return "skipped"
    message = OutboundMessage.objects.select_related("customer", "customer__business_unit", "contact",
                                                     "created_by").get(pk=message_id)
    deliver = _DELIVER.get(message.channel)
    if deliver is None:
        _finish(message, status=MessageStatus.FAILED, last_error=f"channel {message.channel} is not sent by the outbox")
        return MessageStatus.FAILED
    try:
        decision = outbox_gate(message, now=at)
    except ComplianceError as exc:
        _finish(message, status=MessageStatus.FAILED, last_error=f"compliance gate refused the input: {exc}")
        return MessageStatus.FAILED
    if not decision.allowed:
        return _apply_refusal(message, decision, now=at)
    OutboundMessage.objects.filter(pk=message.pk).update(decision=decision)
    # Recorded before the send: a crash after the send must not let the frequency caps undercount.
    contact_attempt_record(customer=message.customer, channel=message.channel, at=at, contact=message.contact,
                           outcome="attempted", decision=decision, source="outbox", reference=f"outbox:{message.pk}",
                           debt_ids=list(message.debt_ids) or None, actor=message.created_by)
    try:
        provider_id = deliver(message)
    except channels.PermanentSendError as exc:
        _finish(message, status=MessageStatus.FAILED, last_error=str(exc)[:2000])
        return MessageStatus.FAILED
    except channels.AmbiguousSendError as exc:
        _finish(message, status=MessageStatus.CHECK, last_error=str(exc)[:2000])
        return MessageStatus.CHECK
    except channels.TransientSendError as exc:
        message.refresh_from_db(fields=["attempts"])
        if message.attempts >= max_attempts():
            _finish(message, status=MessageStatus.FAILED,
                    last_error=f"gave up after {message.attempts} attempts: {exc}"[:2000])
            return MessageStatus.FAILED
        _finish(message, status=MessageStatus.QUEUED, next_attempt_at=at + backoff_delay(message.attempts),
                last_error=f"attempt {message.attempts} failed: {exc}"[:2000])
        return MessageStatus.QUEUED
    if not _mark_sent(message, provider_id=provider_id, at=clock_now() if now is None else at):
        log.warning("outbox message %s was sent but its lease had expired; status left as found", message.pk)
    return MessageStatus.SENT


def outbox_due_ids(*, now: dt.datetime, limit: int = 500, channels_: tuple[str, ...] = SENDABLE) -> list[int]:
    return list(
        OutboundMessage.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), status=MessageStatus.QUEUED,
            channel__in=channels_,
        ).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit]
    )


def outbox_send_due(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """One sweep: recover dead workers' rows, then send every due email and SMS (at most `limit`)."""
    at = now or clock_now()
    counts: dict[str, int] = {"recovered": outbox_recover_expired(now=at)}
    for message_id in outbox_due_ids(now=at, limit=limit):
        result = outbox_send_one(message_id=message_id, now=now)
        counts[str(result)] = counts.get(str(result), 0) + 1
    return counts


# --- after the send ---------------------------------------------------------------------------------


def outbox_message_resolve(*, message: OutboundMessage, action: str, actor: Any = None,
                           now: dt.datetime | None = None) -> OutboundMessage:
    """A person settles a 'check' (or failed) row: 'resend' queues it again, 'mark_sent' records it
    as sent (e.g. the recipient confirmed it arrived), 'mark_failed' closes it."""
    from arrears.audit.services import audit_record

    at = now or clock_now()
    allowed_from = {"resend": (MessageStatus.CHECK, MessageStatus.FAILED), "mark_sent": (MessageStatus.CHECK,),
                    "mark_failed": (MessageStatus.CHECK,)}
    if action not in allowed_from:
        raise ValueError(f"action: {action!r} is not one of {', '.join(allowed_from)}")
    values: dict[str, Any] = {
        "resend": {"status": MessageStatus.QUEUED, "next_attempt_at": at, "attempts": 0},
        "mark_sent": {"status": MessageStatus.SENT, "sent_at": at},
        "mark_failed": {"status": MessageStatus.FAILED},
    }[action]
    before = message.status
    done = OutboundMessage.objects.filter(pk=message.pk, status__in=allowed_from[action]).update(
        updated_at=at, last_error=f"{action} by {getattr(actor, 'username', 'system')} (was {before})", **values)
    if done != 1:
        raise ValueError(f"message {message.pk} is {message.status}; {action} needs {' or '.join(allowed_from[action])}")
    message.refresh_from_db()
    audit_record(action=f"outbox.{action}", obj=message, customer_id=message.customer_id,
                 before={"status": before}, after={"status": message.status},
                 actor=actor if getattr(actor, "pk", None) else None)
    return message


def outbox_mark_delivered(*, provider_id: str, at: dt.datetime | None = None) -> OutboundMessage | None:
    """A delivery receipt (SMS provider callback): sent -> delivered; the contact attempt follows."""
    when = at or clock_now()
    message = OutboundMessage.objects.filter(provider_id=provider_id).select_related("customer", "contact").first()
    if message is None:
        return None
    updated = OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.SENT).update(
        status=MessageStatus.DELIVERED, delivered_at=when, updated_at=when)
    if updated:
        message.refresh_from_db()
        contact_attempt_record(customer=message.customer, channel=message.channel, at=message.sent_at or when,
                               contact=message.contact, outcome="delivered", source="outbox",
                               reference=f"outbox:{message.pk}")
    return message
