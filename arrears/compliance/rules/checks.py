"""One function per rule of COMPLIANCE.md. Each returns the hits it produced (empty = not applicable).

Rules read an `Env` built once per evaluation: the planned contact, its context, the policy, the
candidate time zones and the contact's local date in each of them. "Day" counts use the consumer's
local calendar date (§0.3); with several candidate zones each rule is evaluated per zone and blocks
if any zone blocks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .calendar import is_public_holiday, validation_period_end
from .decision import Outcome, RuleHit, combine
from .model import (
    AUTOMATED_DIAL_MODES,
    CALL_CHANNELS,
    CEASE_EXCEPTIONS,
    CONSUMER_LIKE,
    DEBT_COLLECTORS,
    Action,
    CallOutcome,
    Channel,
    ContactContext,
    ContactRecord,
    DebtPurpose,
    Direction,
    DisputeKind,
    FeeKind,
    Initiator,
    NumberType,
    PlannedContact,
    Profile,
    Purpose,
    RecipientKind,
)
from .policy import ChannelCap, Policy
from .zones import zone

US_PROFILES = frozenset({Profile.US_CONSUMER, Profile.US_COMMERCIAL})
DEFAULT_HOLIDAY_COUNTRY = {
    Profile.US_CONSUMER: "US",
    Profile.US_COMMERCIAL: "US",
    Profile.UK: "GB",
    Profile.IN: "IN",
    Profile.EU_B2B: "",
}
# Media for 1006.14(h): a voicemail is left through the telephone medium.
_MEDIUM = {Channel.VOICEMAIL: Channel.PHONE}
_SCAN_DAYS = 16  # how far ahead next_allowed_at is searched


@dataclass(frozen=True, slots=True)
class Env:
    contact: PlannedContact
    ctx: ContactContext
    policy: Policy
    zones: tuple[str, ...]
    zone_basis: str
    fdcpa: bool  # §2 rules bind this contact (US-SCOPE)
    date_min: dt.date  # the earliest local date of the contact: "has the waiting period elapsed" reads this
    date_max: dt.date  # the latest local date: "has X happened by now" reads this

    @classmethod
    def build(
        cls, contact: PlannedContact, ctx: ContactContext, policy: Policy, zones: tuple[str, ...], zone_basis: str
    ) -> Env:
        dates = [contact.at.astimezone(zone(z)).date() for z in zones]
        return cls(contact, ctx, policy, zones, zone_basis, fdcpa_applies(ctx, policy), min(dates), max(dates))

    @property
    def at(self) -> dt.datetime:
        return self.contact.at

    def local(self, zone_name: str, instant: dt.datetime | None = None) -> dt.datetime:
        return (instant or self.contact.at).astimezone(zone(zone_name))

    def rid(self, us_id: str, other_id: str) -> str:
        return us_id if self.fdcpa else other_id

    @property
    def to_consumer(self) -> bool:
        return self.contact.is_communication and self.contact.recipient in CONSUMER_LIKE

    def debts_in_scope(self, debt_ids: tuple[str, ...]) -> tuple[str, ...]:
        """The contact's debts a record/notice names (an empty list names every debt)."""
        if not debt_ids:
            return self.contact.debt_ids
        return tuple(d for d in self.contact.debt_ids if d in debt_ids)


def _midnight(day: dt.date, zone_name: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone(zone_name)).astimezone(dt.UTC)


def _hit(rule_id: str, outcome: Outcome, code: str, message: str, source: str, **inputs: object) -> RuleHit:
    next_allowed = inputs.pop("next_allowed_at", None)
    assert next_allowed is None or isinstance(next_allowed, dt.datetime)
    return RuleHit(rule_id, outcome, code, message, source, dict(inputs), next_allowed)


def _norm(destination: str | None) -> str:
    return (destination or "").strip().lower().replace(" ", "").replace("-", "")


def _same_person(record: ContactRecord, contact: PlannedContact) -> bool:
    return record.person_id == contact.recipient_id


# ---------------------------------------------------------------------------------------------------
# Scope (§1, §2.1)
# ---------------------------------------------------------------------------------------------------


def fdcpa_applies(ctx: ContactContext, policy: Policy) -> bool:
    if not policy.fdcpa or ctx.debt_purpose == DebtPurpose.COMMERCIAL:
        return False
    return ctx.actor_type in DEBT_COLLECTORS or policy.apply_reg_f_to_first_party


def check_scope(env: Env) -> list[RuleHit]:
    if env.ctx.profile not in US_PROFILES:
        return []
    ctx = env.ctx
    message = (
        "FDCPA/Regulation F rules apply"
        if env.fdcpa
        else "FDCPA/Regulation F rules do not bind this actor/debt; TCPA and bankruptcy rules still apply"
    )
    return [
        _hit(
            "US-SCOPE",
            Outcome.ALLOW,
            "IN_SCOPE" if env.fdcpa else "OUT_OF_SCOPE",
            message,
            "15 U.S.C. 1692a(5), 1692a(6) [R1][R2]",
            actor_type=ctx.actor_type,
            debt_purpose=ctx.debt_purpose,
            apply_reg_f_to_first_party=env.policy.apply_reg_f_to_first_party,
            state=ctx.us_state,
        )
    ]


# ---------------------------------------------------------------------------------------------------
# Time of day (§2.2, UK-CONTACT, §7) and public holidays
# ---------------------------------------------------------------------------------------------------


def _time_consent_covers(env: Env, instant: dt.datetime) -> bool:
    for consent in env.ctx.time_consents:
        if consent.channels and env.contact.channel not in consent.channels:
            continue
        if consent.starts_at <= instant <= consent.ends_at:
            return True
    return False


def _window_problem(env: Env, local: dt.datetime) -> str | None:
    window = env.policy.window
    assert window is not None
    minute = local.hour * 60 + local.minute  # minute precision of the scheduled time [POLICY §2.2]
    if not window.start_minute <= minute < window.end_minute:
        return f"{local:%H:%M} is outside {window.start:%H:%M}-{window.end:%H:%M}"
    if not env.contact.replies_to_consumer_contact:
        for designated in env.ctx.inconvenient_windows:
            if designated.covers(local):
                return f"{local:%H:%M} is in a consumer-designated inconvenient time"
    return None


def _holiday_problem(env: Env, local: dt.datetime) -> str | None:
    day = local.date()
    if day.weekday() in env.policy.quiet_weekdays:
        return f"{day:%A} {day} is a quiet day"
    if env.policy.block_public_holidays and is_public_holiday(day, *_holiday_calendar(env)):
        return f"{day} is a public holiday"
    return None


