import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from arrears.audit.models import AuditEvent
from arrears.ledger.models import Document, DocumentKind, DocumentStatus
from arrears.ledger.services import payment_allocate
from arrears.ledger.tests.factories import (
    BusinessUnitFactory,
    CustomerFactory,
    DocumentFactory,
    PaymentFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal


def ids(response):
    assert response.status_code == 200, response.json()
    return [row["external_id"] for row in response.json()["results"]]


def new_document(customer, **overrides):
    return {
        "customer": customer.pk, "external_id": "INV-1", "issue_date": "2026-01-10", "due_date": "2026-02-09",
        "amount": "1200.50", "currency": "EUR", **overrides,
    }


def test_create_document_starts_fully_open_and_is_audited(client_for, people, ann_customer):
    payload = new_document(ann_customer, open_amount="1.00", status="paid", reference="PO-77")
    response = client_for("ann").post("/api/documents/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["currency"], body["open_amount"], body["status"]) == (
        "1200.50", "EUR", "1200.50", "open",
    )
    assert (body["issue_date"], body["due_date"], body["business_unit"]) == ("2026-01-10", "2026-02-09", "ACME-DE")
    doc = Document.objects.get(pk=body["id"])
    assert doc.open_amount == doc.amount == D("1200.50")
    event = AuditEvent.objects.get(action="create", object_type="ledger.document")
    assert (event.actor, event.customer_id) == (people["ann"], ann_customer.pk)


def test_amounts_are_rendered_to_the_currency_exponent(head_api, ann_customer):
    response = head_api.post(
        "/api/documents/", new_document(ann_customer, amount="150000", currency="jpy"), format="json"
    )
    assert response.status_code == 201
    assert (response.json()["amount"], response.json()["currency"]) == ("150000", "JPY")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"currency": "ZZZ"}, "currency"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "10.001"}, "amount"),  # EUR has two decimals
        ({"amount": "10.5", "currency": "JPY"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"due_date": "2026-01-09"}, "due_date"),  # before the issue date
        ({"issue_date": "10/01/2026"}, "issue_date"),
        ({"kind": "receipt"}, "kind"),
        ({"external_id": "INV-OLD"}, "external_id"),  # taken in this business unit
    ],
)
def test_create_document_rejects_bad_input_naming_the_field(head_api, ann_customer, overrides, field):
    DocumentFactory(customer=ann_customer, external_id="INV-OLD")
    response = head_api.post("/api/documents/", new_document(ann_customer, **overrides), format="json")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], list(body["fields"])) == ("invalid", [field])
    assert Document.objects.count() == 1


def test_a_collector_cannot_create_a_document_for_someone_elses_customer(client_for, bob_customer):
    response = client_for("ann").post("/api/documents/", new_document(bob_customer), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["customer"]


@pytest.fixture
def ledger(ann_customer, bob_customer):
    us = BusinessUnitFactory(code="ACME-US", name="Acme Inc", home_currency="USD", country="US")
    us_customer = CustomerFactory(business_unit=us)
    docs = {
        "A": DocumentFactory(customer=ann_customer, external_id="A", issue_date=dt.date(2026, 1, 1),
                             due_date=dt.date(2026, 1, 31), amount=D("100.00")),
        "B": DocumentFactory(customer=ann_customer, external_id="B", issue_date=dt.date(2026, 2, 1),
                             due_date=dt.date(2026, 3, 3), amount=D("250.00")),
        "C": DocumentFactory(customer=ann_customer, external_id="C", kind=DocumentKind.CREDIT_NOTE,
                             issue_date=dt.date(2026, 1, 15), due_date=dt.date(2026, 1, 15), amount=D("30.00")),
        "D": DocumentFactory(customer=bob_customer, external_id="D", issue_date=dt.date(2026, 1, 5),
                             due_date=dt.date(2026, 2, 4), amount=D("80.00")),
        "E": DocumentFactory(customer=us_customer, external_id="E", issue_date=dt.date(2026, 3, 1),
                             due_date=dt.date(2026, 4, 1), amount=D("500.00")),
    }
    # Open amounts are derived: settle B in part and D in full through real allocations.
    payment_allocate(payment=PaymentFactory(customer=ann_customer, amount=D("200.00")), allocations=[(docs["B"], D("200.00"))])
    payment_allocate(payment=PaymentFactory(customer=bob_customer, amount=D("80.00")), allocations=[(docs["D"], D("80.00"))])
    for doc in docs.values():
        doc.refresh_from_db()
    assert (docs["B"].status, docs["D"].status) == (DocumentStatus.PARTIALLY_PAID, DocumentStatus.PAID)
    return docs


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["C", "A", "D", "B", "E"]),  # due date order
        ({"business_unit": "ACME-US"}, ["E"]),
        ({"currency": "usd"}, ["E"]),
        ({"kind": "credit_note"}, ["C"]),
        ({"status": ["open", "partially_paid"]}, ["C", "A", "B", "E"]),
        ({"due_before": "2026-01-31"}, ["C", "A"]),  # inclusive
        ({"due_after": "2026-02-04", "due_before": "2026-03-03"}, ["D", "B"]),
        ({"issue_after": "2026-02-01"}, ["B", "E"]),
        ({"issue_before": "2026-01-05"}, ["A", "D"]),
        ({"overdue_as_of": "2026-03-04"}, ["A", "B"]),  # open debit documents past due; not the credit note
        ({"min_open": "60"}, ["A", "E"]),
        ({"max_open": "50"}, ["C", "D", "B"]),
        ({"external_id": "B"}, ["B"]),
        ({"ordering": "-amount"}, ["E", "B", "A", "D", "C"]),
        ({"ordering": "open_amount,due_date"}, ["D", "C", "B", "A", "E"]),
    ],
)
def test_document_list_filters_and_ordering(head_api, ledger, params, expected):
    assert ids(head_api.get("/api/documents/", params)) == expected


