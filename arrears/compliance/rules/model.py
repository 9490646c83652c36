"""The facts the rules read: one planned contact and the context it happens in (COMPLIANCE.md §0.2).

Everything is a frozen dataclass of plain values so the engine stays a pure function: the Django side
loads the facts, the engine decides, the Django side stores the decision. Instants are aware
datetimes (UTC or any zone); business dates are `date`s; money is `Decimal`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class ComplianceInputError(ValueError):
    """A planned contact or its context is malformed; the message names the field."""


class Profile(StrEnum):
    US_CONSUMER = "us_consumer"
    US_COMMERCIAL = "us_commercial"
    UK = "uk"
    EU_B2B = "eu_b2b"
    IN = "in"


class Channel(StrEnum):
    PHONE = "phone"
    VOICEMAIL = "voicemail"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"
    SOCIAL_MEDIA = "social_media"


CALL_CHANNELS = frozenset({Channel.PHONE, Channel.VOICEMAIL})
ELECTRONIC_CHANNELS = frozenset({Channel.SMS, Channel.EMAIL, Channel.SOCIAL_MEDIA})


class Action(StrEnum):
    CONTACT = "contact"
    FURNISH_CREDIT_REPORT = "furnish_credit_report"
    SELL_OR_PLACE = "sell_or_place"
    LAWSUIT = "lawsuit"
    CHARGE_FEE = "charge_fee"


class Purpose(StrEnum):
    COLLECTION = "collection"  # seeks payment
    TERMINATION_NOTICE = "termination_notice"  # 1006.6(c)(1)
    REMEDY_MAY_INVOKE = "remedy_may_invoke"  # 1006.6(c)(2)
    REMEDY_INTENDS_TO_INVOKE = "remedy_intends_to_invoke"  # 1006.6(c)(3)
    VALIDATION_NOTICE = "validation_notice"
    REQUIRED_NOTICE = "required_notice"  # non-demand notice required by law
    LOCATION_INFO = "location_info"  # 1692b location contact with a third party
    LEGAL_WORKFLOW = "legal_workflow"  # proof of claim, stay-relief motion (via counsel)


CEASE_EXCEPTIONS = frozenset(
    {Purpose.TERMINATION_NOTICE, Purpose.REMEDY_MAY_INVOKE, Purpose.REMEDY_INTENDS_TO_INVOKE}
)


class Initiator(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class RecipientKind(StrEnum):
    DEBTOR = "debtor"  # the consumer / the business debtor's contact person
    SPOUSE = "spouse"
    GUARDIAN = "guardian"
    EXECUTOR = "executor"
    ATTORNEY = "attorney"  # the debtor's attorney
    THIRD_PARTY = "third_party"
    EMPLOYER = "employer"


# 1006.6(a): persons treated as "the consumer" for communication purposes.
CONSUMER_LIKE = frozenset({RecipientKind.DEBTOR, RecipientKind.SPOUSE, RecipientKind.GUARDIAN, RecipientKind.EXECUTOR})


class NumberType(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    WORK = "work"


class DialMode(StrEnum):
    MANUAL = "manual"
    PREVIEW = "preview"
    PREDICTIVE = "predictive"
    PRERECORDED = "prerecorded"
    ARTIFICIAL_VOICE = "artificial_voice"


# [POLICY] §3: these modes need TCPA consent on any mobile number.
AUTOMATED_DIAL_MODES = frozenset({DialMode.PREDICTIVE, DialMode.PRERECORDED, DialMode.ARTIFICIAL_VOICE})


class ActorType(StrEnum):
    THIRD_PARTY_COLLECTOR = "third_party_collector"
    DEBT_BUYER = "debt_buyer"
    FIRST_PARTY_CREDITOR = "first_party_creditor"
    SERVICER_PRE_DEFAULT = "servicer_pre_default"


DEBT_COLLECTORS = frozenset({ActorType.THIRD_PARTY_COLLECTOR, ActorType.DEBT_BUYER})


class DebtPurpose(StrEnum):
    CONSUMER = "consumer"
    COMMERCIAL = "commercial"
    UNKNOWN = "unknown"  # treated as consumer [POLICY §2.1]


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class CallOutcome(StrEnum):
    CONNECTED = "connected"
    NOT_CONNECTED = "not_connected"  # busy, not in service: excluded from 7-in-7 (1006.14(b)(3))
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"


class FeeKind(StrEnum):
    CONTRACT_FEE = "contract_fee"
    INTEREST = "interest"
    LPD_COMPENSATION = "lpd_compensation"  # EUR 40 fixed compensation, Directive 2011/7/EU Art 6
    LPD_INTEREST = "lpd_interest"  # statutory late-payment interest, Art 3/4


class DisputeKind(StrEnum):
    DISPUTE = "dispute"
    ORIGINAL_CREDITOR_REQUEST = "original_creditor_request"


class BreathingSpaceKind(StrEnum):
    STANDARD = "standard"
    MENTAL_HEALTH = "mental_health"


def _require_aware(name: str, value: dt.datetime | None) -> None:
    if value is None:
        return
    if not isinstance(value, dt.datetime):
        raise ComplianceInputError(f"{name}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ComplianceInputError(f"{name}: datetime must be timezone-aware, got {value.isoformat()}")


# ---------------------------------------------------------------------------------------------------
# The planned contact
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Content:
    """What the rendered message says, as the template linter reports it. Defaults describe a compliant
    collection message; the communications layer must set them from the actual rendered content."""

    demands_payment: bool | None = None  # None: derived from the purpose (collection => True)
    demand_amount: Decimal | None = None  # None with a demand = the whole balance
    mentions_debt: bool = True
    opt_out_statement: bool = True  # 1006.6(e) for email/SMS
    collector_disclosure: bool = True  # 1006.18(e) mini-Miranda
    threatens_litigation: bool = False
    privacy_notice: bool = True  # GDPR Art 14 notice included
    limited_content: bool = False  # a 1006.2(j) limited-content voicemail


@dataclass(frozen=True, slots=True)
class PlannedContact:
    """One outbound action about to happen (§0.1 "Action")."""

    at: dt.datetime  # when it will be placed/sent (aware)
    debt_ids: tuple[str, ...]
    channel: Channel | None = None  # required for Action.CONTACT
    action: Action = Action.CONTACT
    purpose: Purpose = Purpose.COLLECTION
    initiated_by: Initiator = Initiator.AUTOMATIC
    recipient: RecipientKind = RecipientKind.DEBTOR
    recipient_id: str | None = None  # person id; None = the debtor
    destination: str | None = None  # phone number / email address / postal address
    number_type: NumberType | None = None
    dial_mode: DialMode = DialMode.MANUAL
    email_employer_provided: bool = False
    email_used_by_consumer: bool = False  # consumer used this address to write to us
    email_direct_consent: bool = False
    social_media_public: bool = False
    location_contact_requested: bool = False  # 1692b(3): the third party asked us to call back
    replies_to_consumer_contact: bool = False  # comment 6(b)(1)-2: respond once in the same medium
    fee_kind: FeeKind | None = None
    content: Content = field(default_factory=Content)

    def __post_init__(self) -> None:
        _require_aware("contact.at", self.at)
        if not self.debt_ids:
            raise ComplianceInputError("contact.debt_ids: at least one debt id is required")
        if self.action == Action.CONTACT and self.channel is None:
            raise ComplianceInputError("contact.channel: required when action is 'contact'")
        if self.action == Action.CHARGE_FEE and self.fee_kind is None:
            raise ComplianceInputError("contact.fee_kind: required when action is 'charge_fee'")

    @property
    def demands_payment(self) -> bool:
        if self.content.demands_payment is not None:
            return self.content.demands_payment
        return self.purpose == Purpose.COLLECTION

    @property
    def is_communication(self) -> bool:
        return self.action == Action.CONTACT

    @property
    def is_call(self) -> bool:
        return self.channel in CALL_CHANNELS


# ---------------------------------------------------------------------------------------------------
# The context
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    country: str  # ISO 3166-1 alpha-2
    region: str = ""  # US state code, UK nation, ...
    city: str = ""
    postal_code: str = ""
    time_zone: str = ""  # set when geocoded; wins over the region table


@dataclass(frozen=True, slots=True)
class Location:
    """Candidate locations of the debtor (§2.2)."""

    addresses: tuple[Address, ...] = ()
    phones: tuple[str, ...] = ()  # E.164 numbers on file
    stated_time_zone: str = ""  # consumer-stated location, not confirmed: added to the candidates
    confirmed_time_zone: str = ""  # confirmed with a date: replaces every inferred zone [POLICY §2.2]
    confirmed_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class LocalWindow:
    """A designated-inconvenient local time span, e.g. "never before 10 a.m." = 00:00-10:00.
    `end` is exclusive; a window with start > end wraps past midnight. Weekdays: 0=Monday."""

    start: dt.time
    end: dt.time
    weekdays: frozenset[int] = frozenset(range(7))

    def covers(self, local: dt.datetime) -> bool:
        if local.weekday() not in self.weekdays:
            return False
        t = local.time().replace(tzinfo=None, second=0, microsecond=0)
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end


@dataclass(frozen=True, slots=True)
class TimeConsent:
    """Direct prior consent to be contacted in [starts_at, ends_at] (1006.6(b)(4))."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    channels: frozenset[Channel] = frozenset()  # empty = any channel

    def __post_init__(self) -> None:
        _require_aware("time_consent.starts_at", self.starts_at)
        _require_aware("time_consent.ends_at", self.ends_at)


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One past contact (the call/message log, §0.2)."""

    at: dt.datetime
    channel: Channel
    debt_ids: tuple[str, ...]
    direction: Direction = Direction.OUTBOUND
    outcome: CallOutcome = CallOutcome.CONNECTED
    conversation: bool = False  # a telephone conversation about the debt(s) took place
    person_id: str | None = None  # None = the debtor
    recipient: RecipientKind = RecipientKind.DEBTOR
    destination: str | None = None
    number_type: NumberType | None = None

    def __post_init__(self) -> None:
        _require_aware("history.at", self.at)


@dataclass(frozen=True, slots=True)
class CallConsent:
    """Direct prior consent to more calls ("call me tomorrow at noon"): calls within 7 days after it
    are excluded from the frequency presumptions (1006.14(b)(3)(i))."""

    given_at: dt.datetime
    debt_ids: tuple[str, ...] = ()  # empty = all debts

    def __post_init__(self) -> None:
        _require_aware("call_consent.given_at", self.given_at)


@dataclass(frozen=True, slots=True)
class CeaseNotice:
    received_on: dt.date
    written: bool = True  # letters, response form, accepted e-mail/portal [POLICY §2.6]
    debt_ids: tuple[str, ...] = ()  # empty = all debts of the consumer


@dataclass(frozen=True, slots=True)
class MediumOptOut:
    """"Stop calling me" (1006.14(h)): the whole medium unless a destination is named."""

    channel: Channel
    at: dt.datetime
    destination: str | None = None

    def __post_init__(self) -> None:
        _require_aware("MediumOptOut.at", self.at)


@dataclass(frozen=True, slots=True)
class ElectronicOptOut:
    """An opt-out of one electronic address or number (1006.6(e)), e.g. a "Stop" reply."""

    channel: Channel
    destination: str
    at: dt.datetime

    def __post_init__(self) -> None:
        _require_aware("ElectronicOptOut.at", self.at)


@dataclass(frozen=True, slots=True)
class TcpaConsent:
    number: str
    given_at: dt.datetime
    source: str = ""

    def __post_init__(self) -> None:
        _require_aware("TcpaConsent.given_at", self.given_at)


@dataclass(frozen=True, slots=True)
class TcpaRevocation:
    at: dt.datetime
    number: str | None = None  # None = every number
    wording: str = ""

    def __post_init__(self) -> None:
        _require_aware("TcpaRevocation.at", self.at)


@dataclass(frozen=True, slots=True)
class AttorneyRepresentation:
    known_on: dt.date
    name_address_known: bool = True
    debt_ids: tuple[str, ...] = ()  # empty = all debts
    attorney_contacted_on: dt.date | None = None  # our last unanswered contact to the attorney
    consented_to_direct_contact: bool = False


@dataclass(frozen=True, slots=True)
class Bankruptcy:
    petition_date: dt.date | None  # None = notice without a verified date: block until verified
    chapter: int | None = None
    discharge_date: dt.date | None = None
    codebtor_consumer_debt_ids: tuple[str, ...] = ()  # Chapter 13 co-debtor stay (11 U.S.C. 1301)


@dataclass(frozen=True, slots=True)
class BreathingSpace:
    kind: BreathingSpaceKind
    started_on: dt.date
    ends_on: dt.date | None = None  # None: standard = start + 60 days; mental health = open-ended


@dataclass(frozen=True, slots=True)
class Dispute:
    received_on: dt.date
    kind: DisputeKind = DisputeKind.DISPUTE
    written: bool = True
    disputed_amount: Decimal | None = None  # None = the whole debt
    postmarked_on: dt.date | None = None  # a mailed dispute postmarked in time is timely [POLICY §2.10]
    verification_sent_on: dt.date | None = None  # verification / OC name and address sent
    valid_grounds_possible: bool = True  # UK CONC 7.14
    resolved_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Debt:
    """Per-debt facts."""

    debt_id: str
    balance: Decimal | None = None
    currency: str = ""
    incurred_on: dt.date | None = None  # pre-/post-petition split for bankruptcy; None = pre-petition
    initial_communication_on: dt.date | None = None
    validation_in_initial_communication: bool = False
    validation_provided_on: dt.date | None = None
    disputes: tuple[Dispute, ...] = ()
    sol_expires_on: dt.date | None = None  # US statute of limitations / UK limitation
    statute_barred: bool = False
    paid_in_full: bool = False
    settled: bool = False
    bankruptcy_discharged: bool = False
    identity_theft_report: bool = False
    info_sent_on: dt.date | None = None  # letter/e-message about the debt (1006.30(a)(1)(ii))
    info_undeliverable_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ContactContext:
    """The facts of §0.2 for one debtor as of the moment of the check."""

    profile: Profile
    actor_type: ActorType = ActorType.THIRD_PARTY_COLLECTOR
    debt_purpose: DebtPurpose = DebtPurpose.CONSUMER
    state: str = ""  # US state (for overlays); defaults to the first US address's region
    location: Location = field(default_factory=Location)
    holiday_country: str = ""  # defaults to the first address's country
    holiday_subdivision: str = ""
    debts: tuple[Debt, ...] = ()
    history: tuple[ContactRecord, ...] = ()
    inconvenient_windows: tuple[LocalWindow, ...] = ()
    time_consents: tuple[TimeConsent, ...] = ()
    call_consents: tuple[CallConsent, ...] = ()
    cease_notices: tuple[CeaseNotice, ...] = ()
    medium_opt_outs: tuple[MediumOptOut, ...] = ()
    electronic_opt_outs: tuple[ElectronicOptOut, ...] = ()
    tcpa_consents: tuple[TcpaConsent, ...] = ()
    tcpa_revocations: tuple[TcpaRevocation, ...] = ()
    do_not_contact: bool = False
    attorney: AttorneyRepresentation | None = None
    bankruptcy: Bankruptcy | None = None
    breathing_space: BreathingSpace | None = None
    vulnerable: bool = False
    employer_prohibits_work_contact: bool = False
    work_contact_inconvenient: bool = False
    location_contacted_person_ids: tuple[str, ...] = ()  # third parties already asked for location
    privacy_notice_given: bool = False  # GDPR Art 14 information already provided

    def debt(self, debt_id: str) -> Debt:
        for debt in self.debts:
            if debt.debt_id == debt_id:
                return debt
        return Debt(debt_id=debt_id)

    @property
    def us_state(self) -> str:
        if self.state:
            return self.state.upper()
        for address in self.location.addresses:
            if address.country.upper() == "US" and address.region:
                return address.region.upper()
        return ""