def _holiday_calendar(env: Env) -> tuple[str, str]:
    ctx = env.ctx
    country = ctx.holiday_country
    subdivision = ctx.holiday_subdivision
    if not country:
        for address in ctx.location.addresses:
            country = address.country
            break
    country = country or DEFAULT_HOLIDAY_COUNTRY[ctx.profile]
    return country.upper(), subdivision


def _boundaries(env: Env, zone_name: str, first_day: int, days: int) -> list[dt.datetime]:
    """Instants at which a local-time rule can change from blocked to allowed: local midnight, the
    window start and the end of each designated window, on `days` local dates from `first_day` on."""
    tz: ZoneInfo = zone(zone_name)
    first = env.at.astimezone(tz).date() + dt.timedelta(days=first_day)
    times = {dt.time(0)}
    if env.policy.window is not None:
        times.add(env.policy.window.start)
    times.update(w.end for w in env.ctx.inconvenient_windows)
    return [
        dt.datetime.combine(first + dt.timedelta(days=offset), t, tzinfo=tz).astimezone(dt.UTC)
        for offset in range(days)
        for t in times
    ]


def _next_instant(
    env: Env, problem: Callable[[Env, dt.datetime], str | None], consent_overrides: bool
) -> dt.datetime | None:
    """Earliest instant after the planned one at which `problem` is None in every candidate zone.

    The allowed set is a union of intervals whose left ends are boundaries, so checking boundaries
    in order finds the earliest. They are generated two local days at a time; a candidate is only
    accepted below the horizon where the next chunk's boundaries begin in any zone."""
    pending = [c.starts_at for c in env.ctx.time_consents if c.starts_at > env.at] if consent_overrides else []
    step = 2
    for chunk in range(0, _SCAN_DAYS, step):
        pending.extend(b for z in env.zones for b in _boundaries(env, z, chunk, step) if b > env.at)
        pending.sort()
        horizon = min(min(_boundaries(env, z, chunk + step, 1)) for z in env.zones)
        for instant in pending:
            if instant >= horizon:
                break
            if consent_overrides and _time_consent_covers(env, instant):
                return instant
            if all(problem(env, env.local(z, instant)) is None for z in env.zones):
                return instant
        pending = [b for b in pending if b >= horizon]
    return None


def _local_time_rule(
    env: Env, rule_id: str, code: str, source: str, problem: Callable[[Env, dt.datetime], str | None]
) -> list[RuleHit]:
    per_zone = {}
    failures = []
    for z in env.zones:
        local = env.local(z)
        reason = problem(env, local)
        per_zone[z] = local.strftime("%Y-%m-%d %H:%M %Z")
        if reason:
            failures.append(f"{z}: {reason}")
    inputs = {
        "channel": env.contact.channel,
        "at": env.at,
        "zones": env.zones,
        "zone_basis": env.zone_basis,
        "local_times": per_zone,
    }
    if not failures:
        return [_hit(rule_id, Outcome.ALLOW, "OK", "convenient in every candidate time zone", source, **inputs)]
    if _time_consent_covers(env, env.at):
        return [
            _hit(
                rule_id,
                Outcome.ALLOW,
                "DIRECT_PRIOR_CONSENT",
                "the consumer gave direct prior consent to contact at this time (1006.6(b)(4))",
                source,
                failures=failures,
                **inputs,
            )
        ]
    return [
        _hit(
            rule_id,
            Outcome.BLOCK,
            code,
            "; ".join(failures),
            source,
            next_allowed_at=_next_instant(env, problem, consent_overrides=True),
            **inputs,
        )
    ]


def _time_rule_applies(env: Env) -> bool:
    window = env.policy.window
    if window is None or not env.contact.is_communication or env.contact.channel not in window.channels:
        return False
    # US-TIME is a Regulation F rule; outside its scope a consumer profile has no statutory clock.
    return not (env.ctx.profile == Profile.US_CONSUMER and not env.fdcpa)


def check_time(env: Env) -> list[RuleHit]:
    if not _time_rule_applies(env):
        return []
    return _local_time_rule(
        env, env.policy.time_rule_id, "INCONVENIENT_TIME", env.policy.time_source, _window_problem
    )


def check_holidays(env: Env) -> list[RuleHit]:
    policy = env.policy
    if not (policy.block_public_holidays or policy.quiet_weekdays) or not _time_rule_applies(env):
        return []
    country, subdivision = _holiday_calendar(env)
    hits = _local_time_rule(
        env, "HOLIDAY", "PUBLIC_HOLIDAY", f"[POLICY] profile calendar {country}{subdivision and '-' + subdivision}",
        _holiday_problem,
    )
    return hits


# ---------------------------------------------------------------------------------------------------
# Frequency (§2.4, §2.18, §7, configurable caps)
# ---------------------------------------------------------------------------------------------------


def _call_consent_given(env: Env, debt_id: str, zone_name: str, call_at: dt.datetime) -> dt.datetime | None:
    """The direct prior consent that excludes a call placed at `call_at` (within 7 days after it)."""
    if not env.ctx.call_consents:
        return None
    call_day = env.local(zone_name, call_at).date()
    for consent in env.ctx.call_consents:
        if consent.debt_ids and debt_id not in consent.debt_ids:
            continue
        given_day = env.local(zone_name, consent.given_at).date()
        if consent.given_at <= call_at and (call_day - given_day).days <= env.policy.call_consent_days:
            return consent.given_at
    return None