def test_document_list_filters_by_customer(head_api, ledger, bob_customer):
    assert ids(head_api.get("/api/documents/", {"customer": bob_customer.pk})) == ["D"]


def test_document_list_pages_do_not_overlap_under_ties(head_api, ann_customer):
    for i in range(7):
        DocumentFactory(customer=ann_customer, external_id=f"T{i}")  # same amount and due date
    seen = []
    for page in (1, 2, 3):
        seen += ids(head_api.get("/api/documents/", {"ordering": "amount", "page_size": 3, "page": page}))
    assert sorted(seen) == [f"T{i}" for i in range(7)]


@time_machine.travel(dt.datetime(2026, 2, 10, 9, tzinfo=dt.UTC), tick=False)
def test_document_detail_shows_days_past_due_today(head_api, ledger):
    body = head_api.get(f"/api/documents/{ledger['A'].pk}/").json()
    assert (body["days_past_due"], body["open_amount"], body["customer_name"]) == (10, "100.00", "Ann's Bakery")
    assert head_api.get(f"/api/documents/{ledger['D'].pk}/").json()["days_past_due"] == 0  # paid


def test_documents_cannot_be_changed_or_deleted(head_api, ledger):
    url = f"/api/documents/{ledger['A'].pk}/"
    assert head_api.patch(url, {"open_amount": "0"}, format="json").status_code == 405
    assert head_api.delete(url).status_code == 405


@pytest.mark.parametrize("who", ["head", "admin", "lead"])
def test_write_off_by_head_admin_or_lead(client_for, people, ledger, who):
    doc = ledger["B"]  # Ann's, in the lead's team; 50.00 still open
    response = client_for(who).post(
        f"/api/documents/{doc.pk}/write-off/", {"date": "2026-03-10", "reason": "small balance"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["currency"], body["approved_by"]) == ("50.00", "EUR", people[who].pk)
    assert (body["document"]["status"], body["document"]["open_amount"]) == ("written_off", "0.00")
    assert AuditEvent.objects.get(action="write_off").actor == people[who]


def test_partial_write_off_leaves_the_rest_open(head_api, ledger):
    response = head_api.post(
        f"/api/documents/{ledger['A'].pk}/write-off/",
        {"amount": "30.00", "date": "2026-03-10", "reason": "goodwill"}, format="json",
    )
    assert response.status_code == 201
    assert (response.json()["document"]["open_amount"], response.json()["document"]["status"]) == (
        "70.00", "partially_paid",
    )


@pytest.mark.parametrize("who", ["ann", "auditor"])
def test_collectors_and_auditors_may_not_write_off(client_for, ledger, who):
    doc = ledger["A"]
    response = client_for(who).post(
        f"/api/documents/{doc.pk}/write-off/", {"date": "2026-03-10", "reason": "x"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    doc.refresh_from_db()
    assert doc.open_amount == D("100.00")


def test_a_lead_cannot_write_off_outside_the_team(client_for, ledger):
    response = client_for("lead").post(
        f"/api/documents/{ledger['D'].pk}/write-off/", {"date": "2026-03-10", "reason": "x"}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"amount": "100.01"}, "allocation_exceeds_document"),
        ({"amount": "0"}, "non_positive_amount"),
    ],
)
def test_write_off_breaking_a_ledger_rule_is_a_400_with_its_code(head_api, ledger, payload, code):
    response = head_api.post(
        f"/api/documents/{ledger['A'].pk}/write-off/", {"date": "2026-03-10", "reason": "x", **payload}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"]


def test_write_off_of_a_credit_note_is_refused_with_a_code(head_api, ledger):
    response = head_api.post(
        f"/api/documents/{ledger['C'].pk}/write-off/", {"date": "2026-03-10", "reason": "x"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "not_a_debit_document")


def test_write_off_without_a_reason_names_the_field(head_api, ledger):
    response = head_api.post(f"/api/documents/{ledger['A'].pk}/write-off/", {"date": "2026-03-10"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["reason"]
