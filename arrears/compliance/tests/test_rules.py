"""Behaviour beyond the reference table: zones, configuration, holidays, holds, input errors, purity."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from arrears.compliance.rules import (
    Address,
    AttorneyRepresentation,
    Bankruptcy,
    Channel,
    ComplianceInputError,
    ContactRecord,
    Debt,
    Location,
    Outcome,
    PlannedContact,
    Profile,
    Purpose,
    candidate_zones,
    evaluate,
    evaluate_many,
    phone_zones,
    policy_for,
    policy_from_dict,
)
from arrears.compliance.rules.serialization import request_from_dict

from .builders import IST, LONDON, NY, assert_decision, call, calls_on, context, local, message, utc

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


def test_rules_package_never_imports_django():
    for path in RULES_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("django", "rest_framework", "arrears")), f"{path.name} imports {name}"


@pytest.mark.parametrize(
    ("number", "zones"),
    [
        ("+18505550143", {"America/New_York", "America/Chicago"}),
        ("+19285550143", {"America/Phoenix", "America/Denver"}),
        ("+16055550143", {"America/Chicago", "America/Denver"}),
        ("+12125550143", {"America/New_York"}),
        ("+18005550143", set()),  # toll-free: no location information
        ("not a number", set()),
    ],
)
def test_phone_numbers_give_every_zone_their_area_code_spans(number, zones):
    assert set(phone_zones(number)) >= zones
    if not zones:
        assert phone_zones(number) == ()


def test_confirmed_location_replaces_inferred_zones():
    location = Location(addresses=(Address("US", "CA"),), phones=("+12125550143",), confirmed_time_zone="America/Chicago")
    assert candidate_zones(location, ()) == (("America/Chicago",), "confirmed")
    unconfirmed = Location(addresses=(Address("US", "CA"),), phones=("+12125550143",))
    assert set(candidate_zones(unconfirmed, ())[0]) == {"America/Los_Angeles", "America/New_York"}


def test_split_state_address_needs_every_zone_of_the_state():
    # Florida spans Eastern and Central: 07:30 CDT blocks although it is 08:30 EDT.
    ctx = context(zone=None, location=Location(addresses=(Address("US", "FL"),)))
    assert_decision(evaluate(call(utc("2025-09-15T12:30Z")), ctx), Outcome.BLOCK, blocked_by="US-TIME")


def test_configured_sms_cap_blocks_the_next_text_until_the_window_clears():
    policy = policy_from_dict("us_consumer", {"channel_caps": [{"rule_id": "US-FREQ", "channels": ["sms"], "max_count": 1, "days": 7}]})
    texts = tuple(
        ContactRecord(at=local(NY, 2025, 6, 2), channel=Channel.SMS, debt_ids=("D1",)) for _ in range(1)
    )
    sms = message(Channel.SMS, local(NY, 2025, 6, 5, 10), destination="+12125550143", initiated_by="manual")
    decision = evaluate(sms, context(history=texts), policy)
    assert_decision(decision, Outcome.BLOCK, blocked_by="US-FREQ", next_allowed=local(NY, 2025, 6, 9, 8))
    assert evaluate(sms, context(history=texts)).allowed  # default cap is 3 per 7 days


@pytest.mark.parametrize(
    ("overrides", "message_part"),
    [
        ({"colour": "red"}, "policy.colour: unknown setting"),
        ({"window": {"start": "21:00", "end": "08:00"}}, "must be before end"),
        ({"window": {"start": "8am", "end": "21:00"}}, "policy.window.start: expected HH:MM"),
        ({"channel_caps": [{"channels": ["fax"], "max_count": 1, "days": 7}]}, "policy.channel_caps[0].channels"),
        ({"channel_caps": [{"channels": ["sms"], "days": 7}]}, "missing 'max_count'"),
        ({"attorney_no_response_days": "30"}, "expected int"),
    ],
)
def test_bad_policy_configuration_is_refused_with_the_setting_named(overrides, message_part):
    with pytest.raises(ComplianceInputError, match=re.escape(message_part)):
        policy_from_dict("us_consumer", overrides)


def test_uk_profile_blocks_bank_holidays_and_points_to_the_next_working_morning():
    ctx = context(profile=Profile.UK, zone=LONDON)
    christmas = call(local(LONDON, 2025, 12, 25, 11))
    decision = evaluate(christmas, ctx)
    assert_decision(decision, Outcome.BLOCK, blocked_by="HOLIDAY")
    # 26 Dec is Boxing Day, also a bank holiday in England.
    assert decision.next_allowed_at == local(LONDON, 2025, 12, 27, 8).astimezone(dt.UTC)
    no_holidays = policy_for(Profile.UK).replace(block_public_holidays=False)
    assert evaluate(christmas, ctx, no_holidays).allowed


def test_india_caps_call_attempts_per_day_and_after_a_conversation():
    three = tuple(
        ContactRecord(at=local(IST, 2025, 6, 10, h), channel=Channel.PHONE, debt_ids=("L1",)) for h in (9, 10, 11)
    )
    ctx = context(profile=Profile.IN, zone=IST, history=three)
    assert_decision(evaluate(call(local(IST, 2025, 6, 10, 15), "L1"), ctx), Outcome.BLOCK, blocked_by="RBI")
    talked = (
        ContactRecord(at=local(IST, 2025, 6, 10, 9), channel=Channel.PHONE, debt_ids=("L1",), conversation=True),
        ContactRecord(at=local(IST, 2025, 6, 10, 12), channel=Channel.PHONE, debt_ids=("L1",)),
    )
    ctx = context(profile=Profile.IN, zone=IST, history=talked)
    assert_decision(evaluate(call(local(IST, 2025, 6, 10, 15), "L1"), ctx), Outcome.BLOCK, blocked_by="RBI")
    assert evaluate(call(local(IST, 2025, 6, 11, 10), "L1"), ctx).allowed


def test_attorney_silence_routes_to_review_not_automatic_resumption():
    attorney = AttorneyRepresentation(known_on=dt.date(2025, 4, 1), attorney_contacted_on=dt.date(2025, 4, 2))
    ctx = context(attorney=attorney)
    assert_decision(evaluate(call(local(NY, 2025, 4, 20)), ctx), Outcome.BLOCK, blocked_by="US-ATTY")
    decision = evaluate(call(local(NY, 2025, 5, 10)), ctx)
    assert decision.outcome == Outcome.REVIEW
    assert decision.review_rule_ids == ("US-ATTY",)


def test_bankruptcy_without_a_verified_date_blocks_and_post_petition_debts_are_free():
    assert_decision(evaluate(call(local(NY, 2025, 6, 5)), context(bankruptcy=Bankruptcy(petition_date=None))),
                    Outcome.BLOCK, blocked_by="US-BK")
    ctx = context(bankruptcy=Bankruptcy(petition_date=dt.date(2025, 6, 1), chapter=7),
                  debts=(Debt("D9", incurred_on=dt.date(2025, 6, 3)),))
    assert evaluate(call(local(NY, 2025, 6, 5), "D9"), ctx).allowed
    legal = message(Channel.LETTER, local(NY, 2025, 6, 5), purpose=Purpose.LEGAL_WORKFLOW)
    assert evaluate(legal, context(bankruptcy=Bankruptcy(petition_date=dt.date(2025, 6, 1)))).outcome == Outcome.REVIEW


def test_uk_vulnerable_customer_pauses_automated_contact():
    ctx = context(profile=Profile.UK, zone=LONDON, vulnerable=True)
    assert evaluate(call(local(LONDON, 2025, 6, 10, 11)), ctx).outcome == Outcome.REVIEW
    manual = call(local(LONDON, 2025, 6, 10, 11), initiated_by="manual")
    assert evaluate(manual, ctx).outcome == Outcome.ALLOW_WITH_FLAG


def test_do_not_contact_blocks_every_channel_in_every_profile():
    for profile, zone in ((Profile.US_CONSUMER, NY), (Profile.UK, LONDON), (Profile.IN, IST)):
        for channel in (Channel.PHONE, Channel.EMAIL, Channel.LETTER):
            decision = evaluate(message(channel, local(zone, 2025, 6, 10, 11)), context(profile=profile, zone=zone, do_not_contact=True))
            assert "HOLD-DNC" in decision.blocking_rule_ids


def test_seven_in_seven_blocks_until_the_window_holds_six_then_the_morning():
    decision = evaluate(call(local(NY, 2025, 6, 8, 15)), context(history=calls_on(NY, 6, [2, 3, 4, 5, 6, 7, 8])))
    hit = decision.hits_for("US-FREQ")[0]
    assert hit.code == "FREQ_7_IN_7"
    assert hit.next_allowed_at == local(NY, 2025, 6, 9, 0)
    assert decision.next_allowed_at == local(NY, 2025, 6, 9, 8)


def test_calls_to_the_debtors_attorney_are_outside_the_call_count():
    to_attorney = call(local(NY, 2025, 6, 8, 15), recipient="attorney")
    assert evaluate(to_attorney, context(history=calls_on(NY, 6, [2, 3, 4, 5, 6, 7, 8]))).hits_for("US-FREQ") == ()


def test_evaluate_many_matches_evaluate_and_checks_lengths():
    contacts = [call(utc("2025-01-15T12:55Z")), call(utc("2025-01-15T13:05Z"))]
    ctx = context()
    assert [d.outcome for d in evaluate_many(contacts, ctx)] == [Outcome.BLOCK, Outcome.ALLOW]
    assert evaluate_many(contacts, [ctx, ctx]) == [evaluate(c, ctx) for c in contacts]
    with pytest.raises(ComplianceInputError, match="2 contacts but 1 contexts"):
        evaluate_many(contacts, [ctx])


def test_naive_datetimes_and_missing_fields_are_refused():
    with pytest.raises(ComplianceInputError, match=r"contact\.at: datetime must be timezone-aware"):
        PlannedContact(at=dt.datetime(2025, 1, 1, 9), debt_ids=("D1",), channel=Channel.PHONE)
    with pytest.raises(ComplianceInputError, match=r"contact\.channel: required"):
        PlannedContact(at=utc("2025-01-01T09:00Z"), debt_ids=("D1",))


def test_json_request_evaluates_like_the_dataclasses():
    request = {
        "contact": {"at": "2025-02-04T15:30:00Z", "channel": "phone", "debt_ids": ["D1"]},
        "context": {
            "profile": "us_consumer",
            "location": {"addresses": [{"country": "US", "region": "CA"}], "phones": ["+12125550143"]},
        },
    }
    contact, ctx, policy = request_from_dict(json.loads(json.dumps(request)))
    decision = evaluate(contact, ctx, policy)
    assert decision.to_dict()["next_allowed_at"] == "2025-02-04T16:00:00Z"
    assert decision.blocking_rule_ids == ("US-TIME",)
    with pytest.raises(ComplianceInputError, match=r"context\.history\[0\]\.channel: 'fax' is not one of"):
        request_from_dict({**request, "context": {**request["context"], "history": [
            {"at": "2025-02-01T10:00:00Z", "channel": "fax", "debt_ids": ["D1"]}]}})
    with pytest.raises(ComplianceInputError, match=r"amounts as strings"):
        request_from_dict({**request, "context": {**request["context"], "debts": [{"debt_id": "D1", "balance": 1.5}]}})


def test_policy_must_match_the_context_profile():
    with pytest.raises(ComplianceInputError, match="does not match"):
        evaluate(call(utc("2025-01-15T13:05Z")), context(), policy_for(Profile.UK))
