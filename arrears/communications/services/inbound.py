"""Inbound mail: replies to the collections mailbox from a .eml drop folder or IMAP.

Each mail is, in this order: a bounce (DSN -> bounces.bounce_process), an unsubscribe mail (our
List-Unsubscribe mailto, subject "unsubscribe <token>"), or a reply, which is stored once (keyed by its
Message-ID), attached to a customer and classified:

1. reference: In-Reply-To / References name one of our Message-IDs -> that message's customer;
2. sender: the From address is the email of contacts of exactly one customer;
3. document: a document number in the subject or body belongs to exactly one customer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import hashlib
import imaplib
import re
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from arrears.audit.services import audit_record
from arrears.common.clock import now as clock_now
from arrears.communications.classifier import classify
from arrears.communications.models import InboundLabel, InboundMessage, InboundStatus, OutboundMessage
from arrears.communications.services.bounces import bounce_process, is_dsn
from arrears.communications.services.optout import opt_out_by_token
from arrears.ledger.models import Contact, Document

_MSGID = re.compile(r"<[^<>\s]+>")
_DOC_TOKEN = re.compile(r"\b[A-Za-z0-9][A-Za-z0-9/_.-]*\d[A-Za-z0-9/_.-]*\b")
_UNSUBSCRIBE = re.compile(r"^\s*unsubscribe\s+(\S+)\s*$", re.IGNORECASE)
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    if part.get_content_type() == "text/html":
        content = unescape(_TAGS.sub(" ", content))
    return content.strip()


def _received_at(message: EmailMessage, fallback: dt.datetime) -> dt.datetime:
    try:
        value = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return fallback
    if value is None or value.tzinfo is None:
        return fallback
    return value


def _match(*, from_address: str, subject: str, body: str, references: list[str]) -> dict[str, Any]:
    if references:
        original = (OutboundMessage.objects.filter(provider_id__in=references).select_related("contact")
                    .order_by("-queued_at").first())
        if original is not None:
            return {"customer_id": original.customer_id, "contact_id": original.contact_id,
                    "reply_to_message": original, "matched_by": "reference"}
    contacts = list(Contact.objects.filter(email__iexact=from_address).values_list("pk", "customer_id")) if from_address else []
    if len({customer for _, customer in contacts}) == 1:
        return {"customer_id": contacts[0][1], "contact_id": contacts[0][0], "reply_to_message": None,
                "matched_by": "sender"}
    tokens = list(dict.fromkeys(_DOC_TOKEN.findall(f"{subject}\n{body}")))[:200]
    if tokens:
        customers = set(Document.objects.filter(external_id__in=tokens).values_list("customer_id", flat=True))
        if len(customers) == 1:
            customer_id = customers.pop()
            contact_id = next((c for c, cust in contacts if cust == customer_id), None)
            return {"customer_id": customer_id, "contact_id": contact_id, "reply_to_message": None,
                    "matched_by": "document"}
    return {"customer_id": None, "contact_id": None, "reply_to_message": None, "matched_by": ""}


def inbound_process(*, raw: bytes, source: str = "", at: dt.datetime | None = None) -> dict[str, Any]:
    """Handle one raw mail. Idempotent: the same mail (Message-ID, else its sha256) is stored once."""
    when = at or clock_now()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if is_dsn(message):
        return {"kind": "bounce", "source": source, **bounce_process(raw=raw, at=when)}
    subject = str(message.get("Subject", "") or "")
    unsubscribe = _UNSUBSCRIBE.match(subject)
    if unsubscribe:
        try:
            contact = opt_out_by_token(token=unsubscribe.group(1), at=when, source="email unsubscribe mail")
        except ValueError as exc:
            return {"kind": "unsubscribe", "source": source, "ok": False, "error": str(exc)}
        return {"kind": "unsubscribe", "source": source, "ok": True, "contact_id": contact.pk}
    message_id = str(message.get("Message-ID", "") or "").strip() or "sha256:" + hashlib.sha256(raw).hexdigest()
    existing = InboundMessage.objects.filter(message_id=message_id).first()
    if existing is not None:
        return {"kind": "reply", "source": source, "id": existing.pk, "duplicate": True, "label": existing.label,
                "customer_id": existing.customer_id, "matched_by": existing.matched_by}
    from_address = (getaddresses([str(message.get("From", "") or "")]) or [("", "")])[0][1].strip().lower()
    body = _text_of(message)
    references = _MSGID.findall(f"{message.get('In-Reply-To', '') or ''} {message.get('References', '') or ''}")
    match = _match(from_address=from_address, subject=subject, body=body, references=references)
    headers = {k.lower(): str(v) for k, v in message.items()}
    result = classify(subject=subject, body=body, headers=headers)
    row = InboundMessage(
        received_at=_received_at(message, when), message_id=message_id[:500], from_address=from_address[:254],
        subject=subject, body=body, in_reply_to=" ".join(references)[:5000], source=source[:300],
        customer_id=match["customer_id"], contact_id=match["contact_id"], reply_to_message=match["reply_to_message"],
        matched_by=match["matched_by"], label=result.label, evidence=[e.to_dict() for e in result.evidence],
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        row = InboundMessage.objects.get(message_id=message_id[:500])
        return {"kind": "reply", "source": source, "id": row.pk, "duplicate": True, "label": row.label,
                "customer_id": row.customer_id, "matched_by": row.matched_by}
    return {"kind": "reply", "source": source, "id": row.pk, "duplicate": False, "label": row.label,
            "customer_id": row.customer_id, "matched_by": row.matched_by}


def mail_fetch_dir(*, path: Path, at: dt.datetime | None = None, move: bool = True) -> dict[str, Any]:
    """Every *.eml in `path`. Handled files move to `path/processed/` (a re-run finds nothing new;
    a file dropped twice is still stored once). Unreadable files are reported by name, not moved."""
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a directory")
    done_dir = folder / "processed"
    results, errors = [], []
    for file in sorted(folder.glob("*.eml")):
        try:
            results.append(inbound_process(raw=file.read_bytes(), source=file.name, at=at))
        except (OSError, ValueError, UnicodeError) as exc:
            errors.append({"file": file.name, "error": str(exc)})
            continue
        if move:
            done_dir.mkdir(exist_ok=True)
            file.replace(done_dir / file.name)
    return _summary(results, errors)


def _summary(results: list[dict[str, Any]], errors: list[dict[str, Any]]) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    for r in results:
        key = "duplicate" if r.get("duplicate") else r["kind"]
        kinds[key] = kinds.get(key, 0) + 1
    return {"processed": len(results), "by_kind": kinds, "errors": errors, "items": results}


def mail_fetch_imap(*, at: dt.datetime | None = None, imap_factory: Callable[..., Any] | None = None,
                    mailbox: str = "INBOX") -> dict[str, Any]:
    """Unseen mail from the collections mailbox over IMAP (settings ARREARS_IMAP_HOST, _PORT, _USER,
    _PASSWORD, _SSL). Each handled mail is flagged \\Seen; tests pass a fake `imap_factory`."""
    host = getattr(settings, "ARREARS_IMAP_HOST", "")
    if not host:
        raise ValueError("ARREARS_IMAP_HOST is not set")
    use_ssl = bool(getattr(settings, "ARREARS_IMAP_SSL", True))
    port = int(getattr(settings, "ARREARS_IMAP_PORT", 993 if use_ssl else 143))
    factory = imap_factory or (imaplib.IMAP4_SSL if use_ssl else imaplib.IMAP4)
    client = factory(host, port)
    results, errors = [], []
    try:
        client.login(getattr(settings, "ARREARS_IMAP_USER", ""), getattr(settings, "ARREARS_IMAP_PASSWORD", ""))
        client.select(mailbox)
        status, data = client.uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            raise ValueError(f"IMAP search failed: {data!r}")
        for uid in (data[0] or b"").split():
            status, parts = client.uid("FETCH", uid, "(RFC822)")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None) if status == "OK" else None
            if raw is None:
                errors.append({"uid": uid.decode(), "error": f"fetch failed: {status}"})
                continue
            results.append(inbound_process(raw=raw, source=f"imap:{mailbox}:{uid.decode()}", at=at))
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    finally:
        with contextlib.suppress(Exception):
            client.logout()
    return _summary(results, errors)


@transaction.atomic
def inbound_confirm(*, message: InboundMessage, actor: Any, label: str | None = None,
                    at: dt.datetime | None = None) -> InboundMessage:
    """One click: the collector agrees with the label (or picks another). Audited."""
    if label is not None and label not in InboundLabel.values:
        raise ValueError(f"label: {label!r} is not one of {', '.join(InboundLabel.values)}")
    before = {"label": message.label, "status": message.status}
    new_label = label or message.label
    message.status = InboundStatus.CONFIRMED if new_label == message.label else InboundStatus.RELABELLED
    message.label = new_label
    message.confirmed_by = actor if getattr(actor, "pk", None) else None
    message.confirmed_at = at or clock_now()
    message.save(update_fields=["label", "status", "confirmed_by", "confirmed_at", "updated_at"])
    audit_record(action="inbound.confirm", obj=message, customer_id=message.customer_id, before=before,
                 after={"label": message.label, "status": message.status}, actor=message.confirmed_by)
    return message
