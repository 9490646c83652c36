"""The iCal feed (RFC 5545) of a collector's calendar, and the per-user secret in its URL."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from arrears.worklist.models import CalendarToken
from arrears.worklist.selectors import CalendarEvent

PRODID = "-//Arrears//Collector calendar//EN"


def calendar_token_get_or_create(*, user: Any) -> CalendarToken:
    existing = CalendarToken.objects.filter(user=user).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return CalendarToken.objects.create(user=user, token=secrets.token_urlsafe(32))
    except IntegrityError:
        return CalendarToken.objects.get(user=user)


def calendar_token_reset(*, user: Any) -> CalendarToken:
    """A new secret: the old feed URL stops working."""
    token, _ = CalendarToken.objects.update_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
    return token


def ical_escape(text: str) -> str:
    """TEXT values: backslash, semicolon, comma and newlines escaped (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    )


def ical_fold(line: str) -> list[str]:
    """Lines longer than 75 octets are folded: CRLF then one space (RFC 5545 3.1), never inside a character."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return out


def ical_calendar(*, events: Iterable[CalendarEvent], name: str, stamp: dt.datetime, host: str = "arrears", base_url: str = "") -> str:
    """The VCALENDAR text with CRLF line endings; one all-day VEVENT per event."""
    utc = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(name)}",
    ]
    for e in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{e.uid}@{host}",
            f"DTSTAMP:{utc}",
            f"DTSTART;VALUE=DATE:{e.date:%Y%m%d}",
            f"DTEND;VALUE=DATE:{e.date + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{ical_escape(e.title)}",
            f"CATEGORIES:{e.kind.upper()}",
        ]
        if base_url:
            lines.append(f"URL:{base_url}{e.link}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in ical_fold(line))