def check_reg_f_frequency(env: Env) -> list[RuleHit]:
    contact = env.contact
    if not (env.fdcpa and contact.is_communication and contact.is_call):
        return []
    if contact.recipient == RecipientKind.ATTORNEY:  # 1006.14(b)(3)(iii): calls to the consumer's attorney
        return []
    policy = env.policy
    source = "12 CFR 1006.14(b)(2)-(4) [R12][R13][R16]"
    hits = []
    for debt_id in contact.debt_ids:
        problems: list[str] = []
        next_allowed: list[dt.datetime] = []
        exempt = False
        inputs: dict[str, object] = {"debt_id": debt_id, "zones": env.zones}
        for z in env.zones:
            if _call_consent_given(env, debt_id, z, contact.at) is not None:
                exempt = True
                inputs["call_consent"] = True
                break
            day = env.local(z).date()
            records = [
                r
                for r in env.ctx.history
                if debt_id in r.debt_ids and r.channel in CALL_CHANNELS and _same_person(r, contact)
            ]
            counted_days = [
                env.local(z, r.at).date()
                for r in records
                if r.direction == Direction.OUTBOUND
                and r.outcome != CallOutcome.NOT_CONNECTED
                and r.recipient != RecipientKind.ATTORNEY
                and _call_consent_given(env, debt_id, z, r.at) is None
            ]
            window = [d for d in counted_days if 0 <= (day - d).days < policy.reg_f_days]
            inputs[f"calls_in_window[{z}]"] = len(window)
            if len(window) >= policy.reg_f_call_cap:
                problems.append(
                    f"{z}: {len(window)} calls about {debt_id} in the {policy.reg_f_days} days ending {day}"
                    f" (cap: more than {policy.reg_f_call_cap} is presumed to violate)"
                )
                free = day + dt.timedelta(days=1)
                while sum(1 for d in counted_days if 0 <= (free - d).days < policy.reg_f_days) >= policy.reg_f_call_cap:
                    free += dt.timedelta(days=1)
                next_allowed.append(_midnight(free, z))
                inputs.setdefault("code", "FREQ_7_IN_7")
            conversations = [env.local(z, r.at).date() for r in records if r.conversation]
            recent = [c for c in conversations if 0 <= (day - c).days < policy.post_conversation_days]
            if recent:
                last = max(recent)
                problems.append(
                    f"{z}: telephone conversation about {debt_id} on {last}; no call until"
                    f" {last + dt.timedelta(days=policy.post_conversation_days)}"
                )
                next_allowed.append(_midnight(last + dt.timedelta(days=policy.post_conversation_days), z))
                inputs.setdefault("code", "FREQ_POST_CONVERSATION")
                inputs["last_conversation"] = last
        code = str(inputs.pop("code", "OK"))
        if exempt:
            hits.append(
                _hit("US-FREQ", Outcome.ALLOW, "CALL_CONSENT", "call within 7 days after direct prior consent", source, **inputs)
            )
        elif problems:
            hits.append(
                _hit(
                    "US-FREQ",
                    Outcome.BLOCK,
                    code,
                    "; ".join(problems),
                    source,
                    next_allowed_at=max(next_allowed),
                    **inputs,
                )
            )
        else:
            hits.append(_hit("US-FREQ", Outcome.ALLOW, "OK", "within the 7-in-7 and post-conversation limits", source, **inputs))
    return hits


def _cap_hit(env: Env, cap: ChannelCap) -> list[RuleHit]:
    contact = env.contact
    debt_keys: tuple[str | None, ...] = contact.debt_ids if cap.per_debt else (None,)
    hits = []
    for debt_id in debt_keys:
        problems, next_allowed = [], []
        inputs: dict[str, object] = {"channels": cap.channels, "max_count": cap.max_count, "days": cap.days}
        if debt_id:
            inputs["debt_id"] = debt_id
        for z in env.zones:
            day = env.local(z).date()
            days = [
                env.local(z, r.at).date()
                for r in env.ctx.history
                if r.channel in cap.channels
                and r.direction == Direction.OUTBOUND
                and (cap.count_unconnected or r.outcome != CallOutcome.NOT_CONNECTED)
                and (debt_id is None or debt_id in r.debt_ids)
                and _same_person(r, contact)
            ]
            count = sum(1 for d in days if 0 <= (day - d).days < cap.days)
            inputs[f"count[{z}]"] = count
            if count >= cap.max_count:
                problems.append(f"{z}: {count} contacts in the {cap.days} days ending {day} (cap {cap.max_count})")
                free = day + dt.timedelta(days=1)
                while sum(1 for d in days if 0 <= (free - d).days < cap.days) >= cap.max_count:
                    free += dt.timedelta(days=1)
                next_allowed.append(_midnight(free, z))
        if problems:
            hits.append(
                _hit(cap.rule_id, Outcome.BLOCK, "FREQ_CAP", "; ".join(problems), cap.source,
                     next_allowed_at=max(next_allowed), **inputs)
            )
        else:
            hits.append(_hit(cap.rule_id, Outcome.ALLOW, "OK", "within the configured cap", cap.source, **inputs))
    return hits


def check_channel_caps(env: Env) -> list[RuleHit]:
    contact = env.contact
    if not contact.is_communication:
        return []
    hits = []
    for cap in env.policy.channel_caps:
        if contact.channel not in cap.channels:
            continue
        if cap.rule_id.startswith("US-") and not env.fdcpa:
            continue
        hits.extend(_cap_hit(env, cap))
    return hits


_TELEPHONE_COMMUNICATIONS = frozenset({Channel.PHONE, Channel.VOICEMAIL, Channel.SMS})


def check_state_overlay(env: Env) -> list[RuleHit]:
    ctx, contact = env.ctx, env.contact
    if ctx.profile != Profile.US_CONSUMER or ctx.debt_purpose == DebtPurpose.COMMERCIAL:
        return []
    cap = env.policy.state_caps.get(ctx.us_state)
    if cap is None or not contact.is_communication or contact.channel not in _TELEPHONE_COMMUNICATIONS:
        return []
    if ctx.actor_type not in DEBT_COLLECTORS and not cap.applies_to_first_party:
        return []
    personal = contact.number_type != NumberType.WORK
    limit, days = (cap.personal_max, cap.personal_days) if personal else (cap.other_max, cap.other_days)
    hits = []
    for debt_id in contact.debt_ids:
        problems, next_allowed = [], []
        inputs: dict[str, object] = {"state": ctx.us_state, "debt_id": debt_id, "personal_number": personal,
                                     "max_count": limit, "days": days}
        for z in env.zones:
            day = env.local(z).date()
            sent = [
                env.local(z, r.at).date()
                for r in ctx.history
                if r.direction == Direction.OUTBOUND
                and r.channel in _TELEPHONE_COMMUNICATIONS
                and debt_id in r.debt_ids
                and _same_person(r, contact)
                and ((r.number_type != NumberType.WORK) == personal)
            ]
            count = sum(1 for d in sent if 0 <= (day - d).days < days)
            inputs[f"count[{z}]"] = count
            if count >= limit:
                problems.append(f"{z}: {count} telephone communications about {debt_id} in {days} days (state cap {limit})")
                free = day + dt.timedelta(days=1)
                while sum(1 for d in sent if 0 <= (free - d).days < days) >= limit:
                    free += dt.timedelta(days=1)
                next_allowed.append(_midnight(free, z))
        if problems:
            hits.append(_hit("US-STATE", Outcome.BLOCK, "STATE_CALL_CAP", "; ".join(problems), cap.source,
                             next_allowed_at=max(next_allowed), **inputs))
        else:
            hits.append(_hit("US-STATE", Outcome.ALLOW, "OK", "within the state overlay cap", cap.source, **inputs))
    return hits


