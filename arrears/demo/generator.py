"""The demo portfolio, generated in memory and deterministically from a seed.

`portfolio_generate(seed=..., customers=..., as_of=...)` returns plain rows (no ORM): business units,
customers, contacts, consents, documents, payments, allocations, write-offs and FX rates. The same
(seed, customers, as_of) always gives the same rows; the history spans the two years before `as_of`,
so changing `as_of` shifts every date and nothing else.

Each customer has a payment behaviour profile that drives its history (see docs/demo.md). The
history is simulated event by event per customer: invoices and notes are issued, payments, credit
notes and write-offs are applied in date order, and whatever would happen after `as_of` is dropped,
which leaves a realistic open book: a current portion and an overdue tail.

Money is int minor units here (every demo currency has two decimals); `open_amount`, `status`,
`closed_date` and `unapplied_amount` are computed from the allocations generated alongside, so they
are exactly consistent with them.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import holidays
import phonenumbers

from arrears.demo import wordlists
from arrears.demo.wordlists import City, CountryWords
from arrears.ledger.services import derive_status

HISTORY_DAYS = 730
DAY = dt.timedelta(days=1)

# --- the profiles ------------------------------------------------------------------------------------

PROMPT = "prompt_payer"
SLIGHTLY_LATE = "slightly_late"
CHRONIC_LATE = "chronic_late"
PARTIAL = "partial_payer"
DISPUTER = "disputer"
DETERIORATING = "deteriorating"
DEFAULTED = "defaulted"
PROFILES = (PROMPT, SLIGHTLY_LATE, CHRONIC_LATE, PARTIAL, DISPUTER, DETERIORATING, DEFAULTED)
PROFILE_WEIGHTS = {
    "enterprise": (40, 30, 10, 4, 10, 5, 1),
    "mid-market": (34, 28, 12, 6, 8, 8, 4),
    "smb": (32, 25, 13, 9, 6, 9, 6),
    "consumer": (36, 22, 10, 12, 4, 8, 8),
}

SEGMENTS = ("enterprise", "mid-market", "smb", "consumer")
SEGMENT_MEDIAN_EUR = {"enterprise": 15000, "mid-market": 3500, "smb": 700, "consumer": 90}
SEGMENT_INTERVAL_DAYS = {"enterprise": 9, "mid-market": 16, "smb": 27, "consumer": 30}
SEGMENT_TERMS = {
    "enterprise": ((45, 60), (1, 1)),
    "mid-market": ((30, 45, 60), (3, 2, 1)),
    "smb": ((14, 30), (1, 2)),
    "consumer": ((14, 30), (2, 1)),
}


@dataclass(frozen=True, slots=True)
class BusinessUnitSpec:
    code: str
    name: str
    currency: str
    country: str
    subdivision: str
    timezone: str
    share: float
    eur_per_unit: float  # rough FX level, for amount scales and the FX rate series
    segment_weights: tuple[int, int, int, int]
    languages: tuple[tuple[str, int], ...]
    methods: tuple[str, ...]
    team: int  # index into TEAMS
    late_fee_minor: int  # statutory flat compensation on late B2B payment (0 = none)


BUSINESS_UNITS: tuple[BusinessUnitSpec, ...] = (
    BusinessUnitSpec(
        "ACME-DE", "ACME Deutschland GmbH", "EUR", "DE", "BE", "Europe/Berlin", 0.30, 1.0,
        (6, 30, 64, 0), (("de", 1),), ("transfer", "direct_debit"), 0, 4000,
    ),
    BusinessUnitSpec(
        "ACME-UK", "ACME UK Ltd", "GBP", "GB", "ENG", "Europe/London", 0.20, 1.17,
        (5, 20, 40, 35), (("en", 1),), ("transfer", "direct_debit", "card", "cheque"), 0, 4000,
    ),
    BusinessUnitSpec(
        "ACME-US", "ACME Inc.", "USD", "US", "NY", "America/New_York", 0.35, 0.92,
        (5, 20, 35, 40), (("en", 85), ("es", 15)), ("ach", "wire", "card", "check"), 1, 0,
    ),
    BusinessUnitSpec(
        "ACME-IN", "ACME India Pvt Ltd", "INR", "IN", "MH", "Asia/Kolkata", 0.15, 0.0108,
        (6, 25, 49, 20), (("en", 80), ("hi", 20)), ("neft", "rtgs", "upi", "cheque"), 1, 0,
    ),
)
REPORTING_CURRENCY = "EUR"

# --- the people --------------------------------------------------------------------------------------

TEAMS = ("EMEA", "Americas & APAC")


@dataclass(frozen=True, slots=True)
class UserSpec:
    username: str
    role: str
    first_name: str
    last_name: str
    team: int | None = None  # index into TEAMS
    business_units: tuple[str, ...] = ()  # collectors: whose customers they work
    leads: int | None = None  # team leads: index of the team they lead


USERS: tuple[UserSpec, ...] = (
    UserSpec("admin", "admin", "Alex", "Admin"),
    UserSpec("head", "head", "Helena", "Marsh"),
    UserSpec("auditor", "auditor", "Arthur", "Quinn"),
    UserSpec("lead.emea", "lead", "Katrin", "Vogel", team=0, leads=0),
    UserSpec("lead.amer", "lead", "Marcus", "Reed", team=1, leads=1),
    UserSpec("jan.becker", "collector", "Jan", "Becker", team=0, business_units=("ACME-DE",)),
    UserSpec("mia.schulz", "collector", "Mia", "Schulz", team=0, business_units=("ACME-DE",)),
    UserSpec("sophie.turner", "collector", "Sophie", "Turner", team=0, business_units=("ACME-UK",)),
    UserSpec("emily.carter", "collector", "Emily", "Carter", team=1, business_units=("ACME-US",)),
    UserSpec("carlos.ramirez", "collector", "Carlos", "Ramirez", team=1, business_units=("ACME-US",)),
    UserSpec("priya.nair", "collector", "Priya", "Nair", team=1, business_units=("ACME-IN",)),
)

# --- rows ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class CustomerRow:
    bu: int
    external_id: str
    name: str
    kind: str
    jurisdiction: str
    country: str
    segment: str
    timezone: str
    language: str
    preferred_channel: str
    credit_limit: int  # minor units
    currency: str
    payment_terms_days: int
    collector: str | None  # username
    profile: str
    since: dt.date
    parent: int | None = None  # index into customers
    paused: bool = False
    cease_communication: bool = False
    do_not_contact: bool = False
    bankruptcy: bool = False
    attorney_represented: bool = False


@dataclass(slots=True)
class ContactRow:
    customer: int
    name: str
    role: str
    email: str
    phone: str
    address_line1: str = ""
    address_line2: str = ""
    postal_code: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    is_primary: bool = False


@dataclass(slots=True)
class ConsentRow:
    contact: int
    channel: str
    status: str
    changed_at: dt.datetime | None
    source: str


@dataclass(slots=True)
class DocumentRow:
    bu: int
    customer: int
    kind: str
    issue_date: dt.date
    due_date: dt.date
    amount: int
    currency: str
    reference: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    external_id: str = ""
    open_amount: int = 0
    written_off: int = 0
    status: str = ""
    closed_date: dt.date | None = None


@dataclass(slots=True)
class PaymentRow:
    bu: int
    customer: int
    received_date: dt.date
    amount: int
    currency: str
    method: str
    unapplied_amount: int
    documents: list[int]  # what the remittance advice names
    external_id: str = ""
    reference: str = ""


@dataclass(slots=True)
class AllocationRow:
    document: int
    source: str
    amount: int
    currency: str
    date: dt.date
    payment: int | None = None
    credit_note: int | None = None
    write_off: int | None = None


@dataclass(slots=True)
class WriteOffRow:
    document: int
    amount: int
    currency: str
    date: dt.date
    reason: str


@dataclass(slots=True)
class FxRateRow:
    date: dt.date
    currency: str
    quote_currency: str
    rate_micro: int  # rate x 1e6


@dataclass
class Portfolio:
    seed: int
    as_of: dt.date
    start: dt.date
    business_units: tuple[BusinessUnitSpec, ...]
    users: tuple[UserSpec, ...]
    teams: tuple[str, ...]
    customers: list[CustomerRow] = field(default_factory=list)
    contacts: list[ContactRow] = field(default_factory=list)
    consents: list[ConsentRow] = field(default_factory=list)
    documents: list[DocumentRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)
    allocations: list[AllocationRow] = field(default_factory=list)
    write_offs: list[WriteOffRow] = field(default_factory=list)
    fx_rates: list[FxRateRow] = field(default_factory=list)


# --- the entry point -----------------------------------------------------------------------------------


def portfolio_generate(*, seed: int, customers: int, as_of: dt.date) -> Portfolio:
    """Build the whole portfolio in memory. Pure: no clock, no database."""
    if customers < len(BUSINESS_UNITS):
        raise ValueError(f"customers must be at least {len(BUSINESS_UNITS)} (one per business unit)")
    start = as_of - dt.timedelta(days=HISTORY_DAYS)
    p = Portfolio(seed=seed, as_of=as_of, start=start, business_units=BUSINESS_UNITS, users=USERS, teams=TEAMS)
    calendars = [_Calendar(bu, start, as_of) for bu in BUSINESS_UNITS]
    for b, count in enumerate(_split(customers, [bu.share for bu in BUSINESS_UNITS])):
        bu = BUSINESS_UNITS[b]
        names: set[str] = set()
        first = len(p.customers)
        for k in range(count):
            rng = random.Random(f"arrears-demo/{seed}/{bu.code}/{k}")
            sim = _CustomerSimulation(p, b, k, rng, calendars[b], names)
            sim.run()
        _assign_groups(p, b, first, random.Random(f"arrears-demo/{seed}/{bu.code}/groups"))
    _number(p)
    p.fx_rates = _fx_rates(seed, start, as_of)
    return p


def _split(total: int, shares: list[float]) -> list[int]:
    """Largest-remainder split of `total` into parts proportional to `shares`, each at least 1."""
    raw = [total * s / sum(shares) for s in shares]
    counts = [max(1, math.floor(r)) for r in raw]
    order = sorted(range(len(shares)), key=lambda i: (-(raw[i] - math.floor(raw[i])), i))
    i = 0
    while sum(counts) < total:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts) > total:
        j = max(range(len(counts)), key=lambda i: counts[i])
        counts[j] -= 1
    return counts


class _Calendar:
    """Business days of one business unit: weekends and public holidays are not."""

    def __init__(self, bu: BusinessUnitSpec, start: dt.date, as_of: dt.date) -> None:
        years = range(start.year - 1, as_of.year + 2)
        self.holidays = frozenset(holidays.country_holidays(bu.country, subdiv=bu.subdivision, years=years))

    def is_business_day(self, d: dt.date) -> bool:
        return d.weekday() < 5 and d not in self.holidays

    def next_business_day(self, d: dt.date) -> dt.date:
        while not self.is_business_day(d):
            d += DAY
        return d


def _ascii(text: str) -> str:
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in _ascii(text).lower())
    return "-".join(part for part in out.split("-") if part)


def _mailbox(text: str) -> str:
    return "".join(ch for ch in _ascii(text).lower() if ch.isalnum() or ch == ".")


def _without_legal_form(name: str, words: CountryWords) -> str:
    for form in sorted(set(words.legal_forms), key=len, reverse=True):
        if name.endswith(" " + form):
            return name[: -len(form) - 1]
    return name


def _weighted(rng: random.Random, options: tuple[Any, ...], weights: tuple[int, ...]) -> Any:
    return rng.choices(options, weights=weights)[0]


# --- one customer ----------------------------------------------------------------------------------------


class _CustomerSimulation:
    def __init__(
        self, p: Portfolio, b: int, k: int, rng: random.Random, calendar: _Calendar, names: set[str]
    ) -> None:
        self.p = p
        self.b = b
        self.bu = BUSINESS_UNITS[b]
        self.words: CountryWords = wordlists.WORDS[self.bu.country]
        self.rng = rng
        self.cal = calendar
        self.names = names
        self.k = k
        self.as_of = p.as_of
        self.events: list[tuple[dt.date, int, int, str, tuple[Any, ...]]] = []
        self.debits: list[int] = []

    # -- who the customer is --

    def run(self) -> None:
        rng, bu = self.rng, self.bu
        segment = _weighted(rng, SEGMENTS, bu.segment_weights)
        kind = "consumer" if segment == "consumer" else "commercial"
        profile = _weighted(rng, PROFILES, PROFILE_WEIGHTS[segment])
        city: City = _weighted(rng, self.words.cities, tuple(c.weight for c in self.words.cities))
        terms = _weighted(rng, *SEGMENT_TERMS[segment])
        if bu.country == "DE":
            jurisdiction = "eu_b2b"
        elif bu.country == "GB":
            jurisdiction = "uk"
        elif bu.country == "US":
            jurisdiction = "us_consumer" if kind == "consumer" else "us_commercial"
        else:
            jurisdiction = "in"
        language = _weighted(rng, tuple(lang for lang, _ in bu.languages), tuple(w for _, w in bu.languages))
        if kind == "consumer":
            channel = _weighted(rng, ("email", "sms", "letter"), (6, 3, 1))
        else:
            channel = _weighted(rng, ("email", "letter", "phone"), (8, 1, 1))

        first = rng.choice(self.words.first_names)
        last = rng.choice(self.words.surnames)
        name = f"{first} {last}" if kind == "consumer" else self._company_name()
        while name in self.names:  # people share names; give a middle initial
            name = (
                f"{first} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}" if kind == "consumer" else self._company_name()
            )
        self.names.add(name)

        new_customer = rng.random() < 0.25
        since = self.p.start + dt.timedelta(days=rng.randint(60, HISTORY_DAYS - 20) if new_customer else 0)
        self.size = rng.lognormvariate(0, 0.5)
        median_minor = SEGMENT_MEDIAN_EUR[segment] / bu.eur_per_unit * 100 * self.size
        interval = SEGMENT_INTERVAL_DAYS[segment]
        credit_limit = _round_nice(median_minor * (30 / interval) * (terms / 30 + 1) * 1.5)

        self.index = len(self.p.customers)
        self.customer = CustomerRow(
            bu=self.b, external_id="", name=name, kind=kind, jurisdiction=jurisdiction, country=bu.country,
            segment=segment, timezone=city.timezone, language=language, preferred_channel=channel,
            credit_limit=credit_limit, currency=bu.currency, payment_terms_days=terms, collector=None,
            profile=profile, since=since,
        )
        self.p.customers.append(self.customer)
        self.customer.external_id = f"C-{bu.country}-{self.k + 1:05d}"
        self._flags(profile, kind)
        self._contacts(kind, name, first, last, city, since)
        self.customer.collector = self._collector(segment, since)

        # the history
        self.profile = profile
        self.terms = terms
        self.median = median_minor
        self.interval = interval
        self.kind = kind
        self.pay_weekday = rng.choice((1, 3, 4)) if kind == "commercial" and rng.random() < 0.5 else None
        self.method = rng.choice(bu.methods)
        self.default_date: dt.date | None = None
        last_invoice = self.as_of
        if profile == DEFAULTED:
            self.default_date = self.as_of - dt.timedelta(days=rng.randint(120, 600))
            self.default_date = max(self.default_date, since + dt.timedelta(days=90))
            last_invoice = self.default_date + dt.timedelta(days=rng.randint(15, 75))
        elif rng.random() < 0.06:  # churned: stopped buying, account settled
            last_invoice = self.as_of - dt.timedelta(days=rng.randint(90, 500))
        self._invoices(since, min(last_invoice, self.as_of))
        self._settle()

    def _company_name(self) -> str:
        rng, w = self.rng, self.words
        pattern = rng.random()
        if pattern < 0.45:
            base = f"{rng.choice(w.surnames)} {rng.choice(w.trades)}"
        elif pattern < 0.75:
            base = f"{rng.choice(w.places)} {rng.choice(w.trades)}"
        elif pattern < 0.9:
            base = f"{rng.choice(w.surnames)} & {rng.choice(w.surnames)}"
        else:
            base = f"{rng.choice(w.places)} {rng.choice(w.surnames)}"
        return f"{base} {rng.choice(w.legal_forms)}"

    def _flags(self, profile: str, kind: str) -> None:
        rng, c = self.rng, self.customer
        if profile == DEFAULTED:
            c.bankruptcy = kind == "commercial" and rng.random() < 0.3
            if c.jurisdiction == "us_consumer":
                c.attorney_represented = rng.random() < 0.15
                c.cease_communication = rng.random() < 0.1
        if profile == DISPUTER and rng.random() < 0.1:
            c.paused = True
        if rng.random() < 0.005:
            c.do_not_contact = True

    def _collector(self, segment: str, since: dt.date) -> str | None:
        if since > self.as_of - dt.timedelta(days=45) and self.rng.random() < 0.3:
            return None  # new accounts wait for assignment
        team = [u.username for u in USERS if self.bu.code in u.business_units]
        if segment == "enterprise":  # key accounts sit with the unit's first collector
            return team[0]
        return self.rng.choice(team)

    # -- contacts, phones, addresses, consents --

    def _contacts(self, kind: str, name: str, first: str, last: str, city: City, since: dt.date) -> None:
        rng, w = self.rng, self.words
        line1, line2, postal = self._address(city, kind)
        if kind == "consumer":
            handle = rng.choice((f"{first}.{last}", f"{first[0]}{last}{rng.randint(10, 99)}", f"{last}.{first}"))
            email = f"{_mailbox(handle)}@{rng.choice(wordlists.CONSUMER_MAIL_DOMAINS)}"
            people = [(name, "Account holder", email, self._phone(city, mobile=True))]
        else:
            domain = f"{_slug(_without_legal_form(name, w))}.example"
            people = [("Accounts payable", "Accounts payable", f"{rng.choice(w.ap_mailboxes)}@{domain}",
                       self._phone(city, mobile=False))]
            for _ in range(rng.choice((0, 1, 1, 2))):
                f2, l2 = rng.choice(w.first_names), rng.choice(w.surnames)
                people.append((f"{f2} {l2}", rng.choice(wordlists.CONTACT_ROLES),
                               f"{_mailbox(f2 + '.' + l2)}@{domain}", self._phone(city, mobile=rng.random() < 0.5)))
        for i, (person, role, email, phone) in enumerate(people):
            contact = ContactRow(customer=self.index, name=person, role=role, email=email, phone=phone,
                                 is_primary=i == 0)
            if i == 0:
                contact.address_line1, contact.address_line2, contact.postal_code = line1, line2, postal
                contact.city, contact.region, contact.country = city.name, city.region, self.bu.country
            self.p.contacts.append(contact)
            self._consents(len(self.p.contacts) - 1, kind, since)

    def _address(self, city: City, kind: str) -> tuple[str, str, str]:
        rng, street, country = self.rng, self.rng.choice(self.words.streets), self.bu.country
        number = rng.randint(1, 180)
        if country == "DE":
            lo, hi = (int(x) for x in city.postal)
            return f"{street} {number}", "", f"{rng.randint(lo, hi):05d}"
        if country == "GB":
            inward = f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            line2 = f"Unit {rng.randint(1, 40)}" if kind == "commercial" and rng.random() < 0.3 else ""
            return f"{number} {street}", line2, f"{rng.choice(city.postal)} {inward}"
        if country == "US":
            lo, hi = (int(x) for x in city.postal)
            line2 = f"Suite {rng.randint(1, 30) * 100}" if kind == "commercial" and rng.random() < 0.5 else ""
            if kind == "consumer" and rng.random() < 0.3:
                line2 = f"Apt {rng.randint(1, 30)}{rng.choice('ABCD')}"
            return f"{rng.randint(10, 9999)} {street}", line2, f"{rng.randint(lo, hi):05d}"
        lo, hi = (int(x) for x in city.postal)
        prefix = "Plot" if kind == "commercial" else "Flat"
        return f"{prefix} {number}, {street}", "", f"{rng.randint(lo, hi):06d}"

    def _phone(self, city: City, *, mobile: bool) -> str:
        """A number that phonenumbers accepts as valid for the country, formatted E.164."""
        rng, region = self.rng, self.bu.country
        for _ in range(50):
            if region == "DE":
                digits = (
                    f"+49{rng.choice(('151', '152', '160', '170', '171', '176'))}{rng.randint(1000000, 99999999)}"
                    if mobile else f"+49{city.area_code}{rng.randint(10**(9 - len(city.area_code)), 10**(10 - len(city.area_code)) - 1)}"
                )
            elif region == "GB":
                # landlines from Ofcom's drama ranges (020 7946 0xxx, 01xx 496 0xxx), never a real line
                digits = (
                    f"+447{rng.randint(400, 999)}{rng.randint(100000, 999999)}" if mobile
                    else (f"+44{city.area_code}79460{rng.randint(0, 999):03d}" if city.area_code == "20"
                          else f"+44{city.area_code}4960{rng.randint(0, 999):03d}")
                )
            elif region == "US":
                exchange = rng.randint(201, 989)
                if exchange == 555 or exchange % 100 == 11:
                    continue
                digits = f"+1{city.area_code}{exchange}{rng.randint(0, 9999):04d}"
            else:
                digits = (
                    f"+91{rng.choice('6789')}{rng.randint(0, 999999999):09d}" if mobile
                    else f"+91{city.area_code}{rng.randint(2, 6)}{rng.randint(0, 10**(9 - len(city.area_code)) - 1):0{9 - len(city.area_code)}d}"
                )
            number = phonenumbers.parse(digits, region)
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        number = phonenumbers.example_number(region)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def _consents(self, contact: int, kind: str, since: dt.date) -> None:
        rng = self.rng
        granted_at = dt.datetime.combine(since, dt.time(9, 0), tzinfo=dt.UTC)
        plan = (
            (("email", 85), ("letter", 100), ("sms", 60), ("phone", 70)) if kind == "consumer"
            else (("email", 100), ("letter", 100), ("sms", 10), ("phone", 90))
        )
        sources = {"email": "unsubscribe link", "sms": "STOP reply", "phone": "request on a call",
                   "letter": "written request"}
        for channel, pct_granted in plan:
            if rng.random() < 0.03:
                when = max(since, self.as_of - dt.timedelta(days=rng.randint(1, HISTORY_DAYS - 30)))
                changed = dt.datetime.combine(when, dt.time(rng.randint(8, 19), rng.randint(0, 59)), tzinfo=dt.UTC)
                self.p.consents.append(ConsentRow(contact, channel, "opted_out", changed, sources[channel]))
            elif rng.random() * 100 < pct_granted:
                self.p.consents.append(ConsentRow(contact, channel, "granted", granted_at, "account opening"))
            else:
                self.p.consents.append(ConsentRow(contact, channel, "unknown", None, ""))

    # -- documents and their planned settlement --

    def _add_document(self, kind: str, issue: dt.date, due: dt.date, amount: int, **extra: Any) -> int:
        doc = DocumentRow(bu=self.b, customer=self.index, kind=kind, issue_date=issue, due_date=due,
                          amount=amount, currency=self.bu.currency, **extra)
        doc.open_amount = amount
        self.p.documents.append(doc)
        return len(self.p.documents) - 1

    def _event(self, date: dt.date, priority: int, kind: str, *payload: Any) -> None:
        if date > self.as_of:
            return
        if self.default_date is not None and kind == "pay" and date >= self.default_date:
            return
        self.events.append((date, priority, len(self.events), kind, payload))

    def _invoices(self, since: dt.date, until: dt.date) -> None:
        rng, cal = self.rng, self.cal
        d = since + dt.timedelta(days=rng.randint(0, self.interval))
        while True:
            issue = cal.next_business_day(d)
            if issue > until:
                break
            amount = max(500, round(rng.lognormvariate(math.log(self.median), 0.6)))
            reference = f"PO-{rng.randint(100000, 999999)}" if self.kind == "commercial" and rng.random() < 0.6 else ""
            i = self._add_document("invoice", issue, issue + dt.timedelta(days=self.terms), amount, reference=reference)
            self.debits.append(i)
            self._plan(i, notes=True)
            d += dt.timedelta(days=max(3, round(rng.gauss(self.interval, self.interval * 0.25))))

    def _pay_date(self, d: dt.date) -> dt.date:
        if self.pay_weekday is not None:
            d += dt.timedelta(days=(self.pay_weekday - d.weekday()) % 7)
        return self.cal.next_business_day(d)

    def _plan(self, i: int, *, notes: bool) -> None:
        """Decide how and when document `i` gets settled, as dated events."""
        rng, doc, profile = self.rng, self.p.documents[i], self.profile
        due, earliest = doc.due_date, doc.issue_date + DAY
        progress = (doc.issue_date - self.p.start).days / HISTORY_DAYS

        if notes and rng.random() < (0.2 if profile == DISPUTER else 0.01):
            raised = max(earliest, due + dt.timedelta(days=rng.randint(-5, 20)))
            reason = rng.choice(wordlists.DISPUTE_REASONS)
            if (self.as_of - raised).days < rng.randint(45, 160):
                if raised <= self.as_of:
                    doc.attributes = {"disputed": True, "dispute_reason": reason}
                return
            credit_date = self.cal.next_business_day(raised + dt.timedelta(days=rng.randint(15, 60)))
            self._credit_note(i, credit_date, round(doc.amount * rng.uniform(0.1, 0.5)), reason)
            self._event(self._pay_date(credit_date + dt.timedelta(days=rng.randint(3, 25))), 1, "pay", i, None, 0)
            return

        instalments: list[float] = []
        if profile == PROMPT:
            delay = min(6, round(rng.gauss(-1, 3)))
            if rng.random() < 0.03:
                delay += rng.randint(15, 45)
        elif profile == SLIGHTLY_LATE:
            delay = min(75, 2 + round(rng.expovariate(1 / 9)))
        elif profile == CHRONIC_LATE:
            delay = min(240, 20 + round(rng.expovariate(1 / 35)))
        elif profile == PARTIAL:
            delay = 5 + round(rng.expovariate(1 / 12))
            if rng.random() < 0.65:
                cuts = sorted(rng.uniform(0.15, 0.85) for _ in range(rng.randint(1, 3)))
                instalments = [b - a for a, b in zip([0.0, *cuts[:-1]], cuts, strict=True)]
        elif profile == DISPUTER:
            delay = 3 + round(rng.expovariate(1 / 12))
        elif profile == DETERIORATING:
            delay = round(rng.gauss(1, 3) + 150 * progress**3 + rng.expovariate(1 / (4 + 30 * progress)))
            if rng.random() < 0.35 * progress**2:
                instalments = [rng.uniform(0.2, 0.6)]
        else:  # DEFAULTED: late before it stops paying altogether
            delay = 8 + round(rng.expovariate(1 / 25))
        pay = self._pay_date(max(earliest, due + dt.timedelta(days=delay)))

        if instalments:
            when = max(earliest, due + dt.timedelta(days=rng.randint(-3, 15)))
            for share in instalments:
                self._event(self._pay_date(when), 1, "pay", i, max(1, round(doc.amount * share)), 0)
                when += dt.timedelta(days=rng.randint(14, 40))
            pay = self._pay_date(when)
            if rng.random() < 0.2:  # the rest never comes
                pay = dt.date.max
        fee = 0
        if self.kind == "commercial" and self.bu.country != "DE" and rng.random() < 0.015:
            fee = min(rng.randint(5, 25) * 100, doc.amount // 20)  # bank charges deducted abroad
        if pay != dt.date.max:
            self._event(pay, 1, "pay", i, None, fee)
            if fee and rng.random() < 0.8:
                self._event(pay + dt.timedelta(days=rng.randint(45, 120)), 2, "wo_small", i, fee)

        if not notes:
            return
        if rng.random() < (0.04 if profile == DISPUTER else 0.025):
            credit_date = self.cal.next_business_day(doc.issue_date + dt.timedelta(days=rng.randint(3, 40)))
            share = 1.0 if rng.random() < 0.25 else rng.uniform(0.05, 0.3)
            self._credit_note(i, credit_date, round(doc.amount * share), rng.choice(wordlists.CREDIT_REASONS))
        days_late = (pay - due).days if pay != dt.date.max else 0
        if self.kind == "commercial" and days_late > 30 and rng.random() < 0.2:
            issue = self.cal.next_business_day(pay + dt.timedelta(days=rng.randint(3, 12)))
            interest = round(doc.amount * 0.09 * days_late / 365) + self.bu.late_fee_minor
            if issue <= self.as_of:
                j = self._add_document("debit_note", issue, issue + dt.timedelta(days=14), max(100, interest),
                                       reference="Late payment interest",
                                       attributes={"reason": "late_payment_interest"})
                self.debits.append(j)
                self._plan(j, notes=False)
        elif rng.random() < 0.015:
            issue = self.cal.next_business_day(doc.issue_date + dt.timedelta(days=rng.randint(1, 10)))
            if issue <= self.as_of:
                j = self._add_document("debit_note", issue, issue + dt.timedelta(days=self.terms),
                                       max(100, round(doc.amount * rng.uniform(0.03, 0.1))),
                                       reference=doc.reference, attributes={"reason": "freight_surcharge"})
                self.debits.append(j)
                self._plan(j, notes=False)

    def _credit_note(self, target: int, date: dt.date, amount: int, reason: str) -> None:
        if date > self.as_of or amount <= 0:
            return
        j = self._add_document("credit_note", date, date, amount, reference=reason[:100],
                               attributes={"reason": _slug(reason).replace("-", "_")})
        self._event(date, 0, "credit", j, target)

    # -- the simulation: apply the events in date order --

    def _settle(self) -> None:
        docs, rng = self.p.documents, self.rng
        if self.default_date is not None and rng.random() < 0.75:
            when = self.cal.next_business_day(self.default_date + dt.timedelta(days=rng.randint(240, 420)))
            self._event(when, 2, "wo_all", rng.choice(wordlists.WRITE_OFF_REASONS))
        self.events.sort(key=lambda e: (e[0], e[1], e[2]))
        day_pays: list[tuple[int, int]] = []
        day: dt.date | None = None
        for date, _, _, kind, payload in self.events:
            if date != day:
                self._pay(day, day_pays)
                day_pays, day = [], date
            if kind == "pay":
                i, amount, fee = payload
                doc = docs[i]
                take = doc.open_amount if amount is None else min(amount, doc.open_amount)
                if amount is None and fee and fee < take:
                    take -= fee
                if take > 0:
                    doc.open_amount -= take
                    day_pays.append((i, take))
            elif kind == "credit":
                j, target = payload
                self._apply_credit(j, target, date)
            elif kind == "wo_small":
                i, limit = payload
                if 0 < docs[i].open_amount <= limit:
                    self._write_off(i, date, "Small balance: bank charges deducted by the payer")
            else:  # wo_all
                for i in self.debits:
                    if docs[i].open_amount > 0 and docs[i].issue_date <= date:
                        self._write_off(i, date, payload[0])
        self._pay(day, day_pays)
        for i in range(len(docs) - 1, -1, -1):
            doc = docs[i]
            if doc.customer != self.index:
                break
            doc.status = derive_status(amount=doc.amount, open_amount=doc.open_amount, written_off=doc.written_off)

    def _allocate(self, i: int, amount: int, date: dt.date, source: str, **ref: int) -> None:
        doc = self.p.documents[i]
        self.p.allocations.append(AllocationRow(document=i, source=source, amount=amount, currency=doc.currency,
                                                date=date, **ref))
        if doc.open_amount == 0:
            doc.closed_date = date

    def _apply_credit(self, j: int, target: int, date: dt.date) -> None:
        docs = self.p.documents
        note = docs[j]
        targets = [target]
        if self.rng.random() < 0.6:  # what the invoice cannot take goes to the oldest open items
            targets += sorted(
                (i for i in self.debits if i != target and docs[i].open_amount > 0 and docs[i].issue_date <= date),
                key=lambda i: (docs[i].due_date, i),
            )
        for i in targets:
            take = min(note.open_amount, docs[i].open_amount)
            if take <= 0:
                continue
            note.open_amount -= take
            docs[i].open_amount -= take
            self._allocate(i, take, date, "credit_note", credit_note=j)
            if note.open_amount == 0:
                note.closed_date = date
                break

    def _write_off(self, i: int, date: dt.date, reason: str) -> None:
        doc = self.p.documents[i]
        amount = doc.open_amount
        self.p.write_offs.append(WriteOffRow(document=i, amount=amount, currency=doc.currency, date=date, reason=reason))
        doc.open_amount = 0
        doc.written_off += amount
        self._allocate(i, amount, date, "write_off", write_off=len(self.p.write_offs) - 1)

    def _pay(self, date: dt.date | None, pays: list[tuple[int, int]]) -> None:
        """One payment per customer and day: the remittance names every document it settles."""
        if date is None or not pays:
            return
        rng = self.rng
        total = sum(take for _, take in pays)
        extra = 0
        if rng.random() < 0.012:  # paid twice, or rounded up: unapplied cash
            extra = total if rng.random() < 0.3 else max(100, round(total * rng.uniform(0.01, 0.3)))
        method = self.method if rng.random() < 0.85 else rng.choice(self.bu.methods)
        k = len(self.p.payments)
        self.p.payments.append(PaymentRow(bu=self.b, customer=self.index, received_date=date, amount=total + extra,
                                          currency=self.bu.currency, method=method, unapplied_amount=extra,
                                          documents=[i for i, _ in pays]))
        for i, take in pays:
            self._allocate(i, take, date, "payment", payment=k)


def _round_nice(minor: float) -> int:
    """Credit limits are round figures: two significant digits, in whole currency units."""
    units = max(1, minor / 100)
    step = 10 ** max(0, math.floor(math.log10(units)) - 1)
    return int(math.ceil(units / step) * step) * 100


def _assign_groups(p: Portfolio, b: int, first: int, rng: random.Random) -> None:
    """A few parent groups per business unit: an enterprise parent with two to five subsidiaries."""
    members = list(range(first, len(p.customers)))
    parents = [i for i in members if p.customers[i].segment in ("enterprise", "mid-market")]
    groups = min(4, max(1, len(members) // 150), len(parents))
    rng.shuffle(parents)
    chosen = parents[:groups]
    pool = [i for i in members if p.customers[i].kind == "commercial" and i not in chosen]
    rng.shuffle(pool)
    for parent in chosen:
        for _ in range(rng.randint(2, 5)):
            if not pool:
                return
            child = pool.pop()
            p.customers[child].parent = parent


def _number(p: Portfolio) -> None:
    """Document and payment numbers per business unit, in date order, and remittance references."""
    prefixes = {"invoice": "INV", "credit_note": "CN", "debit_note": "DN"}
    for b, bu in enumerate(p.business_units):
        counters = dict.fromkeys(prefixes, 0)
        cc = bu.country
        for i in sorted((i for i, d in enumerate(p.documents) if d.bu == b),
                        key=lambda i: (p.documents[i].issue_date, i)):
            doc = p.documents[i]
            counters[doc.kind] += 1
            doc.external_id = f"{prefixes[doc.kind]}-{cc}-{counters[doc.kind]:07d}"
        ordered = sorted((k for k, pay in enumerate(p.payments) if pay.bu == b),
                         key=lambda k: (p.payments[k].received_date, k))
        for n, k in enumerate(ordered, start=1):
            pay = p.payments[k]
            pay.external_id = f"PAY-{cc}-{n:07d}"
            names = ", ".join(p.documents[i].external_id for i in pay.documents)
            pay.reference = (f"{p.customers[pay.customer].external_id} {names}")[:200]


def _fx_rates(seed: int, start: dt.date, as_of: dt.date) -> list[FxRateRow]:
    """Monthly rates into the reporting currency, a seeded random walk around each unit's level."""
    rows = []
    for bu in BUSINESS_UNITS:
        if bu.currency == REPORTING_CURRENCY:
            continue
        rng = random.Random(f"arrears-demo/{seed}/fx/{bu.currency}")
        level = bu.eur_per_unit
        month = start.replace(day=1)
        while month <= as_of:
            rows.append(FxRateRow(month, bu.currency, REPORTING_CURRENCY, round(level * 1_000_000)))
            level *= math.exp(rng.gauss(0, 0.012))
            month = (month + dt.timedelta(days=32)).replace(day=1)
    return rows
