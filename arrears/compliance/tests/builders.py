"""Small builders for planned contacts and contexts in tests (table conventions of COMPLIANCE.md §8)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from arrears.compliance.rules import (
    Address,
    Channel,
    ContactContext,
    ContactRecord,
    Decision,
    Location,
    Outcome,
    PlannedContact,
    Profile,
)

NY = "America/New_York"
LA = "America/Los_Angeles"
CHI = "America/Chicago"
DEN = "America/Denver"
PHX = "America/Phoenix"
HNL = "Pacific/Honolulu"
IST = "Asia/Kolkata"
LONDON = "Europe/London"

_REGION = {NY: "NY", LA: "CA", CHI: "IL", DEN: "CO", PHX: "AZ", HNL: "HI"}


def utc(text: str) -> dt.datetime:
    """'2025-01-15T13:05Z' -> aware UTC datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def local(zone: str, year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def located_in(zone: str) -> Location:
    """A geocoded address in `zone` (the table's "NY", "PHX", ...)."""
    if zone == IST:
        return Location(addresses=(Address("IN", time_zone=IST),))
    if zone == LONDON:
        return Location(addresses=(Address("GB", time_zone=LONDON),))
    return Location(addresses=(Address("US", _REGION[zone], time_zone=zone),))


def context(profile: Profile = Profile.US_CONSUMER, zone: str | None = NY, **kwargs: object) -> ContactContext:
    if "location" not in kwargs and zone is not None:
        kwargs["location"] = located_in(zone)
    return ContactContext(profile=profile, **kwargs)  # type: ignore[arg-type]


def call(at: dt.datetime, *debts: str, **kwargs: object) -> PlannedContact:
    return PlannedContact(at=at, debt_ids=debts or ("D1",), channel=Channel.PHONE, **kwargs)  # type: ignore[arg-type]


def message(channel: Channel, at: dt.datetime, *debts: str, **kwargs: object) -> PlannedContact:
    return PlannedContact(at=at, debt_ids=debts or ("D1",), channel=channel, **kwargs)  # type: ignore[arg-type]


def calls_on(zone: str, month: int, days: list[int], *debts: str, **kwargs: object) -> tuple[ContactRecord, ...]:
    """One outbound call at local noon on each listed 2025 date."""
    return tuple(
        ContactRecord(at=local(zone, 2025, month, d), channel=Channel.PHONE, debt_ids=debts or ("D1",), **kwargs)  # type: ignore[arg-type]
        for d in days
    )


def assert_decision(
    decision: Decision,
    outcome: Outcome,
    *,
    blocked_by: str | None = None,
    next_allowed: dt.datetime | None = None,
) -> None:
    detail = [h.to_dict() for h in decision.hits if h.outcome != Outcome.ALLOW]
    assert decision.outcome == outcome, detail
    if blocked_by is not None:
        assert blocked_by in decision.blocking_rule_ids, decision.blocking_rule_ids
    if outcome == Outcome.BLOCK and blocked_by is not None:
        assert decision.allowed is False
    if next_allowed is not None:
        assert decision.next_allowed_at == next_allowed, (decision.next_allowed_at, next_allowed)