def check_rbi_frequency(env: Env) -> list[RuleHit]:
    policy, contact = env.policy, env.contact
    if policy.daily_call_cap is None or not contact.is_communication or not contact.is_call:
        return []
    source = "[POLICY] RBI/2022-23/108 'persistently calling' [R56]"
    problems, next_allowed = [], []
    inputs: dict[str, object] = {"daily_call_cap": policy.daily_call_cap,
                                 "calls_after_conversation_same_day": policy.calls_after_conversation_same_day}
    for z in env.zones:
        day = env.local(z).date()
        today = sorted(
            (r for r in env.ctx.history
             if r.channel in CALL_CHANNELS and _same_person(r, contact) and env.local(z, r.at).date() == day),
            key=lambda r: r.at,
        )
        attempts = [r for r in today if r.direction == Direction.OUTBOUND]
        inputs[f"attempts_today[{z}]"] = len(attempts)
        if len(attempts) >= policy.daily_call_cap:
            problems.append(f"{z}: {len(attempts)} call attempts on {day} (cap {policy.daily_call_cap})")
        conversations = [r.at for r in today if r.conversation]
        if conversations and policy.calls_after_conversation_same_day is not None:
            after = sum(1 for r in attempts if r.at > max(conversations))
            inputs[f"attempts_after_conversation[{z}]"] = after
            if after >= policy.calls_after_conversation_same_day:
                problems.append(f"{z}: {after} call(s) already after today's conversation")
        if problems:
            next_allowed.append(_midnight(day + dt.timedelta(days=1), z))
    if problems:
        return [_hit("RBI", Outcome.BLOCK, "PERSISTENT_CALLING", "; ".join(problems), source,
                     next_allowed_at=max(next_allowed), **inputs)]
    return [_hit("RBI", Outcome.ALLOW, "OK", "within the daily call limits", source, **inputs)]


# ---------------------------------------------------------------------------------------------------
# Holds: do-not-contact, cease, medium and electronic opt-outs, attorney, bankruptcy, breathing space
# ---------------------------------------------------------------------------------------------------


def check_do_not_contact(env: Env) -> list[RuleHit]:
    if not env.ctx.do_not_contact or not env.contact.is_communication:
        return []
    return [_hit("HOLD-DNC", Outcome.BLOCK, "DO_NOT_CONTACT", "the customer is marked do-not-contact",
                 "[POLICY] product hold", do_not_contact=True)]


def check_cease(env: Env) -> list[RuleHit]:
    contact = env.contact
    if not env.to_consumer:
        return []
    rule_id = env.rid("US-CEASE", "HOLD-CEASE")
    source = "12 CFR 1006.6(c); 15 U.S.C. 1692c(c) [R4][R5][R20]" if env.fdcpa else "[POLICY] cease-communication hold"
    hits = []
    for notice in env.ctx.cease_notices:
        debts = env.debts_in_scope(notice.debt_ids)
        if not debts or notice.received_on > env.date_max:
            continue
        inputs = {"received_on": notice.received_on, "written": notice.written, "debt_ids": debts,
                  "purpose": contact.purpose}
        if not notice.written and env.fdcpa:
            hits.append(_hit(rule_id, Outcome.ALLOW_WITH_FLAG, "ORAL_CEASE",
                             "oral cease request: record medium opt-outs (1006.14(h)); 1006.6(c) needs writing",
                             source, **inputs))
        elif contact.purpose in CEASE_EXCEPTIONS and not contact.demands_payment:
            hits.append(_hit(rule_id, Outcome.ALLOW, "CEASE_EXCEPTION",
                             f"{contact.purpose.value} is a permitted notice after a cease request", source, **inputs))
        else:
            hits.append(_hit(rule_id, Outcome.BLOCK, "CEASE_COMMUNICATION",
                             f"written cease/refusal notice received {notice.received_on}", source, **inputs))
    return hits


def check_medium_opt_out(env: Env) -> list[RuleHit]:
    contact = env.contact
    if not contact.is_communication or not env.ctx.medium_opt_outs:
        return []
    assert contact.channel is not None
    medium = _MEDIUM.get(contact.channel, contact.channel)
    rule_id = env.rid("US-MEDIUM", "UK-CONTACT" if env.ctx.profile == Profile.UK else "HOLD-MEDIUM")
    source = "12 CFR 1006.14(h)(1) [R19]" if env.fdcpa else "[POLICY] respect requests about how to be contacted"
    for opt_out in env.ctx.medium_opt_outs:
        if _MEDIUM.get(opt_out.channel, opt_out.channel) != medium or opt_out.at > contact.at:
            continue
        if opt_out.destination and _norm(opt_out.destination) != _norm(contact.destination):
            continue
        return [_hit(rule_id, Outcome.BLOCK, "MEDIUM_OPT_OUT",
                     f"the person asked not to be contacted by {medium.value} on {opt_out.at:%Y-%m-%d}",
                     source, channel=contact.channel, opt_out_at=opt_out.at, destination=opt_out.destination)]
    return [_hit(rule_id, Outcome.ALLOW, "OK", f"no request against {medium.value}", source, channel=contact.channel)]


def check_electronic(env: Env) -> list[RuleHit]:
    contact = env.contact
    if not contact.is_communication or contact.channel not in (Channel.SMS, Channel.EMAIL):
        return []
    rule_id = env.rid("US-ELEC", "OPT-OUT")
    source = "12 CFR 1006.6(e) [R28][R29]" if env.fdcpa else "[POLICY] electronic opt-out"
    if env.fdcpa and not contact.content.opt_out_statement:
        return [_hit(rule_id, Outcome.BLOCK, "OPT_OUT_STATEMENT_MISSING",
                     "electronic message lacks a clear and conspicuous opt-out method", source,
                     channel=contact.channel)]
    for opt_out in env.ctx.electronic_opt_outs:
        if opt_out.at <= contact.at and _norm(opt_out.destination) == _norm(contact.destination):
            return [_hit(rule_id, Outcome.BLOCK, "ELECTRONIC_OPT_OUT",
                         f"{opt_out.destination} opted out on {opt_out.at:%Y-%m-%d}", source,
                         channel=contact.channel, destination=contact.destination, opt_out_at=opt_out.at)]
    return [_hit(rule_id, Outcome.ALLOW, "OK", "opt-out statement present; no opt-out for this address", source,
                 channel=contact.channel, destination=contact.destination)]


