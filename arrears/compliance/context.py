"""The rules' facts from the ledger: one `ContactContext` (and `PlannedContact`) per planned contact.

`ledger_facts_load` reads everything a batch of planned contacts needs in a fixed number of queries
(contacts with their channel consents, contact attempts in the look-back window, the documents
concerned); `planned_contact_build` and `contact_context_build` are pure functions of those facts.

Mapping (docs/compliance.md "The ledger side" explains each choice):

- profile: `Customer.jurisdiction`; "other" -> `profile_for_customer` (by country and kind).
- debt purpose: `Customer.kind` (consumer / commercial). Actor type: `settings.COMPLIANCE_ACTOR_TYPE`.
- location: addresses and phone numbers of the customer's contacts (a consumer's contacts are all the
  same person, so all of them; for a business, the contact person addressed), `Customer.timezone` as
  a stated zone (added to the candidates, never narrowing them).
- holidays: the customer's country, else the contact's, else the business unit's (with its subdivision).
- consent: `ChannelConsent` opted_out -> electronic opt-out (email, sms) or medium opt-out (phone,
  letter) of that address/number, plus a TCPA revocation for phone/sms; granted phone/sms -> TCPA consent.
- holds: do_not_contact, cease_communication (written, all debts), attorney_represented,
  bankruptcy (no verified petition date: blocks until the date is recorded). `paused` is applied by
  the service (HOLD-PAUSED), it is product policy with no rule in the engine.
- history: `ContactAttempt` rows before the planned instant, back as far as the longest window of the
  profile's policy; an attempt without debts concerns every debt of the account.
- disputes: none until a disputes app registers a loader with `dispute_source_register`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Q

from arrears.compliance.models import AttemptOutcome, ContactAttempt
from arrears.compliance.models import Direction as AttemptDirection
from arrears.compliance.rules import (
    ActorType,
    Address,
    AttorneyRepresentation,
    Bankruptcy,
    CallOutcome,
    CeaseNotice,
    Channel,
    ContactContext,
    ContactRecord,
    Content,
    Debt,
    DebtPurpose,
    DialMode,
    Direction,
    Dispute,
    ElectronicOptOut,
    Initiator,
    Location,
    MediumOptOut,
    PlannedContact,
    Policy,
    Profile,
    Purpose,
    TcpaConsent,
    TcpaRevocation,
    policy_from_dict,
)
from arrears.ledger.models import (
    BusinessUnit,
    ChannelConsent,
    ConsentStatus,
    Contact,
    Customer,
    CustomerKind,
    Document,
    DocumentKind,
    DocumentStatus,
)

# A hold or opt-out recorded without a date has been in force "forever".
SINCE_EVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ACCOUNT_DEBT = "account"  # the debt key of a contact about an account with no open documents
OPEN_STATUSES = (DocumentStatus.OPEN, DocumentStatus.PARTIALLY_PAID)

_EU = frozenset(
    ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH"]
)

# ---------------------------------------------------------------------------------------------------
# The disputes hook: compliance sits below the disputes app, so disputes are pushed in, not pulled.
# ---------------------------------------------------------------------------------------------------

DisputeLoader = Callable[..., Mapping[int, Sequence[Dispute]]]
_DISPUTE_SOURCES: list[DisputeLoader] = []


def dispute_source_register(loader: DisputeLoader) -> None:
    """Register `loader(*, document_ids: list[int]) -> {document_id: [Dispute, ...]}`.

    The disputes app calls this from its AppConfig.ready(); until then no debt is disputed."""
    if loader not in _DISPUTE_SOURCES:
        _DISPUTE_SOURCES.append(loader)


def dispute_source_unregister(loader: DisputeLoader) -> None:
    if loader in _DISPUTE_SOURCES:
        _DISPUTE_SOURCES.remove(loader)


def disputes_for_documents(document_ids: Iterable[int]) -> dict[int, tuple[Dispute, ...]]:
    ids = sorted(set(document_ids))
    found: dict[int, list[Dispute]] = defaultdict(list)
    if not ids:
        return {}
    for loader in _DISPUTE_SOURCES:
        for document_id, disputes in loader(document_ids=ids).items():
            found[int(document_id)].extend(disputes)
    return {k: tuple(v) for k, v in found.items()}


# ---------------------------------------------------------------------------------------------------
# Profile and policy
# ---------------------------------------------------------------------------------------------------


def profile_for_customer(customer: Customer, business_unit: BusinessUnit | None = None) -> Profile:
    """The jurisdiction profile; "other" is read from the country (the customer's, else the unit's)."""
    if customer.jurisdiction in Profile._value2member_map_:
        return Profile(customer.jurisdiction)
    country = (customer.country or (business_unit.country if business_unit else "")).upper()
    if country == "US":
        return Profile.US_CONSUMER if customer.kind == CustomerKind.CONSUMER else Profile.US_COMMERCIAL
    if country == "GB":
        return Profile.UK
    if country == "IN":
        return Profile.IN
    # Everyone else gets the business-courtesy profile: 08:00-21:00 local, the debtor's holidays.
    return Profile.EU_B2B


def policy_for_profile(profile: Profile) -> Policy:
    """The profile's defaults with `settings.COMPLIANCE_POLICIES[profile]` applied (read at call time)."""
    overrides = (getattr(settings, "COMPLIANCE_POLICIES", None) or {}).get(profile.value, {})
    return policy_from_dict(profile, overrides)


