"""The demo portfolio: deterministic, idempotent, consistent with the ledger's rules, and usable."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections import Counter
from decimal import Decimal

import phonenumbers
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from arrears.demo.generator import PROFILES, portfolio_generate
from arrears.demo.services import DEMO_BUSINESS_UNIT_CODES, DEMO_PASSWORD, demo_build, demo_run_nightly_cycle
from arrears.ledger.models import (
    Allocation,
    BusinessUnit,
    ChannelConsent,
    Contact,
    Customer,
    Document,
    DocumentKind,
    FxRate,
    Payment,
    WriteOff,
)
from arrears.ledger.services import derive_status
from arrears.ledger.tests.factories import BusinessUnitFactory, CustomerFactory, DocumentFactory
from arrears.users.models import Role, User

AS_OF = dt.date(2025, 6, 30)
SMALL = 60
JSON_KEYS = {
    "seed", "as_of", "business_units", "customers", "documents", "payments", "allocations", "write_offs",
    "credit_notes", "users", "password", "open_balance", "duration_s",
}
MONEY_FIELD = Document._meta.get_field("amount")


def _digest() -> str:
    """A fingerprint of every demo row that matters, ordered by external id (not by database id)."""
    demo = Q(business_unit__code__in=DEMO_BUSINESS_UNIT_CODES)
    parts = [
        Customer.objects.filter(demo).order_by("business_unit__code", "external_id").values_list(
            "business_unit__code", "external_id", "name", "kind", "jurisdiction", "segment", "timezone", "language",
            "credit_limit", "payment_terms_days", "collector__username", "parent__external_id", "attributes",
        ),
        Contact.objects.filter(customer__business_unit__code__in=DEMO_BUSINESS_UNIT_CODES)
        .order_by("customer__business_unit__code", "customer__external_id", "-is_primary", "email", "name")
        .values_list("customer__external_id", "name", "email", "phone", "address_line1", "postal_code", "city"),
        Document.objects.filter(demo).order_by("business_unit__code", "external_id").values_list(
            "business_unit__code", "external_id", "customer__external_id", "kind", "issue_date", "due_date",
            "amount", "currency", "open_amount", "status", "closed_date", "reference", "attributes",
        ),
        Payment.objects.filter(demo).order_by("business_unit__code", "external_id").values_list(
            "business_unit__code", "external_id", "customer__external_id", "received_date", "amount",
            "unapplied_amount", "method", "reference",
        ),
        Allocation.objects.filter(document__business_unit__code__in=DEMO_BUSINESS_UNIT_CODES)
        .order_by("document__business_unit__code", "document__external_id", "date", "source",
                  "payment__external_id", "credit_note__external_id", "amount")
        .values_list("document__external_id", "source", "payment__external_id", "credit_note__external_id",
                     "write_off__reason", "amount", "date"),
    ]
    h = hashlib.sha256()
    for qs in parts:
        for row in qs:
            h.update(repr(row).encode())
    return h.hexdigest()


def _counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (BusinessUnit, Customer, Contact, ChannelConsent, Document, Payment, Allocation, WriteOff, FxRate)
    }


def _run_demo_json(*args: str) -> dict:
    out = io.StringIO()
    call_command("demo", "--no-serve", "--json", "--as-of", AS_OF.isoformat(), *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


# --- the generator alone ----------------------------------------------------------------------------------


def _generated_digest(**kwargs) -> str:
    p = portfolio_generate(**kwargs)
    h = hashlib.sha256()
    for rows in (p.customers, p.contacts, p.consents, p.documents, p.payments, p.allocations, p.write_offs, p.fx_rates):
        for row in rows:
            h.update(repr(row).encode())
    return h.hexdigest()


def test_same_seed_generates_identical_portfolio_and_another_seed_does_not():
    first = _generated_digest(seed=3, customers=40, as_of=AS_OF)
    assert _generated_digest(seed=3, customers=40, as_of=AS_OF) == first
    assert _generated_digest(seed=4, customers=40, as_of=AS_OF) != first


def test_generated_history_spans_two_years_and_ends_at_as_of():
    p = portfolio_generate(seed=5, customers=120, as_of=AS_OF)
    issues = [d.issue_date for d in p.documents]
    assert min(issues) >= AS_OF - dt.timedelta(days=730)
    assert min(issues) <= AS_OF - dt.timedelta(days=700)
    assert max(issues) <= AS_OF
    assert max(x.received_date for x in p.payments) <= AS_OF
    assert max(a.date for a in p.allocations) <= AS_OF
    assert all(d.amount > 0 and d.due_date >= d.issue_date for d in p.documents)
    assert set(PROFILES) == {c.profile for c in p.customers}
    assert {c.segment for c in p.customers} == {"enterprise", "mid-market", "smb", "consumer"}


def test_contacts_have_valid_phone_numbers_for_their_country_and_consents_include_opt_outs():
    p = portfolio_generate(seed=6, customers=200, as_of=AS_OF)
    for contact in p.contacts:
        country = p.customers[contact.customer].country
        number = phonenumbers.parse(contact.phone, None)
        assert contact.phone == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert phonenumbers.is_valid_number(number), contact.phone
        assert phonenumbers.region_code_for_number(number) == country, contact.phone
        assert "@" in contact.email
        assert contact.email.split("@")[1].endswith(".example")
    statuses = Counter(c.status for c in p.consents)
    assert statuses["opted_out"] > 0
    assert statuses["granted"] > statuses["opted_out"]
    assert all(c.changed_at is None or c.changed_at.tzinfo is not None for c in p.consents)
    assert any(c.parent is not None for c in p.customers)


# --- the database -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_same_seed_gives_identical_data_twice_and_another_seed_differs():
    demo_build(seed=11, customers=SMALL, as_of=AS_OF)
    first, counts = _digest(), _counts()
    demo_build(seed=11, customers=SMALL, as_of=AS_OF)
    assert _digest() == first
    assert _counts() == counts  # rebuilt, not duplicated
    assert User.objects.filter(username="admin").count() == 1
    demo_build(seed=12, customers=SMALL, as_of=AS_OF)
    assert _digest() != first


@pytest.mark.django_db
def test_ledger_invariants_hold_for_every_document_and_payment():
    demo_build(seed=21, customers=SMALL, as_of=AS_OF)
    zero = Value(Decimal(0), output_field=MONEY_FIELD)

    def total(**filters):
        return Coalesce(
            Subquery(
                Allocation.objects.filter(**filters).values(*filters)
                .annotate(s=Sum("amount")).values("s")
            ),
            zero,
        )

    debits = Document.objects.exclude(kind=DocumentKind.CREDIT_NOTE).annotate(
        used=total(document=OuterRef("pk")),
        written_off=total(document=OuterRef("pk"), source="write_off"),
        last=Subquery(
            Allocation.objects.filter(document=OuterRef("pk")).values("document").annotate(m=Max("date")).values("m")
        ),
    )
    credits = Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).annotate(
        used=total(credit_note=OuterRef("pk")),
        written_off=zero,
        last=Subquery(
            Allocation.objects.filter(credit_note=OuterRef("pk")).values("credit_note")
            .annotate(m=Max("date")).values("m")
        ),
    )
    checked = 0
    for qs in (debits, credits):
        rows = qs.values_list("external_id", "amount", "open_amount", "status", "closed_date", "used", "written_off", "last")
        for ext, amount, open_amount, status, closed, used, written_off, last in rows:
            assert open_amount == amount - used, ext
            assert status == derive_status(amount=amount, open_amount=open_amount, written_off=written_off), ext
            assert closed == (last if open_amount == 0 else None), ext
            checked += 1
    assert checked == Document.objects.count()

    for ext, amount, unapplied, used in Payment.objects.annotate(used=total(payment=OuterRef("pk"))).values_list(
        "external_id", "amount", "unapplied_amount", "used"
    ):
        assert unapplied == amount - used, ext
    assert Payment.objects.filter(unapplied_amount__gt=0).exists()  # some unapplied cash

    # Allocations stay within one customer and currency, never dated before the document or the payment.
    assert not Allocation.objects.exclude(currency=F("document__currency")).exists()
    assert not Allocation.objects.filter(date__lt=F("document__issue_date")).exists()
    assert not Allocation.objects.filter(payment__isnull=False).exclude(payment__customer=F("document__customer")).exists()
    assert not Allocation.objects.filter(payment__isnull=False, date__lt=F("payment__received_date")).exists()
    assert not Allocation.objects.filter(credit_note__isnull=False).exclude(
        credit_note__customer=F("document__customer")
    ).exists()
    assert not Allocation.objects.filter(credit_note__isnull=False, date__lt=F("credit_note__issue_date")).exists()
    assert not Allocation.objects.filter(document__kind=DocumentKind.CREDIT_NOTE).exists()
    assert not WriteOff.objects.annotate(n=Count("allocation")).exclude(n=1).exists()
    assert not WriteOff.objects.exclude(amount=F("allocation__amount")).exists()


@pytest.mark.django_db
def test_every_business_unit_has_customers_with_open_and_overdue_documents():
    demo_build(seed=31, customers=SMALL, as_of=AS_OF)
    units = BusinessUnit.objects.filter(code__in=DEMO_BUSINESS_UNIT_CODES)
    assert sorted(units.values_list("home_currency", flat=True)) == ["EUR", "GBP", "INR", "USD"]
    for bu in units:
        open_items = Document.objects.filter(business_unit=bu, open_amount__gt=0).exclude(kind=DocumentKind.CREDIT_NOTE)
        assert open_items.filter(due_date__gte=AS_OF).exists(), f"{bu.code}: no current items"
        assert open_items.filter(due_date__lt=AS_OF).exists(), f"{bu.code}: no overdue items"
        assert not Document.objects.filter(business_unit=bu).exclude(currency=bu.home_currency).exists()
        assert Customer.objects.filter(business_unit=bu).exclude(collector=None).exists()
    assert set(FxRate.objects.values_list("currency", flat=True)) == {"GBP", "USD", "INR"}
    assert FxRate.objects.filter(date__lte=AS_OF, date__gt=AS_OF - dt.timedelta(days=31)).count() == 3


@pytest.mark.django_db
def test_every_demo_user_exists_with_its_role_and_can_log_in(client):
    demo_build(seed=41, customers=SMALL, as_of=AS_OF)
    roles = Counter(User.objects.values_list("role", flat=True))
    assert roles[Role.ADMIN] == 1
    assert roles[Role.HEAD] == 1
    assert roles[Role.AUDITOR] == 1
    assert roles[Role.LEAD] == 2
    assert 5 <= roles[Role.COLLECTOR] <= 8
    for user in User.objects.all():
        assert client.login(username=user.username, password=DEMO_PASSWORD), user.username
        client.logout()
    for lead in User.objects.filter(role=Role.LEAD):
        team = lead.teams_led.get()
        assert team.members.filter(role=Role.COLLECTOR).count() >= 2
    collector = User.objects.get(username="jan.becker")
    assert Customer.objects.filter(collector=collector).exists()
    assert client.post("/login/", {"username": "head", "password": DEMO_PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_rebuild_keeps_other_business_units_and_detaches_their_links_to_demo_customers():
    demo_build(seed=51, customers=SMALL, as_of=AS_OF)
    demo_parent = Customer.objects.filter(business_unit__code="ACME-DE").first()
    other = CustomerFactory(business_unit=BusinessUnitFactory(code="OTHER", home_currency="EUR"), parent=demo_parent)
    DocumentFactory(customer=other)
    demo_build(seed=51, customers=SMALL, as_of=AS_OF)
    other.refresh_from_db()
    assert other.parent is None
    assert Document.objects.filter(customer=other).count() == 1
    assert BusinessUnit.objects.filter(code="OTHER").exists()


@pytest.mark.smoke
@pytest.mark.django_db
def test_demo_command_json_is_one_document_with_the_counts():
    data = _run_demo_json("--customers", str(SMALL), "--seed", "7")
    assert set(data) == JSON_KEYS
    assert data["seed"] == 7
    assert data["as_of"] == AS_OF.isoformat()
    assert data["customers"] == SMALL == Customer.objects.count()
    assert data["documents"] == Document.objects.count() > SMALL * 10
    assert data["payments"] == Payment.objects.count() > 0
    assert data["allocations"] == Allocation.objects.count()
    assert data["write_offs"] == WriteOff.objects.count()
    assert data["credit_notes"] == Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).count()
    assert data["business_units"] == 4
    assert data["password"] == DEMO_PASSWORD
    assert {u["role"] for u in data["users"]} == {r.value for r in Role}
    assert set(data["open_balance"]) == {"EUR", "GBP", "INR", "USD"}
    eur = Document.objects.filter(currency="EUR", open_amount__gt=0).exclude(kind=DocumentKind.CREDIT_NOTE)
    assert Decimal(data["open_balance"]["EUR"]) == eur.aggregate(s=Sum("open_amount"))["s"]
    assert data["duration_s"] >= 0


@pytest.mark.django_db
def test_demo_command_prints_the_aging_and_how_to_log_in():
    out = io.StringIO()
    call_command("demo", "--no-serve", "--customers", str(SMALL), "--as-of", AS_OF.isoformat(), stdout=out)
    text = out.getvalue()
    assert "Aging as of 2025-06-30" in text
    assert "ACME-IN" in text
    assert "INR" in text
    assert "http://localhost:8000/login/" in text
    assert DEMO_PASSWORD in text
    for username in ("admin", "head", "auditor", "lead.emea", "jan.becker"):
        assert username in text


@pytest.mark.django_db
def test_nightly_cycle_plans_actions_and_ages_every_business_unit():
    demo_build(seed=61, customers=SMALL, as_of=AS_OF)
    lines: list[str] = []
    result = demo_run_nightly_cycle(AS_OF, write=lines.append)
    assert result["cycle"]["steps"]["dunning"]["status"] == "completed"
    assert result["cycle"]["steps"]["dunning"]["action_count"] > 0
    assert result["cycle"]["steps"]["worklist"]["open"] > 0
    rows = result["aging"]["rows"]
    assert {row["currency"] for row in rows} == {"EUR", "GBP", "INR", "USD"}
    open_eur = Document.objects.filter(currency="EUR", open_amount__gt=0).exclude(kind=DocumentKind.CREDIT_NOTE)
    eur_row = next(row for row in rows if row["currency"] == "EUR")
    assert Decimal(eur_row["total"]) == open_eur.aggregate(s=Sum("open_amount"))["s"]
    assert any("ACME-DE" in line for line in lines)


@pytest.mark.django_db
def test_rebuilding_the_demo_on_the_same_day_plans_the_same_night_again():
    demo_build(seed=61, customers=SMALL, as_of=AS_OF)
    first = demo_run_nightly_cycle(AS_OF)["cycle"]["steps"]["dunning"]
    demo_build(seed=61, customers=SMALL, as_of=AS_OF)
    second = demo_run_nightly_cycle(AS_OF)["cycle"]["steps"]["dunning"]
    assert second["already_ran"] is False
    assert second["action_count"] == first["action_count"] > 0
    first_dispatch, second_dispatch = first["counts"].pop("dispatch"), second["counts"].pop("dispatch")
    assert second["counts"] == first["counts"]
    assert second_dispatch["dispatched"] == first_dispatch["dispatched"] > 0


@pytest.mark.django_db
def test_demo_command_rejects_a_bad_date_and_too_few_customers():
    with pytest.raises(CommandError, match="--as-of"):
        call_command("demo", "--no-serve", "--as-of", "30/06/2025")
    with pytest.raises(CommandError, match="--customers"):
        call_command("demo", "--no-serve", "--customers", "2")


@pytest.mark.django_db
def test_json_mode_still_runs_the_nightly_cycle_but_prints_it_to_stderr():
    out, err = io.StringIO(), io.StringIO()
    call_command("demo", "--no-serve", "--json", "--customers", str(SMALL), "--as-of", AS_OF.isoformat(),
                 stdout=out, stderr=err)
    assert set(json.loads(out.getvalue())) == JSON_KEYS
    assert "Aging as of 2025-06-30" in err.getvalue()