def check_attorney(env: Env) -> list[RuleHit]:
    attorney, contact = env.ctx.attorney, env.contact
    if attorney is None or not contact.is_communication or attorney.known_on > env.date_max:
        return []
    debts = env.debts_in_scope(attorney.debt_ids)
    if not debts:
        return []
    rule_id = env.rid("US-ATTY", "HOLD-ATTY")
    source = "12 CFR 1006.6(b)(2); 15 U.S.C. 1692c(a)(2) [R4][R5]" if env.fdcpa else "[POLICY] represented debtor"
    inputs = {"known_on": attorney.known_on, "debt_ids": debts, "recipient": contact.recipient}
    if contact.recipient == RecipientKind.ATTORNEY:
        return [_hit(rule_id, Outcome.ALLOW, "TO_ATTORNEY", "addressed to the debtor's attorney", source, **inputs)]
    if contact.recipient not in CONSUMER_LIKE:
        return []
    if attorney.consented_to_direct_contact:
        return [_hit(rule_id, Outcome.ALLOW, "ATTORNEY_CONSENTED", "the attorney consented to direct contact",
                     source, **inputs)]
    if not attorney.name_address_known:
        return [_hit(rule_id, Outcome.REVIEW, "ATTORNEY_DETAILS_UNKNOWN",
                     "represented, but the attorney's name/address is not on file", source, **inputs)]
    if attorney.attorney_contacted_on is not None:
        waited = (env.date_min - attorney.attorney_contacted_on).days
        if waited >= env.policy.attorney_no_response_days:
            return [_hit(rule_id, Outcome.REVIEW, "ATTORNEY_NO_RESPONSE",
                         f"the attorney has not responded for {waited} days", source, waited_days=waited, **inputs)]
    return [_hit(rule_id, Outcome.BLOCK, "ATTORNEY_REPRESENTED",
                 "the consumer is represented by an attorney about this debt; contact the attorney", source, **inputs)]


def check_bankruptcy(env: Env) -> list[RuleHit]:
    bk, contact = env.ctx.bankruptcy, env.contact
    if bk is None:
        return []
    us = env.ctx.profile in US_PROFILES
    rule_id = "US-BK" if us else "HOLD-INSOLVENCY"
    source = "11 U.S.C. 362(a)(6), 524(a)(2), 1301 [R34]" if us else "[POLICY] insolvency hold"
    legal = contact.purpose == Purpose.LEGAL_WORKFLOW
    if bk.petition_date is None:
        return [_hit(rule_id, Outcome.REVIEW if legal else Outcome.BLOCK, "BANKRUPTCY_UNVERIFIED",
                     "bankruptcy notice without a verified petition date: block until verified", source)]
    if bk.petition_date > env.date_max:
        return []
    hits = []
    for debt_id in contact.debt_ids:
        debt = env.ctx.debt(debt_id)
        codebtor = bk.chapter == 13 and debt_id in bk.codebtor_consumer_debt_ids
        pre_petition = debt.incurred_on is None or debt.incurred_on <= bk.petition_date
        discharged = debt.bankruptcy_discharged or (bk.discharge_date is not None and pre_petition)
        inputs = {"debt_id": debt_id, "petition_date": bk.petition_date, "chapter": bk.chapter,
                  "incurred_on": debt.incurred_on, "discharge_date": bk.discharge_date}
        if not (pre_petition or codebtor or discharged):
            hits.append(_hit(rule_id, Outcome.ALLOW, "POST_PETITION_DEBT", "debt arose after the petition", source,
                             **inputs))
        elif legal:
            hits.append(_hit(rule_id, Outcome.REVIEW, "LEGAL_WORKFLOW",
                             "bankruptcy legal workflow (proof of claim, stay relief) needs counsel review", source,
                             **inputs))
        else:
            why = "discharge injunction" if discharged else "automatic stay"
            hits.append(_hit(rule_id, Outcome.BLOCK, "BANKRUPTCY_STAY" if not discharged else "BANKRUPTCY_DISCHARGE",
                             f"{why}: petition filed {bk.petition_date}", source, **inputs))
    return hits


def check_breathing_space(env: Env) -> list[RuleHit]:
    space, contact = env.ctx.breathing_space, env.contact
    if space is None or env.ctx.profile != Profile.UK:
        return []
    ends_on = space.ends_on
    if ends_on is None and space.kind.value == "standard":
        ends_on = space.started_on + dt.timedelta(days=env.policy.breathing_space_standard_days)
    active = space.started_on <= env.date_max and (ends_on is None or env.date_min <= ends_on)
    source = "SI 2020/1311 Debt Respite Scheme [R48]"
    inputs = {"kind": space.kind, "started_on": space.started_on, "ends_on": ends_on}
    if not active:
        return [_hit("UK-BSPACE", Outcome.ALLOW, "NOT_ACTIVE", "no breathing space in force", source, **inputs)]
    restricted = (
        contact.action in (Action.LAWSUIT, Action.CHARGE_FEE, Action.SELL_OR_PLACE)
        or (contact.is_communication and (contact.demands_payment or contact.purpose != Purpose.REQUIRED_NOTICE))
    )
    if not restricted:
        return [_hit("UK-BSPACE", Outcome.ALLOW, "REQUIRED_NOTICE", "non-demand notice required by law", source,
                     **inputs)]
    next_allowed = _midnight(ends_on + dt.timedelta(days=1), "Europe/London") if ends_on else None
    return [_hit("UK-BSPACE", Outcome.BLOCK, "BREATHING_SPACE",
                 f"{space.kind.value} breathing space in force since {space.started_on}", source,
                 next_allowed_at=next_allowed, **inputs)]


def check_vulnerability(env: Env) -> list[RuleHit]:
    if env.ctx.profile != Profile.UK or not env.ctx.vulnerable or not env.contact.is_communication:
        return []
    source = "FCA FG21/1 [R47]"
    if env.contact.initiated_by == Initiator.AUTOMATIC:
        return [_hit("UK-VULN", Outcome.REVIEW, "VULNERABLE_CUSTOMER",
                     "vulnerable customer: automated contact paused, route to the specialist queue", source)]
    return [_hit("UK-VULN", Outcome.ALLOW_WITH_FLAG, "VULNERABLE_CUSTOMER",
                 "vulnerable customer: adapt the contact (FG21/1)", source)]


# ---------------------------------------------------------------------------------------------------
# Place, third parties, disclosures (§2.3, §2.8, §2.12, GDPR Art 14)
# ---------------------------------------------------------------------------------------------------


def check_place(env: Env) -> list[RuleHit]:
    contact, ctx = env.contact, env.ctx
    if not (env.fdcpa and env.to_consumer):
        return []
    hits = []
    if contact.number_type == NumberType.WORK and (ctx.employer_prohibits_work_contact or ctx.work_contact_inconvenient):
        hits.append(_hit("US-PLACE", Outcome.BLOCK, "WORKPLACE",
                         "the employer prohibits (or the consumer finds inconvenient) contact at work",
                         "12 CFR 1006.6(b)(3); 15 U.S.C. 1692c(a)(3) [R4][R5]",
                         employer_prohibits=ctx.employer_prohibits_work_contact,
                         work_inconvenient=ctx.work_contact_inconvenient))
    if (
        contact.channel == Channel.EMAIL
        and contact.email_employer_provided
        and not (contact.email_used_by_consumer or contact.email_direct_consent)
    ):
        hits.append(_hit("US-PLACE", Outcome.BLOCK, "EMPLOYER_EMAIL",
                         "employer-provided email address not used by the consumer with us, no consent",
                         "12 CFR 1006.22(f)(3) [R11]", destination=contact.destination))
    if contact.channel == Channel.SOCIAL_MEDIA and contact.social_media_public:
        hits.append(_hit("US-PLACE", Outcome.BLOCK, "PUBLIC_SOCIAL_MEDIA",
                         "collection message visible to the public or the person's contacts",
                         "12 CFR 1006.22(f)(4) [R11]"))
    return hits