def actor_type() -> ActorType:
    return ActorType(getattr(settings, "COMPLIANCE_ACTOR_TYPE", ActorType.FIRST_PARTY_CREDITOR.value))


def history_days(policy: Policy) -> int:
    """How many days of contact history the policy's windows look at (plus a day for zone offsets)."""
    days = [policy.reg_f_days, policy.post_conversation_days, policy.call_consent_days, 1]
    days += [cap.days for cap in policy.channel_caps]
    days += [max(cap.personal_days, cap.other_days) for cap in policy.state_caps.values()]
    return max(days) + 1


# ---------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class DocumentFacts:
    pk: int
    customer_id: int
    external_id: str
    issue_date: dt.date
    open_amount: Any
    currency: str
    status: str


class AttemptFacts(NamedTuple):
    at: dt.datetime
    channel: str
    direction: str
    outcome: str
    contact_id: int | None
    debt_ids: list[int]


@dataclasses.dataclass(slots=True)
class LedgerFacts:
    """Everything the contexts of a batch need, loaded once."""

    business_units: dict[int, BusinessUnit]
    contacts: dict[int, list[Contact]]  # customer id -> contacts (primary first), consents prefetched
    attempts: dict[int, list[AttemptFacts]]  # customer id -> attempts, oldest first
    documents: dict[int, DocumentFacts]  # document id -> facts (open ones and every one referenced)
    open_documents: dict[int, list[int]]  # customer id -> open debit document ids
    disputes: dict[int, tuple[Dispute, ...]]  # document id -> disputes

    def debt_key(self, document_id: int) -> str:
        facts = self.documents.get(document_id)
        return facts.external_id if facts is not None else f"#{document_id}"


def ledger_facts_load(
    *,
    customer_ids: Iterable[int],
    business_units: dict[int, BusinessUnit],
    since: dt.datetime,
    until: dt.datetime,
    document_ids: Iterable[int] = (),
) -> LedgerFacts:
    """Four queries whatever the batch size: contacts, their consents, attempts, documents."""
    customer_ids = sorted(set(customer_ids))
    wanted = set(customer_ids)
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.filter(customer_id__in=customer_ids).prefetch_related("consents").order_by(
        "customer_id", "-is_primary", "name", "id"
    ):
        contacts[contact.customer_id].append(contact)
    attempts: dict[int, list[AttemptFacts]] = defaultdict(list)
    referenced = set(document_ids)
    rows_ = ContactAttempt.objects.filter(customer_id__in=customer_ids, at__gte=since, at__lt=until).order_by("at", "id")
    for customer_id, *values in rows_.values_list(
        "customer_id", "at", "channel", "direction", "outcome", "contact_id", "debt_ids"
    ):
        attempt = AttemptFacts(*values)
        attempts[customer_id].append(attempt)
        referenced.update(int(d) for d in attempt.debt_ids or ())
    documents: dict[int, DocumentFacts] = {}
    open_documents: dict[int, list[int]] = defaultdict(list)
    rows = Document.objects.filter(
        Q(customer_id__in=customer_ids, status__in=OPEN_STATUSES) & ~Q(kind=DocumentKind.CREDIT_NOTE)
        | Q(pk__in=sorted(referenced))
    ).values_list("pk", "customer_id", "external_id", "issue_date", "open_amount", "currency", "status", "kind")
    for pk, customer_id, external_id, issue_date, open_amount, currency, status, kind in rows.order_by("due_date", "pk"):
        documents[pk] = DocumentFacts(pk, customer_id, external_id, issue_date, open_amount, currency, status)
        if status in OPEN_STATUSES and kind != DocumentKind.CREDIT_NOTE and customer_id in wanted:
            open_documents[customer_id].append(pk)
    _disambiguate(documents)
    return LedgerFacts(
        business_units=business_units,
        contacts=dict(contacts),
        attempts=dict(attempts),
        documents=documents,
        open_documents=dict(open_documents),
        disputes=disputes_for_documents(open_pk for pks in open_documents.values() for open_pk in pks),
    )


