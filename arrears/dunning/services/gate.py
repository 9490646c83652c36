"""The compliance gate for a night's planned contacts: the vectorised kernel first, the full gate where it must.

Every customer contact a run plans (email, letter, SMS, and a call task as a phone call by a person)
passes the compliance gate; internal actions (escalation to the lead, agency or legal hand-over,
write-off proposal) reach no one and are recorded as ``not_a_contact``.

Two paths give the same answer (a test checks it against ``compliance_gate_many``):

- **batch** (most rows): customers with no contact history in the look-back window, no recorded
  channel consent or opt-out, no attorney and no dispute loader. For them a decision depends only on
  the profile, the channel, whether the contact has an address for it, and the time. One scalar
  decision per such *class* (profile, kind, channel, destination known) gives the static rules
  (TCPA, content, holds); ``rules.batch.gate_batch`` then checks the contact window in every
  candidate zone of every row at once. Allowed rows are allowed without a stored decision row.
- **full** (``compliance_gate_many``, one stored ``ComplianceDecision`` each): rows with any of
  the above facts, rows on a public holiday of a profile that blocks them, and every row the batch
  path blocks (so each blocked action points at a stored decision with its rule and reasons).

The planned time of a contact is the run date at ``DUNNING_SEND_TIME`` (default 12:00) in the
business unit's zone, moved later when needed to the moment the profile's contact window is open in
every candidate zone of the customer (e.g. 08:00 in Honolulu for a US consumer of unknown location).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import numpy as np
from django.conf import settings
from django.db import connection

from arrears.compliance.context import (
    _DISPUTE_SOURCES,
    history_days,
    policy_for_profile,
    profile_for_customer,
)
from arrears.compliance.rules import Address, Location, Policy, Profile, candidate_zones
from arrears.compliance.rules import Channel as RuleChannel
from arrears.compliance.rules.batch import HOLD, TIME, GateColumns, gate_batch
from arrears.compliance.services import compliance_gate_many
from arrears.dunning.models import GateResult

CONTACT_CHANNELS = {"email": "email", "letter": "letter", "sms": "sms", "call_task": "phone"}
SOURCE = "dunning run"
CHUNK = 5_000


@dataclasses.dataclass(frozen=True, slots=True)
class GateRows:
    """One planned message per row: the customer's id, the step's channel, the documents concerned."""

    customer_id: np.ndarray  # int64
    channel: Sequence[str]
    document_ids: Sequence[Sequence[int]]


@dataclasses.dataclass(slots=True)
class GateOutcome:
    result: list[str]  # GateResult values
    blocked_rule: list[str]
    decision_id: list[int | None]
    planned_at: list[dt.datetime | None]
    batch_rows: int = 0
    full_rows: int = 0


def _send_time() -> dt.time:
    return dt.time.fromisoformat(getattr(settings, "DUNNING_SEND_TIME", "12:00"))


def _fetch(sql: str, ids: list[int], extra: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run ``sql`` (with ``{ids}`` where the id list goes, then ``extra`` parameters) over all ids,
    in one query on PostgreSQL and in chunks on SQLite (its bound-parameter limit)."""
    out: list[tuple[Any, ...]] = []
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(sql.format(ids="= ANY(%s)"), [ids, *extra])
            return list(cur.fetchall())
        for i in range(0, len(ids), CHUNK):
            part = ids[i : i + CHUNK]
            cur.execute(sql.format(ids=f"IN ({', '.join(['%s'] * len(part))})"), [*part, *extra])
            out.extend(cur.fetchall())
    return out


@dataclasses.dataclass(slots=True)
class _CustomerFacts:
    customer: SimpleNamespace
    unit: SimpleNamespace
    contacts: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)  # primary first
    simple: bool = True