_THIRD_PARTY_RULE = {Profile.UK: "UK-CONTACT", Profile.IN: "RBI"}


def check_third_party(env: Env) -> list[RuleHit]:
    contact, ctx = env.contact, env.ctx
    if not contact.is_communication or contact.recipient not in (RecipientKind.THIRD_PARTY, RecipientKind.EMPLOYER):
        return []
    rule_id = "US-3P" if env.fdcpa else _THIRD_PARTY_RULE.get(ctx.profile, "")
    if not rule_id:
        return []
    source = {"US-3P": "12 CFR 1006.6(d), 1006.10; 15 U.S.C. 1692b [R4][R22]", "UK-CONTACT": "CONC 7.9 [R45]",
              "RBI": "RBI/2022-23/108 [R56]"}[rule_id]
    inputs = {"recipient": contact.recipient, "recipient_id": contact.recipient_id, "purpose": contact.purpose}
    if contact.content.mentions_debt:
        return [_hit(rule_id, Outcome.BLOCK, "THIRD_PARTY_DISCLOSURE",
                     "message to a third party would reveal the debt", source, **inputs)]
    if (
        env.fdcpa
        and contact.purpose == Purpose.LOCATION_INFO
        and contact.recipient_id in ctx.location_contacted_person_ids
        and not contact.location_contact_requested
    ):
        return [_hit(rule_id, Outcome.BLOCK, "SECOND_LOCATION_CONTACT",
                     "this third party was already asked for location information", source, **inputs)]
    return [_hit(rule_id, Outcome.ALLOW, "OK", "third-party contact does not disclose the debt", source, **inputs)]


def check_disclosure(env: Env) -> list[RuleHit]:
    contact = env.contact
    if not (env.fdcpa and env.to_consumer) or contact.content.limited_content or contact.channel == Channel.VISIT:
        return []
    source = "12 CFR 1006.18(e); 15 U.S.C. 1692e(11) [R30]"
    if not contact.content.collector_disclosure:
        return [_hit("US-DISCLOSE", Outcome.BLOCK, "DISCLOSURE_MISSING",
                     "message does not state that it is from a debt collector", source)]
    return [_hit("US-DISCLOSE", Outcome.ALLOW, "OK", "debt-collector disclosure present", source)]


def check_privacy_notice(env: Env) -> list[RuleHit]:
    ctx, contact = env.ctx, env.contact
    if not env.policy.gdpr or ctx.actor_type not in DEBT_COLLECTORS or not env.to_consumer:
        return []
    if ctx.privacy_notice_given or contact.content.privacy_notice:
        return []
    return [_hit("GDPR-INFO", Outcome.BLOCK, "PRIVACY_NOTICE_MISSING",
                 "first communication must carry the Art 14 privacy information", "GDPR Art 14(3)")]


# ---------------------------------------------------------------------------------------------------
# Validation notice and disputes (§2.9, §2.10, CONC 7.14)
# ---------------------------------------------------------------------------------------------------


def _validation_end(env: Env, debt_id: str) -> dt.date | None:
    debt = env.ctx.debt(debt_id)
    provided = debt.validation_provided_on
    if provided is None and debt.validation_in_initial_communication:
        provided = debt.initial_communication_on
    if provided is None:
        return None
    return validation_period_end(
        provided,
        receipt_business_days=env.policy.validation_receipt_business_days,
        period_days=env.policy.validation_period_days,
    )


def check_validation(env: Env) -> tuple[list[RuleHit], list[str]]:
    ctx, contact = env.ctx, env.contact
    if not env.fdcpa or not env.to_consumer:
        return [], []
    if ctx.actor_type not in DEBT_COLLECTORS and not env.policy.apply_validation_to_first_party:
        return [], []
    source = "12 CFR 1006.34(a), (b)(5); 15 U.S.C. 1692g(a) [R23][R24]"
    hits, alerts = [], []
    for debt_id in contact.debt_ids:
        debt = ctx.debt(debt_id)
        end = _validation_end(env, debt_id)
        inputs = {"debt_id": debt_id, "initial_communication_on": debt.initial_communication_on,
                  "validation_provided_on": debt.validation_provided_on, "validation_end": end}
        if end is not None:
            hits.append(_hit("US-VALID", Outcome.ALLOW, "PROVIDED", f"validation period ends {end}", source, **inputs))
            continue
        if debt.initial_communication_on is None:
            hits.append(_hit("US-VALID", Outcome.ALLOW, "INITIAL_COMMUNICATION",
                             "no prior communication: validation information is due within 5 days of this one",
                             source, **inputs))
            continue
        due = debt.initial_communication_on + dt.timedelta(days=env.policy.validation_due_days)
        inputs["validation_due_by"] = due
        if env.date_max <= due:
            hits.append(_hit("US-VALID", Outcome.ALLOW, "DUE", f"validation information due by {due}", source, **inputs))
            continue
        alerts.append("VALIDATION_LATE")
        if contact.purpose == Purpose.VALIDATION_NOTICE:
            hits.append(_hit("US-VALID", Outcome.ALLOW_WITH_FLAG, "VALIDATION_LATE",
                             f"validation notice is late (was due {due})", source, **inputs))
        else:
            hits.append(_hit("US-VALID", Outcome.BLOCK, "VALIDATION_LATE",
                             f"no validation information by {due}: only the notice itself may be sent", source,
                             **inputs))
    return hits, alerts


def _seeks_payment(contact: PlannedContact) -> bool:
    return contact.action in (Action.LAWSUIT, Action.CHARGE_FEE, Action.SELL_OR_PLACE) or (
        contact.is_communication and contact.demands_payment
    )


