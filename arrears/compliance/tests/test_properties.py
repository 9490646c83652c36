"""Property tests: ambiguous locations, DST, next_allowed_at, the vectorised kernel, monotone caps."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.compliance.rules import (
    Address,
    Channel,
    ContactRecord,
    Direction,
    Location,
    Outcome,
    Profile,
    evaluate,
    policy_for,
)
from arrears.compliance.rules.batch import FREQ_7_IN_7, FREQ_POST_CONVERSATION, TIME, gate_batch, gate_columns

from .builders import call, context

US = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
      "America/Anchorage", "Pacific/Honolulu"]
YEAR_2025 = st.integers(
    min_value=int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp()) // 60,
    max_value=int(dt.datetime(2025, 12, 31, tzinfo=dt.UTC).timestamp()) // 60,
).map(lambda minute: dt.datetime.fromtimestamp(minute * 60, tz=dt.UTC))
ZONE_SETS = st.lists(st.sampled_from(US), min_size=1, max_size=4, unique=True).map(tuple)


def at_zones(zones: tuple[str, ...]) -> Location:
    return Location(addresses=tuple(Address("US", time_zone=z) for z in zones))


def time_blocked(at: dt.datetime, zones: tuple[str, ...]) -> bool:
    decision = evaluate(call(at), context(zone=None, location=at_zones(zones)))
    return "US-TIME" in decision.blocking_rule_ids


@settings(max_examples=60, deadline=None)
@given(at=YEAR_2025, zones=ZONE_SETS, data=st.data())
def test_blocked_in_one_plausible_zone_is_blocked_overall(at, zones, data):
    one = data.draw(st.sampled_from(zones))
    if time_blocked(at, (one,)):
        assert time_blocked(at, zones)
    assert time_blocked(at, zones) == any(time_blocked(at, (z,)) for z in zones)


# An independent reference for 2025: standard offsets and the US DST rule (second Sunday of March,
# first Sunday of November, at 02:00 local), no zoneinfo involved.
STANDARD_HOURS = {"America/New_York": -5, "America/Chicago": -6, "America/Denver": -7, "America/Los_Angeles": -8}
DST_START_LOCAL = dt.datetime(2025, 3, 9, 2)
DST_END_LOCAL = dt.datetime(2025, 11, 2, 2)


def reference_local(at: dt.datetime, zone: str) -> dt.datetime:
    standard = STANDARD_HOURS[zone]
    naive = at.astimezone(dt.UTC).replace(tzinfo=None)
    starts = DST_START_LOCAL - dt.timedelta(hours=standard)  # 02:00 standard time, in UTC
    ends = DST_END_LOCAL - dt.timedelta(hours=standard + 1)  # 02:00 daylight time, in UTC
    offset = standard + 1 if starts <= naive < ends else standard
    return naive + dt.timedelta(hours=offset)


NEAR_DST = st.sampled_from([dt.datetime(2025, 3, 9, 12, tzinfo=dt.UTC), dt.datetime(2025, 11, 2, 12, tzinfo=dt.UTC)]).flatmap(
    lambda centre: st.integers(min_value=-72 * 60, max_value=72 * 60).map(lambda m: centre + dt.timedelta(minutes=m))
)


@settings(max_examples=120, deadline=None)
@given(at=NEAR_DST, zone=st.sampled_from(sorted(STANDARD_HOURS)))
def test_contact_hours_follow_local_time_across_dst_changes(at, zone):
    local = reference_local(at, zone)
    expected_allowed = 8 <= local.hour < 21
    assert time_blocked(at, (zone,)) == (not expected_allowed), local


@settings(max_examples=40, deadline=None)
@given(at=YEAR_2025, zones=ZONE_SETS)
def test_next_allowed_at_is_the_earliest_allowed_minute(at, zones):
    decision = evaluate(call(at), context(zone=None, location=at_zones(zones)))
    if decision.outcome != Outcome.BLOCK:
        return
    after = decision.next_allowed_at
    assert after is not None
    assert after > at
    assert not time_blocked(after, zones)
    assert time_blocked(after - dt.timedelta(minutes=1), zones)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(YEAR_2025, ZONE_SETS, st.integers(0, 9), st.integers(-1, 10)), min_size=1, max_size=10
    )
)
def test_vectorised_gate_matches_evaluate(rows):
    """The kernel's bits equal the scalar rules: time over the whole zone set; 7-in-7 and the
    post-conversation window from the same call log (in one zone, so the local dates agree)."""
    policy = policy_for(Profile.US_CONSUMER)
    time_mask = gate_batch(
        gate_columns(
            at=[r[0] for r in rows], zone_sets_per_row=[r[1] for r in rows], is_call=[True] * len(rows),
            calls_in_window=[0] * len(rows), days_since_conversation=[-1] * len(rows), hold=[False] * len(rows),
        ),
        policy,
    )
    freq_mask = gate_batch(
        gate_columns(
            at=[r[0] for r in rows], zone_sets_per_row=[r[1][:1] for r in rows], is_call=[True] * len(rows),
            calls_in_window=[r[2] for r in rows], days_since_conversation=[r[3] for r in rows],
            hold=[False] * len(rows),
        ),
        policy,
    )
    for (at, zones, calls, since), time_bits, freq_bits in zip(rows, time_mask, freq_mask, strict=True):
        assert bool(time_bits & TIME) == time_blocked(at, zones)
        assert not time_bits & (FREQ_7_IN_7 | FREQ_POST_CONVERSATION)
        zone = zones[0]
        today = at.astimezone(ZoneInfo(zone)).date()
        history = [
            ContactRecord(at=_local_noon(today - dt.timedelta(days=i % 7), zone), channel=Channel.PHONE, debt_ids=("D1",))
            for i in range(calls)
        ]
        if since >= 0:  # an inbound conversation: starts the window, does not count as a placed call
            history.append(ContactRecord(at=_local_noon(today - dt.timedelta(days=since), zone), channel=Channel.PHONE,
                                         debt_ids=("D1",), direction=Direction.INBOUND, conversation=True))
        (hit,) = evaluate(call(at), context(zone=None, location=at_zones((zone,)), history=tuple(history))).hits_for("US-FREQ")
        assert bool(freq_bits & (FREQ_7_IN_7 | FREQ_POST_CONVERSATION)) == (hit.outcome == Outcome.BLOCK)
        assert bool(freq_bits & FREQ_7_IN_7) == (hit.inputs[f"calls_in_window[{zone}]"] >= 7)
        assert bool(freq_bits & FREQ_POST_CONVERSATION) == ("last_conversation" in hit.inputs)


def _local_noon(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo(zone))


@settings(max_examples=30, deadline=None)
@given(days=st.lists(st.integers(0, 13), max_size=10), extra=st.integers(0, 13), hour=st.integers(9, 19))
def test_more_call_history_never_unblocks_a_call(days, extra, hour):
    base = dt.date(2025, 6, 1)

    def history(ds):
        return tuple(
            ContactRecord(at=_local_noon(base + dt.timedelta(days=d), "America/New_York"), channel=Channel.PHONE,
                          debt_ids=("D1",))
            for d in ds
        )

    proposed = call(dt.datetime(2025, 6, 14, hour, tzinfo=ZoneInfo("America/New_York")))
    before = evaluate(proposed, context(history=history(days)))
    after = evaluate(proposed, context(history=history([*days, extra])))
    if "US-FREQ" in before.blocking_rule_ids:
        assert "US-FREQ" in after.blocking_rule_ids


@settings(max_examples=30, deadline=None)
@given(at=YEAR_2025, zones=ZONE_SETS, calls=st.integers(0, 8))
def test_decisions_are_json_serialisable(at, zones, calls):
    history = tuple(
        ContactRecord(at=at - dt.timedelta(hours=20 * i + 1), channel=Channel.PHONE, debt_ids=("D1",), conversation=i == 3)
        for i in range(calls)
    )
    decision = evaluate(call(at), context(zone=None, location=at_zones(zones), history=history))
    payload = json.loads(json.dumps(decision.to_dict()))
    assert payload["outcome"] == decision.outcome.value
    assert payload["blocking_rule_ids"] == list(decision.blocking_rule_ids)
    assert len(payload["hits"]) == len(decision.hits)
    assert np.all([isinstance(h["inputs"], dict) for h in payload["hits"]])
