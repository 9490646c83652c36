"""COMPLIANCE.md §8: every test case TC01-TC64, built from the table's inputs.

Table conventions: actor = third-party collector, consumer debt, every other check passes, TCPA
consent on file for automated modes; 7-in-7 dates are consumer-local 2025 dates, one connected
outbound call per listed date (here: at local noon), no conversations unless stated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from arrears.compliance.rules import (
    Action,
    ActorType,
    Address,
    AttorneyRepresentation,
    Bankruptcy,
    BreathingSpace,
    BreathingSpaceKind,
    CallConsent,
    CallOutcome,
    CeaseNotice,
    Channel,
    ContactRecord,
    Content,
    Debt,
    DebtPurpose,
    DialMode,
    Direction,
    Dispute,
    DisputeKind,
    ElectronicOptOut,
    FeeKind,
    LocalWindow,
    Location,
    MediumOptOut,
    NumberType,
    Outcome,
    PlannedContact,
    Profile,
    Purpose,
    RecipientKind,
    TcpaConsent,
    TcpaRevocation,
    TimeConsent,
    evaluate,
    policy_for,
    validation_period_end,
)
from arrears.compliance.rules.gdpr import ErasureOutcome, access_request_due, erasure_plan
from arrears.compliance.rules.late_payment import late_payment_claim

from .builders import (
    CHI,
    DEN,
    HNL,
    IST,
    LA,
    LONDON,
    NY,
    PHX,
    assert_decision,
    call,
    calls_on,
    context,
    local,
    message,
    utc,
)

CASES: dict[str, Callable[[], None]] = {}

ALLOW, FLAG, REVIEW, BLOCK = Outcome.ALLOW, Outcome.ALLOW_WITH_FLAG, Outcome.REVIEW, Outcome.BLOCK


def case(tc: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(fn: Callable[[], None]) -> Callable[[], None]:
        assert tc not in CASES
        CASES[tc] = fn
        return fn

    return register


def time_case(zone: str | None, at: str, outcome: Outcome, next_at: str | None = None, **ctx_kwargs: object) -> None:
    decision = evaluate(call(utc(at)), context(zone=zone, **ctx_kwargs))
    assert_decision(
        decision, outcome, blocked_by="US-TIME" if outcome == BLOCK else None,
        next_allowed=utc(next_at) if next_at else None,
    )


# --- US-TIME ------------------------------------------------------------------------------------------


@case("TC01")
def _() -> None:
    time_case(NY, "2025-01-15T13:05Z", ALLOW)


@case("TC02")
def _() -> None:
    time_case(NY, "2025-01-15T12:55Z", BLOCK, next_at="2025-01-15T13:00Z")


@case("TC03")
def _() -> None:
    time_case(LA, "2025-07-10T04:30Z", BLOCK)


@case("TC04")
def _() -> None:
    time_case(NY, "2025-03-08T12:30Z", BLOCK)


@case("TC05")
def _() -> None:
    time_case(NY, "2025-03-09T12:30Z", ALLOW)


@case("TC06")
def _() -> None:
    time_case(NY, "2025-11-02T01:30Z", BLOCK)


@case("TC07")
def _() -> None:
    time_case(NY, "2025-11-03T01:30Z", ALLOW)


@case("TC08")
def _() -> None:
    time_case(PHX, "2025-07-01T14:30Z", BLOCK)


@case("TC09")
def _() -> None:
    time_case(DEN, "2025-07-01T14:30Z", ALLOW)


AMBIGUOUS = Location(addresses=(Address("US", "CA", city="Los Angeles"),), phones=("+12125550143",))


@case("TC10")
def _() -> None:
    time_case(None, "2025-02-04T15:30Z", BLOCK, next_at="2025-02-04T16:00Z", location=AMBIGUOUS)


@case("TC11")
def _() -> None:
    time_case(None, "2025-02-04T17:00Z", ALLOW, location=AMBIGUOUS)


@case("TC12")
def _() -> None:
    time_case(None, "2025-02-05T02:00Z", BLOCK, location=AMBIGUOUS)


@case("TC13")
def _() -> None:
    time_case(None, "2025-09-15T12:30Z", BLOCK, next_at="2025-09-15T13:00Z", location=Location(phones=("+18505550143",)))


@case("TC14")
def _() -> None:
    time_case(None, "2025-09-16T01:30Z", BLOCK, location=Location(phones=("+18505550143",)))


@case("TC15")
def _() -> None:
    location = Location(phones=("+19285550143",))
    time_case(None, "2025-07-01T14:30Z", BLOCK, location=location)
    hit = evaluate(call(utc("2025-07-01T14:30Z")), context(zone=None, location=location)).hits_for("US-TIME")[0]
    assert set(hit.inputs["zones"]) == {PHX, DEN}
    assert "America/Phoenix: 07:30" in hit.message


@case("TC16")
def _() -> None:
    time_case(HNL, "2025-06-10T18:00Z", ALLOW)


@case("TC17")
def _() -> None:
    time_case(HNL, "2025-06-11T07:00Z", BLOCK)


@case("TC18")
def _() -> None:
    time_case(None, "2025-01-15T17:30Z", BLOCK, next_at="2025-01-15T18:00Z", location=Location(phones=("+18005550143",)))
    time_case(None, "2025-01-15T17:30Z", BLOCK, next_at="2025-01-15T18:00Z")


@case("TC19")
def _() -> None:
    time_case(NY, "2025-04-08T13:15Z", BLOCK, inconvenient_windows=(LocalWindow(dt.time(0), dt.time(10)),))


@case("TC20")
def _() -> None:
    consent = TimeConsent(starts_at=local(CHI, 2025, 4, 8, 7, 30), ends_at=local(CHI, 2025, 4, 8, 7, 30))
    decision = evaluate(call(utc("2025-04-08T12:30Z")), context(zone=CHI, time_consents=(consent,)))
    assert_decision(decision, ALLOW)
    assert decision.hits_for("US-TIME")[0].code == "DIRECT_PRIOR_CONSENT"


@case("TC21")
def _() -> None:
    decision = evaluate(message(Channel.EMAIL, utc("2025-04-08T12:00Z")), context(zone=DEN))
    assert_decision(decision, BLOCK, blocked_by="US-TIME", next_allowed=utc("2025-04-08T14:00Z"))


# --- US-FREQ ------------------------------------------------------------------------------------------


def freq(history: tuple[ContactRecord, ...], proposed: PlannedContact, outcome: Outcome, **kwargs: object) -> None:
    decision = evaluate(proposed, context(zone=NY, history=history, **kwargs))
    assert_decision(decision, outcome, blocked_by="US-FREQ" if outcome == BLOCK else None)


@case("TC22")
def _() -> None:
    freq(calls_on(NY, 6, [2, 3, 4, 5, 6, 7]), call(local(NY, 2025, 6, 8, 14)), ALLOW)


@case("TC23")
def _() -> None:
    freq(calls_on(NY, 6, [2, 3, 4, 5, 6, 7, 8]), call(local(NY, 2025, 6, 8, 15)), BLOCK)


@case("TC24")
def _() -> None:
    freq(calls_on(NY, 6, [2, 3, 4, 5, 6, 7, 8]), call(local(NY, 2025, 6, 9, 12)), ALLOW)


CONVERSATION_JUN_4 = calls_on(NY, 6, [4], conversation=True)


@case("TC25")
def _() -> None:
    decision = evaluate(call(local(NY, 2025, 6, 10, 12)), context(zone=NY, history=CONVERSATION_JUN_4))
    assert_decision(decision, BLOCK, blocked_by="US-FREQ", next_allowed=local(NY, 2025, 6, 11, 8))
    hit = decision.hits_for("US-FREQ")[0]
    assert hit.code == "FREQ_POST_CONVERSATION"
    assert hit.next_allowed_at == local(NY, 2025, 6, 11, 0)


@case("TC26")
def _() -> None:
    freq(CONVERSATION_JUN_4, call(local(NY, 2025, 6, 11, 12)), ALLOW)


@case("TC27")
def _() -> None:
    inbound = calls_on(NY, 6, [4], direction=Direction.INBOUND, conversation=True)
    freq(inbound, call(local(NY, 2025, 6, 6, 12)), BLOCK)


SEVEN_D1_CALLS = calls_on(NY, 6, [2, 3, 4, 5, 6, 7, 8], "D1")


@case("TC28")
def _() -> None:
    freq(SEVEN_D1_CALLS, call(local(NY, 2025, 6, 8, 15), "D2"), ALLOW)


@case("TC29")
def _() -> None:
    decision = evaluate(call(local(NY, 2025, 6, 8, 15), "D1", "D2"), context(zone=NY, history=SEVEN_D1_CALLS))
    assert_decision(decision, BLOCK, blocked_by="US-FREQ")
    by_debt = {h.inputs["debt_id"]: h.outcome for h in decision.hits_for("US-FREQ")}
    assert by_debt == {"D1": BLOCK, "D2": ALLOW}


@case("TC30")
def _() -> None:
    def history(jun5: CallOutcome) -> tuple[ContactRecord, ...]:
        return tuple(
            ContactRecord(at=r.at, channel=r.channel, debt_ids=r.debt_ids, outcome=jun5 if r.at.day == 5 else r.outcome)
            for r in calls_on(NY, 6, [2, 3, 4, 5, 6, 7, 8])
        )

    freq(history(CallOutcome.NOT_CONNECTED), call(local(NY, 2025, 6, 8, 15)), ALLOW)
    freq(history(CallOutcome.VOICEMAIL), call(local(NY, 2025, 6, 8, 15)), BLOCK)


@case("TC31")
def _() -> None:
    conversation = calls_on(NY, 6, [5], conversation=True)
    consent = CallConsent(given_at=local(NY, 2025, 6, 5, 12, 5))
    freq(conversation, call(local(NY, 2025, 6, 6, 12)), ALLOW, call_consents=(consent,))
    freq(conversation, call(local(NY, 2025, 6, 6, 12)), BLOCK)  # without the consent


# --- US-CEASE, US-MEDIUM, US-ELEC --------------------------------------------------------------------

CEASE = (CeaseNotice(received_on=dt.date(2025, 6, 3)),)


@case("TC32")
def _() -> None:
    assert_decision(evaluate(call(local(NY, 2025, 6, 10)), context(cease_notices=CEASE)), BLOCK, blocked_by="US-CEASE")


@case("TC33")
def _() -> None:
    at = local(NY, 2025, 6, 10)
    ending = message(Channel.LETTER, at, purpose=Purpose.TERMINATION_NOTICE)
    reminder = message(Channel.LETTER, at, purpose=Purpose.COLLECTION)
    assert_decision(evaluate(ending, context(cease_notices=CEASE)), ALLOW)
    assert_decision(evaluate(reminder, context(cease_notices=CEASE)), BLOCK, blocked_by="US-CEASE")


@case("TC34")
def _() -> None:
    ctx = context(medium_opt_outs=(MediumOptOut(Channel.PHONE, at=local(NY, 2025, 6, 5)),))
    assert_decision(evaluate(call(local(NY, 2025, 6, 6)), ctx), BLOCK, blocked_by="US-MEDIUM")
    assert_decision(evaluate(message(Channel.LETTER, local(NY, 2025, 6, 6)), ctx), ALLOW)


MOBILE = "+12125550143"
SMS_CONSENT = (TcpaConsent(MOBILE, given_at=local(NY, 2025, 1, 2)),)


@case("TC35")
def _() -> None:
    ctx = context(
        electronic_opt_outs=(ElectronicOptOut(Channel.SMS, MOBILE, at=local(NY, 2025, 6, 5, 10)),),
        tcpa_consents=SMS_CONSENT,
    )
    sms = message(Channel.SMS, local(NY, 2025, 6, 6, 10), destination=MOBILE, number_type=NumberType.MOBILE)
    email = message(Channel.EMAIL, local(NY, 2025, 6, 6, 10), destination="pat@example.com")
    assert_decision(evaluate(sms, ctx), BLOCK, blocked_by="US-ELEC")
    assert_decision(evaluate(email, ctx), ALLOW)


@case("TC36")
def _() -> None:
    email = message(Channel.EMAIL, local(NY, 2025, 6, 6, 10), content=Content(opt_out_statement=False))
    decision = evaluate(email, context())
    assert_decision(decision, BLOCK, blocked_by="US-ELEC")
    assert decision.hits_for("US-ELEC")[0].code == "OPT_OUT_STATEMENT_MISSING"


@case("TC37")
def _() -> None:
    sms = message(
        Channel.SMS, local(NY, 2025, 6, 6, 10), destination=MOBILE, number_type=NumberType.MOBILE,
        content=Content(opt_out_statement=True, collector_disclosure=True),
    )
    decision = evaluate(sms, context(tcpa_consents=SMS_CONSENT))
    assert_decision(decision, ALLOW)
    assert {"US-TIME", "US-ELEC", "TCPA", "US-DISCLOSE", "US-FREQ"} <= {h.rule_id for h in decision.hits}


# --- US-DISPUTE, US-VALID ----------------------------------------------------------------------------


def disputed_debt(**dispute: object) -> Debt:
    return Debt(
        "D1",
        balance=Decimal("1000"),
        currency="USD",
        validation_provided_on=dt.date(2025, 6, 2),
        disputes=(Dispute(**dispute),),  # type: ignore[arg-type]
    )


def demand(day: dt.date, amount: str | None) -> PlannedContact:
    return message(
        Channel.LETTER, local(NY, day.year, day.month, day.day),
        content=Content(demand_amount=Decimal(amount) if amount else None),
    )


@case("TC38")
def _() -> None:
    ctx = context(debts=(disputed_debt(received_on=dt.date(2025, 6, 20), disputed_amount=Decimal("200")),))
    full = evaluate(demand(dt.date(2025, 6, 25), "1000"), ctx)
    assert_decision(full, BLOCK, blocked_by="US-DISPUTE")
    assert full.hits_for("US-DISPUTE")[0].inputs["validation_end"] == dt.date(2025, 7, 9)
    partial = evaluate(demand(dt.date(2025, 6, 25), "800"), ctx)
    assert_decision(partial, FLAG)
    assert partial.flagged_rule_ids == ("US-DISPUTE",)


@case("TC39")
def _() -> None:
    ctx = context(debts=(disputed_debt(received_on=dt.date(2025, 6, 20), disputed_amount=Decimal("200"),
                                       verification_sent_on=dt.date(2025, 6, 27)),))
    assert_decision(evaluate(demand(dt.date(2025, 7, 1), "1000"), ctx), ALLOW)


@case("TC40")
def _() -> None:
    ctx = context(debts=(disputed_debt(received_on=dt.date(2025, 7, 15)),))
    decision = evaluate(demand(dt.date(2025, 7, 16), "1000"), ctx)
    assert_decision(decision, FLAG)
    assert decision.hits_for("US-DISPUTE")[0].code == "DISPUTED"


@case("TC41")
def _() -> None:
    ctx = context(debts=(disputed_debt(received_on=dt.date(2025, 6, 10), kind=DisputeKind.ORIGINAL_CREDITOR_REQUEST),))
    assert_decision(evaluate(demand(dt.date(2025, 6, 12), None), ctx), BLOCK, blocked_by="US-DISPUTE")
    assert_decision(evaluate(call(local(NY, 2025, 6, 12)), ctx), BLOCK, blocked_by="US-DISPUTE")


@case("TC42")
def _() -> None:
    assert validation_period_end(dt.date(2025, 6, 30)) == dt.date(2025, 8, 7)
    assert validation_period_end(dt.date(2025, 6, 2)) == dt.date(2025, 7, 9)
    ctx = context(debts=(Debt("D1", validation_provided_on=dt.date(2025, 6, 30)),))
    hit = evaluate(call(local(NY, 2025, 7, 2)), ctx).hits_for("US-VALID")[0]
    assert hit.inputs["validation_end"] == dt.date(2025, 8, 7)


@case("TC43")
def _() -> None:
    ctx = context(debts=(Debt("D1", initial_communication_on=dt.date(2025, 6, 2)),))
    decision = evaluate(call(local(NY, 2025, 6, 8)), ctx)
    assert_decision(decision, BLOCK, blocked_by="US-VALID")
    assert decision.alerts == ("VALIDATION_LATE",)
    notice = message(Channel.LETTER, local(NY, 2025, 6, 8), purpose=Purpose.VALIDATION_NOTICE)
    assert evaluate(notice, ctx).allowed  # sending the notice itself stays possible


# --- US-CRA ---------------------------------------------------------------------------------------------


def furnish(day: int) -> PlannedContact:
    return PlannedContact(at=local(NY, 2025, 6, day), debt_ids=("D1",), action=Action.FURNISH_CREDIT_REPORT)


@case("TC44")
def _() -> None:
    ctx = context(debts=(Debt("D1", info_sent_on=dt.date(2025, 6, 2)),))
    assert_decision(evaluate(furnish(16), ctx), BLOCK, blocked_by="US-CRA")
    assert_decision(evaluate(furnish(17), ctx), ALLOW)


@case("TC45")
def _() -> None:
    ctx = context(debts=(Debt("D1", info_sent_on=dt.date(2025, 6, 2), info_undeliverable_on=dt.date(2025, 6, 9)),))
    decision = evaluate(furnish(20), ctx)
    assert_decision(decision, BLOCK, blocked_by="US-CRA")
    assert decision.hits_for("US-CRA")[0].code == "UNDELIVERABLE"


@case("TC46")
def _() -> None:
    ctx = context(history=calls_on(NY, 6, [3], conversation=True))
    ctx_history_at_10 = context(
        history=(ContactRecord(at=local(NY, 2025, 6, 3, 10), channel=Channel.PHONE, debt_ids=("D1",), conversation=True),)
    )
    assert_decision(evaluate(furnish(3), ctx_history_at_10), ALLOW)
    assert evaluate(furnish(3), ctx).hits_for("US-CRA")[0].code == "SPOKE_TO_CONSUMER"


# --- US-ATTY, US-PLACE, US-BK, US-TBD --------------------------------------------------------------------


@case("TC47")
def _() -> None:
    ctx = context(attorney=AttorneyRepresentation(known_on=dt.date(2025, 6, 1)))
    assert_decision(evaluate(call(local(NY, 2025, 6, 10)), ctx), BLOCK, blocked_by="US-ATTY")
    to_attorney = message(Channel.LETTER, local(NY, 2025, 6, 10), recipient=RecipientKind.ATTORNEY)
    assert_decision(evaluate(to_attorney, ctx), ALLOW)


@case("TC48")
def _() -> None:
    work_call = call(local(NY, 2025, 6, 10), number_type=NumberType.WORK, destination="+12125550199")
    ctx = context(employer_prohibits_work_contact=True)
    assert_decision(evaluate(work_call, ctx), BLOCK, blocked_by="US-PLACE")


@case("TC49")
def _() -> None:
    email = message(Channel.EMAIL, local(NY, 2025, 6, 10), destination="pat@employer.example", email_employer_provided=True)
    decision = evaluate(email, context())
    assert_decision(decision, BLOCK, blocked_by="US-PLACE")
    assert decision.hits_for("US-PLACE")[0].code == "EMPLOYER_EMAIL"


@case("TC50")
def _() -> None:
    bankruptcy = Bankruptcy(petition_date=dt.date(2025, 6, 1), chapter=7)
    debt = Debt("D1", incurred_on=dt.date(2024, 3, 1))
    for profile, purpose in ((Profile.US_CONSUMER, DebtPurpose.CONSUMER), (Profile.US_COMMERCIAL, DebtPurpose.COMMERCIAL)):
        for actor in (ActorType.FIRST_PARTY_CREDITOR, ActorType.THIRD_PARTY_COLLECTOR):
            ctx = context(profile=profile, debt_purpose=purpose, actor_type=actor, bankruptcy=bankruptcy, debts=(debt,))
            assert_decision(evaluate(call(local(NY, 2025, 6, 5)), ctx), BLOCK, blocked_by="US-BK")


@case("TC51")
def _() -> None:
    ctx = context(debts=(Debt("D1", sol_expires_on=dt.date(2024, 12, 31)),))
    threat = message(Channel.LETTER, local(NY, 2025, 6, 10), content=Content(threatens_litigation=True))
    plain = message(Channel.LETTER, local(NY, 2025, 6, 10))
    assert_decision(evaluate(threat, ctx), BLOCK, blocked_by="US-TBD")
    assert_decision(evaluate(plain, ctx), ALLOW)


# --- scope, state overlay, TCPA ------------------------------------------------------------------------------


@case("TC52")
def _() -> None:
    ctx = context(
        zone=None, location=Location(addresses=(Address("US", "TX", city="Dallas"),)),
        actor_type=ActorType.FIRST_PARTY_CREDITOR, history=calls_on(CHI, 6, [2, 3, 4, 5, 6, 7, 8]),
    )
    eighth = call(local(CHI, 2025, 6, 8, 15))
    assert_decision(evaluate(eighth, ctx), BLOCK, blocked_by="US-FREQ")
    relaxed = policy_for(Profile.US_CONSUMER).replace(apply_reg_f_to_first_party=False)
    assert_decision(evaluate(eighth, ctx, relaxed), ALLOW)


@case("TC53")
def _() -> None:
    ctx = context(
        zone=None, location=Location(addresses=(Address("US", "MA", city="Boston"),)),
        actor_type=ActorType.FIRST_PARTY_CREDITOR,
        history=calls_on(NY, 6, [5, 7], number_type=NumberType.MOBILE),
    )
    third = call(local(NY, 2025, 6, 9), number_type=NumberType.MOBILE, destination=MOBILE)
    decision = evaluate(third, ctx)
    assert_decision(decision, BLOCK, blocked_by="US-STATE")
    assert decision.blocking_rule_ids == ("US-STATE",)


@case("TC54")
def _() -> None:
    ctx = context(profile=Profile.US_COMMERCIAL, debt_purpose=DebtPurpose.COMMERCIAL)
    owner_mobile = {"destination": MOBILE, "number_type": NumberType.MOBILE}
    predictive = evaluate(call(local(NY, 2025, 6, 10), dial_mode=DialMode.PREDICTIVE, **owner_mobile), ctx)
    assert_decision(predictive, BLOCK, blocked_by="TCPA")
    manual = evaluate(call(local(NY, 2025, 6, 10), dial_mode=DialMode.MANUAL, **owner_mobile), ctx)
    assert_decision(manual, ALLOW)
    assert manual.hits_for("US-SCOPE")[0].code == "OUT_OF_SCOPE"
    assert not manual.hits_for("US-FREQ")


@case("TC55")
def _() -> None:
    ctx = context(
        tcpa_consents=SMS_CONSENT,
        tcpa_revocations=(TcpaRevocation(at=local(NY, 2025, 6, 9, 18), number=MOBILE, wording="cancel"),),
    )
    robo = call(local(NY, 2025, 6, 10), dial_mode=DialMode.PRERECORDED, destination=MOBILE, number_type=NumberType.MOBILE)
    decision = evaluate(robo, ctx)
    assert_decision(decision, BLOCK, blocked_by="TCPA")
    assert decision.hits_for("TCPA")[0].code == "CONSENT_REVOKED"


# --- India, UK, EU, GDPR ------------------------------------------------------------------------------------


def india(at: str, outcome: Outcome) -> None:
    decision = evaluate(call(utc(at)), context(profile=Profile.IN, zone=IST))
    assert_decision(decision, outcome, blocked_by="RBI" if outcome == BLOCK else None)


@case("TC56")
def _() -> None:
    india("2025-06-10T13:29Z", ALLOW)


@case("TC57")
def _() -> None:
    india("2025-06-10T13:30Z", BLOCK)


@case("TC58")
def _() -> None:
    india("2025-06-10T02:29Z", BLOCK)


@case("TC59")
def _() -> None:
    ctx = context(profile=Profile.UK, zone=LONDON,
                  breathing_space=BreathingSpace(BreathingSpaceKind.STANDARD, started_on=dt.date(2025, 6, 1)))
    decision = evaluate(call(local(LONDON, 2025, 6, 20, 11)), ctx)
    assert_decision(decision, BLOCK, blocked_by="UK-BSPACE")
    assert decision.hits_for("UK-BSPACE")[0].inputs["ends_on"] == dt.date(2025, 7, 31)


@case("TC60")
def _() -> None:
    debt = Debt("D1", disputes=(Dispute(received_on=dt.date(2025, 6, 2), valid_grounds_possible=True),))
    ctx = context(profile=Profile.UK, zone=LONDON, debts=(debt,))
    letter = message(Channel.LETTER, local(LONDON, 2025, 6, 10))
    assert_decision(evaluate(letter, ctx), BLOCK, blocked_by="UK-DISPUTE")


@case("TC61")
def _() -> None:
    claim = late_payment_claim(
        principal=Decimal("10000"), due_date=dt.date(2025, 3, 31), payment_date=dt.date(2025, 5, 30),
        reference_rates={(2025, 1): Decimal("3.15")},
    )
    assert claim.late_days == 60
    assert claim.interest == Decimal("183.29")
    assert claim.compensation == Decimal("40")
    assert claim.total == Decimal("223.29")


@case("TC62")
def _() -> None:
    fee = PlannedContact(at=local("Europe/Berlin", 2025, 6, 2), debt_ids=("D1",), action=Action.CHARGE_FEE,
                         fee_kind=FeeKind.LPD_COMPENSATION)
    consumer = context(profile=Profile.EU_B2B, zone=None, debt_purpose=DebtPurpose.CONSUMER)
    assert_decision(evaluate(fee, consumer), BLOCK, blocked_by="EU-LPD")
    business = context(profile=Profile.EU_B2B, zone=None, debt_purpose=DebtPurpose.COMMERCIAL)
    assert_decision(evaluate(fee, business), ALLOW)


@case("TC63")
def _() -> None:
    assert access_request_due(dt.date(2025, 3, 5)) == dt.date(2025, 4, 5)
    assert access_request_due(dt.date(2025, 8, 31)) == dt.date(2025, 9, 30)
    assert access_request_due(dt.date(2025, 3, 5), extended=True) == dt.date(2025, 6, 5)


@case("TC64")
def _() -> None:
    plan = erasure_plan(debt_open=True, litigation_pending=True, today=dt.date(2025, 6, 1))
    assert plan.outcome == ErasureOutcome.PARTIAL
    assert "collection_records" in plan.retain
    assert "marketing_data" in plan.erase
    assert "collection_records" not in plan.erase


def test_every_table_case_has_a_test() -> None:
    assert sorted(CASES) == [f"TC{n:02d}" for n in range(1, 65)]


@pytest.mark.parametrize("tc", sorted(CASES))
def test_reference_case(tc: str) -> None:
    CASES[tc]()