def check_us_dispute(env: Env) -> list[RuleHit]:
    contact = env.contact
    if not env.fdcpa:
        return []
    source = "15 U.S.C. 1692g(b), 1692e(8); 12 CFR 1006.38 [R24][R26][R27]"
    hits = []
    day = env.date_max
    for debt_id in contact.debt_ids:
        debt = env.ctx.debt(debt_id)
        end = _validation_end(env, debt_id)
        outcomes = []
        for dispute in debt.disputes:
            if dispute.received_on > day or (dispute.resolved_on and dispute.resolved_on <= day):
                continue
            sent_in_time = dispute.postmarked_on is not None and end is not None and dispute.postmarked_on <= end
            timely = dispute.written and (end is None or dispute.received_on <= end or sent_in_time)
            verified = dispute.verification_sent_on is not None and dispute.verification_sent_on <= day
            inputs = {"debt_id": debt_id, "kind": dispute.kind, "received_on": dispute.received_on,
                      "written": dispute.written, "validation_end": end, "timely": timely,
                      "verification_sent_on": dispute.verification_sent_on,
                      "disputed_amount": dispute.disputed_amount, "balance": debt.balance,
                      "demand_amount": contact.content.demand_amount}
            if timely and verified:
                outcomes.append(_hit("US-DISPUTE", Outcome.ALLOW, "VERIFIED",
                                     f"verification sent {dispute.verification_sent_on}; collection may resume",
                                     source, **inputs))
            elif not timely:
                outcomes.append(_hit("US-DISPUTE", Outcome.ALLOW_WITH_FLAG, "DISPUTED",
                                     "oral or late dispute: no cessation duty, but report the debt as disputed",
                                     source, **inputs))
            elif contact.action == Action.FURNISH_CREDIT_REPORT and dispute.disputed_amount is not None:
                outcomes.append(_hit("US-DISPUTE", Outcome.ALLOW_WITH_FLAG, "DISPUTED",
                                     "partially disputed: furnish with the disputed indicator", source, **inputs))
            elif not (_seeks_payment(contact) or contact.action == Action.FURNISH_CREDIT_REPORT):
                outcomes.append(_hit("US-DISPUTE", Outcome.ALLOW_WITH_FLAG, "DISPUTED",
                                     "does not seek payment; must not overshadow the dispute rights", source, **inputs))
            elif dispute.kind == DisputeKind.ORIGINAL_CREDITOR_REQUEST or dispute.disputed_amount is None:
                what = ("original-creditor request" if dispute.kind == DisputeKind.ORIGINAL_CREDITOR_REQUEST
                        else "dispute of the whole debt")
                outcomes.append(_hit("US-DISPUTE", Outcome.BLOCK, "DISPUTE_HOLD",
                                     f"written {what} received {dispute.received_on}: cease collection until "
                                     "verification / original-creditor information is sent", source, **inputs))
            else:
                undisputed = (debt.balance - dispute.disputed_amount) if debt.balance is not None else None
                demand = contact.content.demand_amount
                if undisputed is not None and demand is not None and contact.action == Action.CONTACT and demand <= undisputed:
                    outcomes.append(_hit("US-DISPUTE", Outcome.ALLOW_WITH_FLAG, "UNDISPUTED_PORTION",
                                         f"demand of {demand} is limited to the undisputed {undisputed}", source,
                                         **inputs))
                else:
                    outcomes.append(_hit("US-DISPUTE", Outcome.BLOCK, "DISPUTE_HOLD",
                                         f"seeks the disputed {dispute.disputed_amount} before verification", source,
                                         **inputs))
        if outcomes:
            worst = combine([h.outcome for h in outcomes])
            hits.append(next(h for h in outcomes if h.outcome == worst))
    return hits


def check_uk_dispute(env: Env) -> list[RuleHit]:
    if env.ctx.profile != Profile.UK or not _seeks_payment(env.contact):
        return []
    day = env.date_max
    for debt_id in env.contact.debt_ids:
        for dispute in env.ctx.debt(debt_id).disputes:
            if dispute.received_on > day or (dispute.resolved_on and dispute.resolved_on <= day):
                continue
            if dispute.valid_grounds_possible:
                return [_hit("UK-DISPUTE", Outcome.BLOCK, "DISPUTE_HOLD",
                             f"debt {debt_id} disputed on possibly valid grounds: recovery suspended",
                             "CONC 7.14 [R43]", debt_id=debt_id, received_on=dispute.received_on)]
    return []


# ---------------------------------------------------------------------------------------------------
# Litigation, credit reporting, sale, fees (§2.13-2.15, UK-SBD, §5.1)
# ---------------------------------------------------------------------------------------------------


def check_time_barred(env: Env) -> list[RuleHit]:
    contact, ctx = env.contact, env.ctx
    if env.fdcpa:
        rule_id, source = "US-TBD", "12 CFR 1006.26(b) [R31]"
    elif ctx.profile == Profile.UK:
        rule_id, source = "UK-SBD", "CONC 7.15; Limitation Act 1980 s.5 [R46]"
    else:
        return []
    litigation = contact.action == Action.LAWSUIT or (contact.is_communication and contact.content.threatens_litigation)
    hits = []
    for debt_id in contact.debt_ids:
        debt = ctx.debt(debt_id)
        barred = debt.statute_barred or (debt.sol_expires_on is not None and env.date_max > debt.sol_expires_on)
        inputs = {"debt_id": debt_id, "sol_expires_on": debt.sol_expires_on, "statute_barred": barred}
        if barred and litigation:
            hits.append(_hit(rule_id, Outcome.BLOCK, "TIME_BARRED",
                             "time-barred debt: no lawsuit or threat of suit", source, **inputs))
        elif barred and ctx.us_state in env.policy.time_barred_disclosure_states and contact.is_communication:
            hits.append(_hit(rule_id, Outcome.ALLOW_WITH_FLAG, "STATE_DISCLOSURE",
                             f"time-barred debt: {ctx.us_state} requires a disclosure", source, **inputs))
        elif contact.action == Action.LAWSUIT and debt.sol_expires_on is None and not debt.statute_barred:
            hits.append(_hit(rule_id, Outcome.REVIEW, "SOL_UNKNOWN",
                             "limitation date unknown: review before litigation", source, **inputs))
        elif barred or litigation:
            hits.append(_hit(rule_id, Outcome.ALLOW, "OK",
                             "no litigation language" if barred else "within the limitation period", source, **inputs))
    return hits


