"""Opt-outs: SMS STOP replies, the email unsubscribe link (one click) and unsubscribe mails.

Each opt-out is a ledger ChannelConsent (status opted_out, with when and how), written through the
ledger's `consent_set`; the compliance gate reads it before every later email or SMS to that contact.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import phonenumbers
from django.core import signing

from arrears.common.clock import now as clock_now
from arrears.communications.links import opt_out_token_read
from arrears.ledger.models import Channel, ConsentStatus, Contact
from arrears.ledger.services_customers import consent_set

SMS_STOP_SOURCE = "sms STOP"

# Reg F 1006.6(e) / TCPA: opt-outs count in the consumer's own words; the first word decides, or a
# clear phrase anywhere in a short reply.
_STOP_FIRST_WORD = re.compile(
    r"^\W*(stop|stopp|stopall|end|quit|cancel|unsubscribe|revoke|opt[\s-]?out|abmelden|abbestellen)\b", re.IGNORECASE
)
_STOP_PHRASE = re.compile(
    r"\b(please stop|stop (texting|messaging|sending|contacting)|do not (text|message|contact) me|"
    r"don't (text|message|contact) me|keine (SMS|Nachrichten) mehr|nicht mehr (kontaktieren|schreiben))\b",
    re.IGNORECASE,
)


def is_stop_request(body: str) -> bool:
    text = (body or "").strip()
    return bool(_STOP_FIRST_WORD.search(text) or (len(text) <= 160 and _STOP_PHRASE.search(text)))


def _e164(number: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(number, None), phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return re.sub(r"[^\d+]", "", number or "")


def sms_inbound_process(*, from_number: str, body: str, at: dt.datetime | None = None) -> dict[str, Any]:
    """An inbound SMS. A STOP reply opts every contact with that number out of SMS."""
    when = at or clock_now()
    number = _e164(from_number)
    if not is_stop_request(body):
        return {"from": number, "stop": False, "opted_out_contact_ids": []}
    contacts = list(Contact.objects.filter(phone=number).order_by("id")) if number else []
    for contact in contacts:
        consent_set(contact=contact, channel=Channel.SMS, status=ConsentStatus.OPTED_OUT, changed_at=when,
                    source=SMS_STOP_SOURCE)
    return {"from": number, "stop": True, "opted_out_contact_ids": [c.pk for c in contacts]}


def opt_out_by_token(*, token: str, at: dt.datetime | None = None, source: str = "email unsubscribe link"
                     ) -> Contact:
    """The signed link in a message (or its List-Unsubscribe header). Raises ValueError when forged."""
    try:
        contact_id, channel = opt_out_token_read(token)
    except (signing.BadSignature, KeyError, ValueError, TypeError) as exc:
        raise ValueError("this unsubscribe link is not valid") from exc
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None or channel not in Channel.values:
        raise ValueError("this unsubscribe link is not valid")
    consent_set(contact=contact, channel=channel, status=ConsentStatus.OPTED_OUT, changed_at=at or clock_now(),
                source=source)
    return contact
