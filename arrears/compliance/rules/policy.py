"""Per-jurisdiction configuration: contact windows, frequency caps, holidays, product policy switches.

`policy_for(profile)` gives the defaults of COMPLIANCE.md; `policy_from_dict(profile, overrides)`
applies configuration (e.g. from a Django setting) with clear errors. Everything marked [POLICY] in
the reference document is a field here so counsel can change it without code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Channel, ComplianceInputError, Profile

US_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)

ALL_COMMUNICATION_CHANNELS = frozenset(
    {Channel.PHONE, Channel.VOICEMAIL, Channel.SMS, Channel.EMAIL, Channel.VISIT, Channel.SOCIAL_MEDIA}
)


@dataclass(frozen=True, slots=True)
class ContactWindow:
    """Allowed local hours: start inclusive, end exclusive, minute precision."""

    start: dt.time
    end: dt.time
    channels: frozenset[Channel] = ALL_COMMUNICATION_CHANNELS

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ComplianceInputError(f"window: start {self.start} must be before end {self.end}")

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        return self.end.hour * 60 + self.end.minute


@dataclass(frozen=True, slots=True)
class ChannelCap:
    """At most `max_count` outbound contacts on `channels` in `days` consecutive local days (the
    proposed one included), counted per person and per debt (or per person when per_debt is False)."""

    rule_id: str
    channels: frozenset[Channel]
    max_count: int
    days: int
    per_debt: bool = True
    count_unconnected: bool = True
    source: str = "[POLICY] configurable cap"

    def __post_init__(self) -> None:
        if self.max_count < 0 or self.days < 1:
            raise ComplianceInputError(f"cap {self.rule_id}: max_count >= 0 and days >= 1 required")


@dataclass(frozen=True, slots=True)
class StateCallCap:
    """A state overlay such as Massachusetts 940 CMR 7.04(1)(f): telephone communications initiated to
    personal numbers per `personal_days`, and to other numbers per `other_days`, for each debt."""

    personal_max: int
    personal_days: int
    other_max: int
    other_days: int
    applies_to_first_party: bool = True
    source: str = ""


MASSACHUSETTS = StateCallCap(
    personal_max=2,
    personal_days=7,
    other_max=2,
    other_days=30,
    source="940 CMR 7.04(1)(f) [R14]",
)


@dataclass(frozen=True, slots=True)
class Policy:
    profile: Profile
    time_rule_id: str
    time_source: str
    window: ContactWindow | None
    default_zones: tuple[str, ...]  # candidate zones when nothing is known about the location
    # US Regulation F and friends
    fdcpa: bool = False  # §2 rule family applies to this profile at all (then scoped by actor)
    tcpa: bool = False
    apply_reg_f_to_first_party: bool = True  # [POLICY §1]
    apply_validation_to_first_party: bool = False  # validation notices are a debt-collector duty
    reg_f_call_cap: int = 7  # 1006.14(b)(2)(i): more than 7 calls in 7 days
    reg_f_days: int = 7
    post_conversation_days: int = 7  # 1006.14(b)(2)(ii): conversation date is day 1
    call_consent_days: int = 7  # 1006.14(b)(3)(i)
    validation_due_days: int = 5
    validation_receipt_business_days: int = 5
    validation_period_days: int = 30
    cra_wait_days: int = 14  # comment 30(a)(1)-2; furnish on sent + 15 [POLICY]
    attorney_no_response_days: int = 30  # [POLICY §2.7]
    state_caps: Mapping[str, StateCallCap] = field(default_factory=dict)
    time_barred_disclosure_states: frozenset[str] = frozenset()  # flag contacts on time-barred debt
    # caps for channels outside the Reg F presumption and for other profiles
    channel_caps: tuple[ChannelCap, ...] = ()
    # India: calls per borrower per local day, and calls after a same-day conversation
    daily_call_cap: int | None = None
    calls_after_conversation_same_day: int | None = None
    # Calendar
    block_public_holidays: bool = False
    quiet_weekdays: frozenset[int] = frozenset()  # 0 = Monday
    # UK
    breathing_space_standard_days: int = 60
    # GDPR (UK, EU)
    gdpr: bool = False

    def replace(self, **changes: Any) -> Policy:
        return dataclasses.replace(self, **changes)


_US_CAPS = (
    ChannelCap("US-FREQ", frozenset({Channel.SMS}), 3, 7, source="[POLICY] §2.4 SMS cap, 1006.14(a)"),
    ChannelCap("US-FREQ", frozenset({Channel.EMAIL}), 3, 7, source="[POLICY] §2.4 email cap, 1006.14(a)"),
)

_DEFAULTS: dict[Profile, Policy] = {
    Profile.US_CONSUMER: Policy(
        profile=Profile.US_CONSUMER,
        time_rule_id="US-TIME",
        time_source="12 CFR 1006.6(b)(1)(i); 15 U.S.C. 1692c(a)(1) [R4][R5]",
        window=ContactWindow(dt.time(8), dt.time(21)),
        default_zones=US_ZONES,
        fdcpa=True,
        tcpa=True,
        state_caps={"MA": MASSACHUSETTS},
        channel_caps=_US_CAPS,
    ),
    Profile.US_COMMERCIAL: Policy(
        profile=Profile.US_COMMERCIAL,
        time_rule_id="B2B-TIME",
        time_source="[POLICY] business courtesy window; FDCPA does not bind commercial debt (§1)",
        window=ContactWindow(dt.time(8), dt.time(21)),
        default_zones=US_ZONES,
        tcpa=True,
    ),
    Profile.UK: Policy(
        profile=Profile.UK,
        time_rule_id="UK-CONTACT",
        time_source="CONC 7.9 (7.9.7R, 7.9.10R) [R45]; [POLICY] 08:00-21:00",
        window=ContactWindow(dt.time(8), dt.time(21)),
        default_zones=("Europe/London",),
        channel_caps=(
            ChannelCap("UK-CONTACT", frozenset({Channel.PHONE, Channel.VOICEMAIL}), 7, 7, source="[POLICY] CONC 7.9"),
            ChannelCap("UK-CONTACT", frozenset({Channel.SMS}), 3, 7, source="[POLICY] CONC 7.9"),
            ChannelCap("UK-CONTACT", frozenset({Channel.EMAIL}), 3, 7, source="[POLICY] CONC 7.9"),
        ),
        block_public_holidays=True,
        gdpr=True,
    ),
    Profile.EU_B2B: Policy(
        profile=Profile.EU_B2B,
        time_rule_id="B2B-TIME",
        time_source="[POLICY] business courtesy window",
        window=ContactWindow(dt.time(8), dt.time(21)),
        default_zones=("Europe/Lisbon", "Europe/Berlin", "Europe/Helsinki"),
        block_public_holidays=True,
        gdpr=True,
    ),
    Profile.IN: Policy(
        profile=Profile.IN,
        time_rule_id="RBI",
        time_source="RBI/2022-23/108 (12 Aug 2022) [R56][R57]",
        window=ContactWindow(
            dt.time(8), dt.time(19), frozenset({Channel.PHONE, Channel.VOICEMAIL, Channel.SMS, Channel.VISIT})
        ),
        default_zones=("Asia/Kolkata",),
        daily_call_cap=3,
        calls_after_conversation_same_day=1,
    ),
}


def policy_for(profile: Profile | str) -> Policy:
    try:
        return _DEFAULTS[Profile(profile)]
    except ValueError as exc:
        raise ComplianceInputError(f"profile: unknown profile {profile!r}") from exc


def _parse_time(name: str, value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise ComplianceInputError(f"{name}: expected HH:MM, got {value!r}") from exc


def _parse_channels(name: str, values: Any) -> frozenset[Channel]:
    try:
        return frozenset(Channel(v) for v in values)
    except (ValueError, TypeError) as exc:
        raise ComplianceInputError(f"{name}: unknown channel in {values!r}") from exc


def policy_from_dict(profile: Profile | str, overrides: Mapping[str, Any]) -> Policy:
    """The profile's defaults with configured overrides, e.g.
    {"window": {"start": "09:00", "end": "20:00"}, "channel_caps": [{"channels": ["sms"], "max_count": 2,
    "days": 7}], "block_public_holidays": true, "apply_reg_f_to_first_party": false}."""
    base = policy_for(profile)
    changes: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(Policy)} - {"profile"}
    for key, value in overrides.items():
        if key not in names:
            raise ComplianceInputError(f"policy.{key}: unknown setting for profile {base.profile.value}")
        if key == "window":
            if value is None:
                changes[key] = None
            else:
                channels = value.get("channels")
                changes[key] = ContactWindow(
                    _parse_time("policy.window.start", value.get("start")),
                    _parse_time("policy.window.end", value.get("end")),
                    _parse_channels("policy.window.channels", channels)
                    if channels is not None
                    else ALL_COMMUNICATION_CHANNELS,
                )
        elif key == "channel_caps":
            caps = []
            for i, cap in enumerate(value):
                try:
                    caps.append(
                        ChannelCap(
                            rule_id=str(cap.get("rule_id", base.time_rule_id.replace("TIME", "FREQ"))),
                            channels=_parse_channels(f"policy.channel_caps[{i}].channels", cap["channels"]),
                            max_count=int(cap["max_count"]),
                            days=int(cap["days"]),
                            per_debt=bool(cap.get("per_debt", True)),
                            count_unconnected=bool(cap.get("count_unconnected", True)),
                            source=str(cap.get("source", "[POLICY] configured cap")),
                        )
                    )
                except KeyError as exc:
                    raise ComplianceInputError(f"policy.channel_caps[{i}]: missing {exc.args[0]!r}") from exc
            changes[key] = tuple(caps)
        elif key == "state_caps":
            changes[key] = {
                str(state).upper(): StateCallCap(**cap) if isinstance(cap, Mapping) else cap
                for state, cap in value.items()
            }
        elif key in ("quiet_weekdays", "time_barred_disclosure_states"):
            changes[key] = frozenset(value)
        elif key == "default_zones":
            changes[key] = tuple(value)
        else:
            expected = type(getattr(base, key))
            if getattr(base, key) is not None and not isinstance(value, expected):
                raise ComplianceInputError(
                    f"policy.{key}: expected {expected.__name__}, got {type(value).__name__}"
                )
            changes[key] = value
    return base.replace(**changes)