def check_credit_reporting(env: Env) -> list[RuleHit]:
    contact = env.contact
    if contact.action != Action.FURNISH_CREDIT_REPORT or not env.fdcpa:
        return []
    source = "12 CFR 1006.30(a); comment 30(a)(1)-2 [R32][R33]"
    hits = []
    for debt_id in contact.debt_ids:
        debt = env.ctx.debt(debt_id)
        spoke = any(
            r.conversation and debt_id in r.debt_ids and r.at <= contact.at and r.person_id is None
            for r in env.ctx.history
        )
        inputs = {"debt_id": debt_id, "spoke_to_consumer": spoke, "info_sent_on": debt.info_sent_on,
                  "info_undeliverable_on": debt.info_undeliverable_on}
        if spoke:
            hits.append(_hit("US-CRA", Outcome.ALLOW, "SPOKE_TO_CONSUMER",
                             "spoke to the consumer about the debt", source, **inputs))
            continue
        sent = debt.info_sent_on
        if sent is None:
            hits.append(_hit("US-CRA", Outcome.BLOCK, "NO_PRIOR_CONTACT",
                             "no conversation and no letter/message about the debt yet", source, **inputs))
        elif debt.info_undeliverable_on is not None and debt.info_undeliverable_on >= sent:
            hits.append(_hit("US-CRA", Outcome.BLOCK, "UNDELIVERABLE",
                             f"the message of {sent} came back undeliverable on {debt.info_undeliverable_on}",
                             source, **inputs))
        else:
            earliest = sent + dt.timedelta(days=env.policy.cra_wait_days + 1)
            inputs["earliest_furnish_on"] = earliest
            if env.date_min >= earliest:
                hits.append(_hit("US-CRA", Outcome.ALLOW, "WAITED",
                                 f"{env.policy.cra_wait_days} days elapsed after {sent} with no undeliverable notice",
                                 source, **inputs))
            else:
                hits.append(_hit("US-CRA", Outcome.BLOCK, "WAITING_FOR_UNDELIVERABLE",
                                 f"wait until {earliest} for a notice of undeliverability", source,
                                 next_allowed_at=max(_midnight(earliest, z) for z in env.zones), **inputs))
    return hits


def check_sale(env: Env) -> list[RuleHit]:
    if env.contact.action != Action.SELL_OR_PLACE or not env.fdcpa:
        return []
    hits = []
    for debt_id in env.contact.debt_ids:
        debt = env.ctx.debt(debt_id)
        flags = [name for name, value in (("paid_in_full", debt.paid_in_full), ("settled", debt.settled),
                                          ("bankruptcy_discharged", debt.bankruptcy_discharged),
                                          ("identity_theft_report", debt.identity_theft_report)) if value]
        outcome, code = (Outcome.BLOCK, "SALE_PROHIBITED") if flags else (Outcome.ALLOW, "OK")
        hits.append(_hit("US-SALE", outcome, code, f"debt flags: {', '.join(flags) or 'none'}",
                         "12 CFR 1006.30(b) [R32]", debt_id=debt_id, flags=flags))
    return hits


def check_late_payment_fee(env: Env) -> list[RuleHit]:
    contact, ctx = env.contact, env.ctx
    if contact.action != Action.CHARGE_FEE or contact.fee_kind not in (FeeKind.LPD_COMPENSATION, FeeKind.LPD_INTEREST):
        return []
    source = "Directive 2011/7/EU Art 1-6 [R49][R50][R51]"
    inputs = {"fee_kind": contact.fee_kind, "debt_purpose": ctx.debt_purpose}
    if ctx.debt_purpose != DebtPurpose.COMMERCIAL:
        return [_hit("EU-LPD", Outcome.BLOCK, "NOT_COMMERCIAL",
                     "statutory late-payment interest/compensation applies to commercial transactions only",
                     source, **inputs)]
    return [_hit("EU-LPD", Outcome.ALLOW, "OK", "commercial transaction", source, **inputs)]


# ---------------------------------------------------------------------------------------------------
# TCPA (§3)
# ---------------------------------------------------------------------------------------------------


def check_tcpa(env: Env) -> list[RuleHit]:
    contact, ctx = env.contact, env.ctx
    if not env.policy.tcpa or not contact.is_communication or contact.channel not in _TELEPHONE_COMMUNICATIONS:
        return []
    automated = contact.dial_mode in AUTOMATED_DIAL_MODES or contact.dial_mode.value == "preview" or (
        contact.channel == Channel.SMS and contact.initiated_by == Initiator.AUTOMATIC
    )
    # An unknown line type is treated as mobile: US numbers do not reveal it [POLICY].
    mobile = contact.number_type in (NumberType.MOBILE, None)
    source = "47 U.S.C. 227(b)(1); 47 CFR 64.1200(a)(10) [R36][R37][R39]"
    inputs = {"dial_mode": contact.dial_mode, "number_type": contact.number_type, "destination": contact.destination,
              "automated": automated}
    if not automated:
        return [_hit("TCPA", Outcome.ALLOW, "MANUAL", "manually dialled", source, **inputs)]
    number = _norm(contact.destination)
    consents = [c for c in ctx.tcpa_consents if _norm(c.number) == number and c.given_at <= contact.at]
    revocations = [
        r for r in ctx.tcpa_revocations
        if (r.number is None or _norm(r.number) == number) and r.at <= contact.at
    ]
    latest_consent = max((c.given_at for c in consents), default=None)
    revoked = [r for r in revocations if latest_consent is None or r.at >= latest_consent]
    if revoked:
        last = max(revoked, key=lambda r: r.at)
        return [_hit("TCPA", Outcome.BLOCK, "CONSENT_REVOKED",
                     f"consent revoked on {last.at:%Y-%m-%d} ({last.wording or 'reasonable means'})", source,
                     revoked_at=last.at, **inputs)]
    if mobile and latest_consent is None:
        return [_hit("TCPA", Outcome.BLOCK, "NO_CONSENT",
                     "automated call/text to a mobile number without prior express consent", source, **inputs)]
    if not mobile and contact.dial_mode in (contact.dial_mode.PRERECORDED, contact.dial_mode.ARTIFICIAL_VOICE):
        return [_hit("TCPA", Outcome.ALLOW_WITH_FLAG, "RESIDENTIAL_PRERECORDED",
                     "prerecorded call to a residential line: check 64.1200(a)(3) limits", source, **inputs)]
    return [_hit("TCPA", Outcome.ALLOW, "CONSENT", "prior express consent on file", source,
                 consent_given_at=latest_consent, **inputs)]


_ALL_CHECKS: tuple[Callable[[Env], list[RuleHit]], ...] = (
    check_scope,
    check_do_not_contact,
    check_bankruptcy,
    check_breathing_space,
    check_cease,
    check_attorney,
    check_medium_opt_out,
    check_electronic,
    check_tcpa,
    check_place,
    check_third_party,
    check_disclosure,
    check_privacy_notice,
    check_us_dispute,
    check_uk_dispute,
    check_time_barred,
    check_credit_reporting,
    check_sale,
    check_late_payment_fee,
    check_vulnerability,
    check_time,
    check_holidays,
    check_reg_f_frequency,
    check_channel_caps,
    check_state_overlay,
    check_rbi_frequency,
)


def run_checks(env: Env) -> tuple[list[RuleHit], list[str]]:
    hits: list[RuleHit] = []
    for check in _ALL_CHECKS:
        hits.extend(check(env))
    validation_hits, alerts = check_validation(env)
    hits.extend(validation_hits)
    return hits, alerts
