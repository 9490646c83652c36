"""Bounces: delivery status notifications (RFC 3464, multipart/report; report-type=delivery-status).

Policy (docs/communications.md "Bounces"):
- Action `failed` with a 5.x.x status (permanent): the message becomes 'bounced' and the contact's
  email consent is set to opted_out with source "bounce 5.1.1 <address>", so the compliance gate stops
  further mail to a dead address until someone records a working one (and consent) again.
- Action `failed` with a 4.x.x status: the message becomes 'bounced'; consent is untouched (transient).
- Action `delayed`, `relayed`, `delivered`, `expanded`: only noted; `delivered` marks the message delivered.
The original message is found by its Message-ID (our idempotency key) in the returned headers.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser
from typing import Any

from arrears.common.clock import now as clock_now
from arrears.communications.models import MessageStatus, OutboundMessage
from arrears.ledger.models import Channel, ConsentStatus
from arrears.ledger.services_customers import consent_set


@dataclass(frozen=True, slots=True)
class DsnRecipient:
    recipient: str
    action: str
    status: str
    diagnostic: str = ""

    @property
    def permanent(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")


@dataclass(frozen=True, slots=True)
class DsnReport:
    original_message_id: str
    recipients: tuple[DsnRecipient, ...] = field(default_factory=tuple)
    envelope_id: str = ""


_ADDR_TYPE = re.compile(r"^\s*rfc822\s*;\s*", re.IGNORECASE)


def is_dsn(message: Message) -> bool:
    return message.get_content_type() == "multipart/report" and (
        message.get_param("report-type", "") or "").lower() == "delivery-status"


def _blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    # Some parsers leave the status fields as text: split into header blocks at blank lines.
    text = payload if isinstance(payload, str) else (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return [HeaderParser().parsestr(block) for block in re.split(r"\r?\n\s*\r?\n", text) if block.strip()]


def dsn_parse(raw: bytes | Message) -> DsnReport | None:
    """The report in a DSN, or None when the mail is not one."""
    message = raw if isinstance(raw, Message) else email.message_from_bytes(raw, policy=email.policy.compat32)
    if not is_dsn(message):
        return None
    recipients: list[DsnRecipient] = []
    envelope_id = ""
    original_id = ""
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            for block in _blocks(part):
                if block.get("Original-Envelope-Id"):
                    envelope_id = str(block["Original-Envelope-Id"]).strip()
                if block.get("Action"):
                    recipients.append(DsnRecipient(
                        recipient=_ADDR_TYPE.sub("", str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")).strip(),
                        action=str(block["Action"]).strip().lower(),
                        status=str(block.get("Status") or "").strip(),
                        diagnostic=" ".join(str(block.get("Diagnostic-Code") or "").split()),
                    ))
        elif ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers") and not original_id:
            original_id = _original_message_id(part)
    return DsnReport(original_message_id=original_id, recipients=tuple(recipients), envelope_id=envelope_id)


def _original_message_id(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        return str(payload[0].get("Message-ID") or "").strip()
    data = part.get_payload(decode=True) or (payload.encode() if isinstance(payload, str) else b"")
    return str(BytesHeaderParser().parsebytes(data).get("Message-ID") or "").strip()


def bounce_process(*, raw: bytes | Message, at: dt.datetime | None = None) -> dict[str, Any]:
    """Apply a DSN to the message it reports on. Returns what was done (for the fetch report)."""
    when = at or clock_now()
    report = dsn_parse(raw)
    if report is None:
        return {"dsn": False}
    result: dict[str, Any] = {"dsn": True, "original_message_id": report.original_message_id, "message_id": None,
                              "status": None, "consent": None,
                              "recipients": [{"recipient": r.recipient, "action": r.action, "status": r.status}
                                             for r in report.recipients]}
    message = (OutboundMessage.objects.filter(provider_id=report.original_message_id, channel=Channel.EMAIL)
               .select_related("contact").first() if report.original_message_id else None)
    if message is None:
        return result
    result["message_id"] = message.pk
    failed = [r for r in report.recipients if r.action == "failed"]
    delivered = [r for r in report.recipients if r.action == "delivered"]
    if failed:
        worst = next((r for r in failed if r.permanent), failed[0])
        OutboundMessage.objects.filter(pk=message.pk).exclude(status=MessageStatus.BOUNCED).update(
            status=MessageStatus.BOUNCED, bounced_at=when, updated_at=when,
            last_error=f"bounce {worst.status} {worst.recipient}: {worst.diagnostic}"[:2000])
        result["status"] = MessageStatus.BOUNCED
        if worst.permanent and message.contact is not None:
            consent_set(contact=message.contact, channel=Channel.EMAIL, status=ConsentStatus.OPTED_OUT,
                        changed_at=when, source=f"bounce {worst.status} {worst.recipient}"[:100])
            result["consent"] = ConsentStatus.OPTED_OUT
    elif delivered:
        OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.SENT).update(
            status=MessageStatus.DELIVERED, delivered_at=when, updated_at=when)
        result["status"] = MessageStatus.DELIVERED
    return result
