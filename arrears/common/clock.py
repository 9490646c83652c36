"""The one place business dates come from. Tests freeze time with time-machine."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def today(tz: str | None = None) -> dt.date:
    """Today's business date in the company's time zone (or the given one)."""
    zone = ZoneInfo(tz or settings.TIME_ZONE)
    return timezone.now().astimezone(zone).date()