def _disambiguate(documents: dict[int, DocumentFacts]) -> None:
    """Debt keys are document numbers; two units may reuse a number for one customer: add the id."""
    seen: dict[tuple[int, str], int] = defaultdict(int)
    for facts in documents.values():
        seen[(facts.customer_id, facts.external_id)] += 1
    for pk, facts in list(documents.items()):
        if seen[(facts.customer_id, facts.external_id)] > 1:
            documents[pk] = dataclasses.replace(facts, external_id=f"{facts.external_id}#{pk}")


# ---------------------------------------------------------------------------------------------------
# Building the rules' facts
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class GateRequest:
    """One planned contact, validated (services builds it from the caller's arguments)."""

    customer: Customer
    channel: str  # arrears.ledger.models.Channel
    when: dt.datetime
    initiated_by: str = Initiator.AUTOMATIC.value
    contact: Contact | None = None  # the person addressed; None: the customer's primary contact
    purpose: str = Purpose.COLLECTION.value
    debt_ids: tuple[int, ...] = ()  # empty: every open document of the customer
    content: Content = dataclasses.field(default_factory=Content)
    dial_mode: str = DialMode.MANUAL.value
    actor: Any = None
    source: str = ""


def is_one_person(customer: Customer) -> bool:
    """A consumer's contacts are the consumer (one person for frequency and location); a business's
    contacts are separate people."""
    return customer.kind == CustomerKind.CONSUMER


def recipient_of(request: GateRequest, facts: LedgerFacts) -> Contact | None:
    if request.contact is not None:
        return request.contact
    contacts = facts.contacts.get(request.customer.pk, [])
    return contacts[0] if contacts else None


def destination(contact: Contact | None, channel: str) -> str | None:
    """The address or number a contact on `channel` goes to (also the key of opt-outs)."""
    if contact is None:
        return None
    if channel == Channel.EMAIL:
        return contact.email or None
    if channel in (Channel.SMS, Channel.PHONE):
        return contact.phone or None
    if channel == Channel.LETTER:
        parts = [contact.address_line1, contact.address_line2, contact.postal_code, contact.city, contact.country]
        return ", ".join(p for p in parts if p) or None
    return None


def _debt_keys(request: GateRequest, facts: LedgerFacts) -> tuple[str, ...]:
    ids = request.debt_ids or tuple(facts.open_documents.get(request.customer.pk, ()))
    return tuple(facts.debt_key(i) for i in ids) or (ACCOUNT_DEBT,)


def _person_id(request: GateRequest, contact_id: int | None, recipient: Contact | None) -> str | None:
    if is_one_person(request.customer):
        return None
    if contact_id is None:  # an attempt "to the customer" counts against whoever is addressed now
        return str(recipient.pk) if recipient is not None else None
    return str(contact_id)


def planned_contact_build(request: GateRequest, facts: LedgerFacts) -> PlannedContact:
    recipient = recipient_of(request, facts)
    return PlannedContact(
        at=request.when,
        debt_ids=_debt_keys(request, facts),
        channel=Channel(request.channel),
        purpose=Purpose(request.purpose),
        initiated_by=Initiator(request.initiated_by),
        recipient_id=_person_id(request, recipient.pk if recipient else None, recipient),
        destination=destination(recipient, request.channel),
        dial_mode=DialMode(request.dial_mode),
        content=request.content,
    )


def _location(request: GateRequest, facts: LedgerFacts, recipient: Contact | None) -> Location:
    customer = request.customer
    people = facts.contacts.get(customer.pk, [])
    if not is_one_person(customer) and recipient is not None:
        people = [recipient]
    addresses = tuple(
        Address(country=c.country.upper(), region=c.region.upper() if c.country.upper() == "US" else c.region,
                city=c.city, postal_code=c.postal_code)
        for c in people
        if c.country
    )
    if not addresses and customer.country:
        addresses = (Address(country=customer.country.upper()),)
    phones = tuple(dict.fromkeys(c.phone for c in people if c.phone))
    return Location(addresses=addresses, phones=phones, stated_time_zone=customer.timezone or "")