def _facts(customer_ids: list[int], since: dt.datetime) -> dict[int, _CustomerFacts]:
    rows = _fetch(
        "SELECT c.id, c.kind, c.jurisdiction, c.country, c.timezone, c.attorney_represented, c.paused, "
        "c.cease_communication, c.do_not_contact, c.bankruptcy, u.id, u.country, u.subdivision, u.timezone "
        "FROM ledger_customer c JOIN ledger_businessunit u ON u.id = c.business_unit_id WHERE c.id {ids}",
        customer_ids,
    )
    facts: dict[int, _CustomerFacts] = {}
    for cid, kind, jur, country, tz, atty, paused, cease, dnc, bk, uid, ucountry, usub, utz in rows:
        customer = SimpleNamespace(pk=cid, kind=kind, jurisdiction=jur, country=country, timezone=tz)
        unit = SimpleNamespace(pk=uid, country=ucountry, subdivision=usub, timezone=utz)
        # Holds the engine already applies still go the full way: the gate is the authority.
        simple = not (atty or paused or cease or dnc or bk) and not _DISPUTE_SOURCES
        facts[cid] = _CustomerFacts(customer, unit, simple=simple)
    for row in _fetch(
        "SELECT customer_id, id, email, phone, address_line1, city, postal_code, region, country, is_primary, name "
        "FROM ledger_contact WHERE customer_id {ids} ORDER BY customer_id, is_primary DESC, name, id",
        customer_ids,
    ):
        facts[row[0]].contacts.append(row[1:])
    for (cid,) in _fetch(
        "SELECT DISTINCT k.customer_id FROM ledger_channelconsent s JOIN ledger_contact k ON k.id = s.contact_id "
        "WHERE s.status <> 'unknown' AND k.customer_id {ids}",
        customer_ids,
    ):
        facts[cid].simple = False
    for (cid,) in _fetch(
        "SELECT DISTINCT customer_id FROM compliance_contactattempt WHERE customer_id {ids} AND at >= %s",
        customer_ids,
        [since],
    ):
        facts[cid].simple = False
    return facts


def _location(f: _CustomerFacts) -> Location:
    """The same location as `compliance.context._location` for the primary contact."""
    people = f.contacts if f.customer.kind == "consumer" else f.contacts[:1]
    addresses = tuple(
        Address(country=c[7].upper(), region=c[6].upper() if c[7].upper() == "US" else c[6], city=c[4], postal_code=c[5])
        for c in people
        if c[7]
    )
    if not addresses and f.customer.country:
        addresses = (Address(country=f.customer.country.upper()),)
    phones = tuple(dict.fromkeys(c[2] for c in people if c[2]))
    return Location(addresses=addresses, phones=phones, stated_time_zone=f.customer.timezone or "")


def _phone_key(number: str) -> tuple[str, int]:
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    return digits[:10], len(digits)


def _has_destination(f: _CustomerFacts, channel: str) -> bool:
    primary = f.contacts[0] if f.contacts else None
    if primary is None:
        return False
    if channel == "email":
        return bool(primary[1])
    if channel in ("sms", "phone"):
        return bool(primary[2])
    return any(primary[i] for i in (3, 4, 5, 7))


def _planned_at(as_of: dt.date, unit_tz: str, zones: tuple[str, ...], policy: Policy, channel: str) -> dt.datetime:
    when = dt.datetime.combine(as_of, _send_time(), tzinfo=ZoneInfo(unit_tz or "UTC"))
    window = policy.window
    if window is None or RuleChannel(channel) not in window.channels:
        return when.astimezone(dt.UTC)
    # the latest local opening among the candidate zones, on the local day of the send time
    opening = max(
        dt.datetime.combine(when.astimezone(ZoneInfo(z)).date(), window.start, tzinfo=ZoneInfo(z)) for z in zones
    )
    return max(when, opening).astimezone(dt.UTC)


def _holiday(policy: Policy, when: dt.datetime, zones: tuple[str, ...], country: str, subdivision: str) -> bool:
    if not (policy.block_public_holidays or policy.quiet_weekdays):
        return False
    days = {when.astimezone(ZoneInfo(z)).date() for z in zones}
    if any(d.weekday() in policy.quiet_weekdays for d in days):
        return True
    if not policy.block_public_holidays:
        return False
    calendar = _holidays(country or "GB", subdivision, tuple(sorted({d.year for d in days})))
    return calendar is None or any(d in calendar for d in days)  # unknown calendar: the full gate decides