def _holiday_calendar(request: GateRequest, facts: LedgerFacts, location: Location) -> tuple[str, str]:
    unit = facts.business_units.get(request.customer.business_unit_id)
    country = request.customer.country or next((a.country for a in location.addresses), "")
    if not country and unit is not None:
        country = unit.country
    subdivision = unit.subdivision if unit is not None and unit.country.upper() == country.upper() else ""
    return country.upper(), subdivision


def _consents(facts: LedgerFacts, customer_id: int) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {"electronic": [], "medium": [], "tcpa": [], "revoked": []}
    for contact in facts.contacts.get(customer_id, []):
        consent: ChannelConsent
        for consent in contact.consents.all():
            at = consent.changed_at or SINCE_EVER
            where = destination(contact, consent.channel)
            if consent.status == ConsentStatus.OPTED_OUT and where:
                if consent.channel in (Channel.EMAIL, Channel.SMS):
                    out["electronic"].append(ElectronicOptOut(Channel(consent.channel), where, at))
                else:
                    out["medium"].append(MediumOptOut(Channel(consent.channel), at, destination=where))
                if consent.channel in (Channel.SMS, Channel.PHONE):
                    out["revoked"].append(TcpaRevocation(at=at, number=where, wording=consent.source or "opted out"))
            elif consent.status == ConsentStatus.GRANTED and where and consent.channel in (Channel.SMS, Channel.PHONE):
                out["tcpa"].append(TcpaConsent(number=where, given_at=at, source=consent.source))
    return out


_CALL_OUTCOME = {
    AttemptOutcome.ATTEMPTED: CallOutcome.NO_ANSWER,
    AttemptOutcome.DELIVERED: CallOutcome.CONNECTED,
    AttemptOutcome.CONVERSATION: CallOutcome.CONNECTED,
    AttemptOutcome.FAILED: CallOutcome.NOT_CONNECTED,
}


def _history(request: GateRequest, facts: LedgerFacts, recipient: Contact | None) -> tuple[ContactRecord, ...]:
    every_debt = _debt_keys(request, facts)
    records = []
    for attempt in facts.attempts.get(request.customer.pk, []):
        if attempt.at >= request.when:
            continue
        debts = tuple(facts.debt_key(int(d)) for d in attempt.debt_ids) if attempt.debt_ids else every_debt
        records.append(
            ContactRecord(
                at=attempt.at,
                channel=Channel(attempt.channel),
                debt_ids=debts,
                direction=Direction.INBOUND if attempt.direction == AttemptDirection.INBOUND else Direction.OUTBOUND,
                outcome=_CALL_OUTCOME[AttemptOutcome(attempt.outcome)],
                conversation=attempt.outcome == AttemptOutcome.CONVERSATION,
                person_id=_person_id(request, attempt.contact_id, recipient),
            )
        )
    return tuple(records)


def _debts(request: GateRequest, facts: LedgerFacts) -> tuple[Debt, ...]:
    ids = list(dict.fromkeys([*facts.open_documents.get(request.customer.pk, ()), *request.debt_ids]))
    debts = []
    for pk in ids:
        doc = facts.documents.get(pk)
        if doc is None:
            continue
        debts.append(
            Debt(
                debt_id=facts.debt_key(pk),
                balance=doc.open_amount,
                currency=doc.currency,
                incurred_on=doc.issue_date,
                paid_in_full=doc.status == DocumentStatus.PAID,
                disputes=facts.disputes.get(pk, ()),
            )
        )
    return tuple(debts)


def contact_context_build(request: GateRequest, facts: LedgerFacts, profile: Profile) -> ContactContext:
    customer = request.customer
    recipient = recipient_of(request, facts)
    location = _location(request, facts, recipient)
    holiday_country, holiday_subdivision = _holiday_calendar(request, facts, location)
    consents = _consents(facts, customer.pk)
    return ContactContext(
        profile=profile,
        actor_type=actor_type(),
        debt_purpose=DebtPurpose.CONSUMER if customer.kind == CustomerKind.CONSUMER else DebtPurpose.COMMERCIAL,
        location=location,
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
        debts=_debts(request, facts),
        history=_history(request, facts, recipient),
        electronic_opt_outs=tuple(consents["electronic"]),
        medium_opt_outs=tuple(consents["medium"]),
        tcpa_consents=tuple(consents["tcpa"]),
        tcpa_revocations=tuple(consents["revoked"]),
        do_not_contact=customer.do_not_contact,
        cease_notices=(CeaseNotice(received_on=SINCE_EVER.date(), written=True),) if customer.cease_communication else (),
        attorney=AttorneyRepresentation(known_on=SINCE_EVER.date()) if customer.attorney_represented else None,
        bankruptcy=Bankruptcy(petition_date=None) if customer.bankruptcy else None,
    )