@functools.lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str, years: tuple[int, ...]) -> frozenset[dt.date] | None:
    try:
        return frozenset(holidays_lib.country_holidays(country, subdiv=subdivision or None, years=years))
    except (NotImplementedError, KeyError):
        return None


def gate_messages(*, rows: GateRows, as_of: dt.date, record: bool) -> GateOutcome:
    n = len(rows.customer_id)
    out = GateOutcome(
        result=[GateResult.NOT_A_CONTACT.value] * n, blocked_rule=[""] * n, decision_id=[None] * n, planned_at=[None] * n
    )
    contact_rows = [i for i in range(n) if rows.channel[i] in CONTACT_CHANNELS]
    if not contact_rows:
        return out
    customer_ids = sorted({int(rows.customer_id[i]) for i in contact_rows})
    # the longest look-back of any profile: a customer with any attempt in it takes the full path
    lookback = max(history_days(policy_for_profile(p)) for p in Profile)
    begin = dt.datetime.combine(as_of, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=lookback + 1)
    facts = _facts(customer_ids, begin)

    policies: dict[Profile, Policy] = {}
    zone_cache: dict[Any, tuple[str, ...]] = {}
    profile_cache: dict[tuple[Any, ...], Profile] = {}
    time_cache: dict[tuple[Any, ...], tuple[dt.datetime, bool]] = {}
    full: list[int] = []
    batch: dict[Profile, list[int]] = defaultdict(list)
    zones_of: dict[int, tuple[str, ...]] = {}
    class_of: dict[int, tuple[Any, ...]] = {}
    for i in contact_rows:
        f = facts[int(rows.customer_id[i])]
        pkey = (f.customer.jurisdiction, f.customer.kind, f.customer.country, f.unit.country)
        if pkey not in profile_cache:
            profile_cache[pkey] = profile_for_customer(f.customer, f.unit)  # type: ignore[arg-type]
        profile = profile_cache[pkey]
        if profile not in policies:
            policies[profile] = policy_for_profile(profile)
        policy = policies[profile]
        channel = CONTACT_CHANNELS[rows.channel[i]]
        location = _location(f)
        # phonenumbers maps zones by the number's leading digits (at most 9 after the "+"): customers whose
        # numbers share them share the zones, so one lookup serves them all
        # and an address gives zones by its country (and state in the US) alone
        places = tuple((a.country, a.region if a.country == "US" else "", a.time_zone) for a in location.addresses)
        key = (places, tuple(_phone_key(p) for p in location.phones), location.stated_time_zone, profile)
        if key not in zone_cache:
            zone_cache[key] = candidate_zones(location, policy.default_zones)[0]
        zones = zone_cache[key]
        zones_of[i] = zones
        country = (f.customer.country or next((a.country for a in location.addresses), "") or f.unit.country).upper()
        subdivision = f.unit.subdivision if f.unit.country.upper() == country else ""
        tkey = (f.unit.timezone, zones, profile, channel, country, subdivision)
        if tkey not in time_cache:  # a handful of distinct keys a night: the zone arithmetic once each
            when = _planned_at(as_of, f.unit.timezone, zones, policy, channel)
            time_cache[tkey] = (when, _holiday(policy, when, zones, country, subdivision))
        when, holiday = time_cache[tkey]
        out.planned_at[i] = when
        if not f.simple or holiday:
            full.append(i)
            continue
        class_of[i] = (profile, f.customer.kind, channel, _has_destination(f, channel))
        batch[profile].append(i)

    # one full decision (not recorded) per class gives the rules that do not depend on the time
    representatives: dict[tuple[Any, ...], int] = {}
    for i, cls in class_of.items():
        representatives.setdefault(cls, i)
    static_block: dict[tuple[Any, ...], tuple[str, str]] = {}  # class -> (rule, gate result); ("", "") = none
    if representatives:
        reps = list(representatives.items())
        decisions = compliance_gate_many(items=[_item(rows, i, out.planned_at[i]) for _, i in reps], record=False)
        for (cls, _), decision in zip(reps, decisions, strict=True):
            policy = policies[cls[0]]
            time_rules = {policy.time_rule_id, "HOLIDAY"}
            stopping = [h for h in decision.result.hits
                        if h.outcome.value in ("BLOCK", "REVIEW") and h.rule_id not in time_rules]
            blocks = [h for h in stopping if h.outcome.value == "BLOCK"]
            if blocks:
                static_block[cls] = (blocks[0].rule_id, GateResult.BLOCKED.value)
            elif stopping:
                static_block[cls] = (stopping[0].rule_id, GateResult.REVIEW.value)
            else:
                static_block[cls] = ("", "")

    for profile, idx in batch.items():
        policy = policies[profile]
        sets: dict[tuple[str, ...], int] = {}
        zone_set = np.asarray([sets.setdefault(zones_of[i], len(sets)) for i in idx], dtype=np.int32)
        timed = np.asarray(
            [policy.window is not None and RuleChannel(CONTACT_CHANNELS[rows.channel[i]]) in policy.window.channels for i in idx],
            dtype=bool,
        )
        columns = GateColumns(
            at_s=np.asarray([int(out.planned_at[i].timestamp()) for i in idx], dtype=np.int64),  # type: ignore[union-attr]
            zone_set=zone_set,
            zone_sets=tuple(sets),
            is_call=np.asarray([CONTACT_CHANNELS[rows.channel[i]] == "phone" for i in idx], dtype=bool),
            calls_in_window=np.zeros(len(idx), dtype=np.int32),
            days_since_conversation=np.full(len(idx), -1, dtype=np.int32),
            hold=np.asarray([bool(static_block[class_of[i]][0]) for i in idx], dtype=bool),
        )
        reasons = gate_batch(columns, policy)
        reasons = np.where(timed, reasons, reasons & ~TIME)
        for i, reason in zip(idx, reasons.tolist(), strict=True):
            if reason & HOLD:
                # the class's own decision blocks every row of it whatever the time (e.g. TCPA: no
                # consent for automated SMS): recorded with that rule, no decision row per contact
                rule, result = static_block[class_of[i]]
                out.result[i] = result
                out.blocked_rule[i] = rule[:40]
                out.batch_rows += 1
            elif reason & TIME:
                full.append(i)
            else:
                out.result[i] = GateResult.ALLOWED.value
                out.batch_rows += 1

    full.sort()
    out.full_rows = len(full)
    if full:
        decisions = compliance_gate_many(items=[_item(rows, i, out.planned_at[i]) for i in full], record=record)
        for i, decision in zip(full, decisions, strict=True):
            out.decision_id[i] = decision.pk
            if decision.allowed:
                out.result[i] = GateResult.ALLOWED.value
            else:
                out.result[i] = GateResult.REVIEW.value if decision.outcome == "REVIEW" else GateResult.BLOCKED.value
                rules = list(decision.blocking_rules) or [
                    h.rule_id for h in decision.result.hits if h.outcome.value in ("BLOCK", "REVIEW")
                ]
                out.blocked_rule[i] = (rules[0] if rules else decision.outcome)[:40]
    return out


def _item(rows: GateRows, i: int, when: dt.datetime | None) -> dict[str, Any]:
    channel = CONTACT_CHANNELS[rows.channel[i]]
    return {
        "customer": int(rows.customer_id[i]),
        "channel": channel,
        "when": when,
        # a call task is a call a collector makes; the other channels go out automatically
        "initiated_by": "manual" if channel == "phone" else "automatic",
        "debt_ids": [int(d) for d in rows.document_ids[i]],
        "source": SOURCE,
    }
