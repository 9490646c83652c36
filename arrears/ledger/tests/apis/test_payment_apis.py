import datetime as dt
from decimal import Decimal

import pytest

from arrears.audit.models import AuditEvent
from arrears.ledger.models import Allocation, Document, DocumentKind, Payment
from arrears.ledger.services import document_write_off, payment_allocate
from arrears.ledger.tests.factories import DocumentFactory, PaymentFactory

pytestmark = pytest.mark.django_db
D = Decimal


def new_payment(customer, **overrides):
    return {
        "customer": customer.pk, "external_id": "BANK-1", "received_date": "2026-03-01", "amount": "75.25",
        "currency": "EUR", "method": "transfer", **overrides,
    }


def test_create_payment_is_all_unapplied_and_audited(client_for, people, ann_customer):
    response = client_for("ann").post(
        "/api/payments/", new_payment(ann_customer, unapplied_amount="0"), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["unapplied_amount"], body["currency"], body["business_unit"]) == (
        "75.25", "75.25", "EUR", "ACME-DE",
    )
    event = AuditEvent.objects.get(action="create", object_type="ledger.payment")
    assert (event.actor, event.customer_id) == (people["ann"], ann_customer.pk)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "75.251"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"currency": "EUROS"}, "currency"),
        ({"received_date": ""}, "received_date"),
        ({"external_id": "BANK-OLD"}, "external_id"),
    ],
)
def test_create_payment_rejects_bad_input_naming_the_field(head_api, ann_customer, overrides, field):
    PaymentFactory(customer=ann_customer, external_id="BANK-OLD")
    response = head_api.post("/api/payments/", new_payment(ann_customer, **overrides), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert Payment.objects.count() == 1


def test_payment_list_filters(head_api, ann_customer, bob_customer):
    PaymentFactory(customer=ann_customer, external_id="P1", received_date=dt.date(2026, 1, 5), method="card")
    PaymentFactory(customer=ann_customer, external_id="P2", received_date=dt.date(2026, 2, 5), currency="USD")
    used = PaymentFactory(customer=bob_customer, external_id="P3", received_date=dt.date(2026, 3, 5))
    payment_allocate(payment=used, allocations=[(DocumentFactory(customer=bob_customer), D("100.00"))])

    def ext(params):
        return [row["external_id"] for row in head_api.get("/api/payments/", params).json()["results"]]

    assert ext({}) == ["P3", "P2", "P1"]  # newest first
    assert ext({"customer": ann_customer.pk}) == ["P2", "P1"]
    assert ext({"currency": "usd"}) == ["P2"]
    assert ext({"method": "CARD"}) == ["P1"]
    assert ext({"received_after": "2026-02-05"}) == ["P3", "P2"]
    assert ext({"received_before": "2026-02-04"}) == ["P1"]
    assert ext({"has_unapplied": "false"}) == ["P3"]
    assert ext({"ordering": "received_date", "page_size": 2}) == ["P1", "P2"]


@pytest.fixture
def open_items(ann_customer):
    older = DocumentFactory(customer=ann_customer, external_id="OLD", issue_date=dt.date(2026, 1, 1),
                            amount=D("30.00"))
    newer = DocumentFactory(customer=ann_customer, external_id="NEW", issue_date=dt.date(2026, 2, 1),
                            amount=D("50.00"))
    payment = PaymentFactory(customer=ann_customer, amount=D("60.00"), received_date=dt.date(2026, 3, 1))
    return older, newer, payment


def test_auto_allocation_settles_the_oldest_first(client_for, open_items):
    older, newer, payment = open_items
    response = client_for("ann").post(f"/api/payments/{payment.pk}/allocate/", {"auto": True}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["payment"]["unapplied_amount"] == "0.00"
    assert [(a["document"], a["amount"], a["source"]) for a in body["allocations"]] == [
        (older.pk, "30.00", "payment"), (newer.pk, "30.00", "payment"),
    ]
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.status, newer.status, newer.open_amount) == ("paid", "partially_paid", D("20.00"))


def test_explicit_partial_allocation(client_for, open_items):
    _, newer, payment = open_items
    response = client_for("ann").post(
        f"/api/payments/{payment.pk}/allocate/",
        {"allocations": [{"document": newer.pk, "amount": "12.34"}], "date": "2026-03-05"}, format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["payment"]["unapplied_amount"] == "47.66"
    assert response.json()["allocations"][0]["date"] == "2026-03-05"
    newer.refresh_from_db()
    assert newer.open_amount == D("37.66")
    assert AuditEvent.objects.filter(action="allocate").count() == 1


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([("NEW", "50.01")], "allocation_exceeds_document"),
        ([("OLD", "30.00"), ("NEW", "30.01")], "allocation_exceeds_payment"),
        ([("CN", "5.00")], "not_a_debit_document"),
        ([("USD", "5.00")], "currency_mismatch"),
    ],
)
def test_an_allocation_breaking_a_rule_is_a_400_with_its_code_and_writes_nothing(
    head_api, ann_customer, open_items, lines, code
):
    older, newer, payment = open_items
    docs = {
        "OLD": older, "NEW": newer,
        "CN": DocumentFactory(customer=ann_customer, kind=DocumentKind.CREDIT_NOTE),
        "USD": DocumentFactory(customer=ann_customer, currency="USD"),
    }
    payload = {"allocations": [{"document": docs[name].pk, "amount": amount} for name, amount in lines]}
    response = head_api.post(f"/api/payments/{payment.pk}/allocate/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not Allocation.objects.exists()
    payment.refresh_from_db()
    assert payment.unapplied_amount == D("60.00")


def test_allocating_another_customers_document_is_refused(head_api, open_items, bob_customer):
    *_, payment = open_items
    theirs = DocumentFactory(customer=bob_customer)
    response = head_api.post(
        f"/api/payments/{payment.pk}/allocate/", {"allocations": [{"document": theirs.pk, "amount": "1.00"}]},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "customer_mismatch")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "allocations"),
        ({"auto": True, "allocations": [{"document": 1, "amount": "1.00"}]}, "allocations"),
        ({"allocations": [{"document": 999999, "amount": "1.00"}]}, "allocations"),
        ({"allocations": [{"document": "OLD", "amount": "1.005"}]}, "allocations"),
        ({"allocations": [{"document": "OLD", "amount": "1"}, {"document": "OLD", "amount": "2"}]}, "allocations"),
    ],
)
def test_malformed_allocation_requests_name_the_field(head_api, open_items, payload, field):
    older, _, payment = open_items
    for line in payload.get("allocations", []):
        if line["document"] == "OLD":
            line["document"] = older.pk
    response = head_api.post(f"/api/payments/{payment.pk}/allocate/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == [field]
    assert field in response.json()["detail"]


def test_a_collector_cannot_allocate_with_documents_they_cannot_see(client_for, open_items, bob_customer):
    *_, payment = open_items
    theirs = DocumentFactory(customer=bob_customer)
    response = client_for("ann").post(
        f"/api/payments/{payment.pk}/allocate/", {"allocations": [{"document": theirs.pk, "amount": "1.00"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["detail"]


def test_allocation_list_filters_by_payment_document_and_source(head_api, open_items):
    older, newer, payment = open_items
    payment_allocate(payment=payment)
    document_write_off(document=newer, date=dt.date(2026, 3, 9), reason="rest")

    def rows(params):
        return [(r["document"], r["source"], r["amount"]) for r in head_api.get("/api/allocations/", params).json()["results"]]

    assert rows({"payment": payment.pk}) == [(older.pk, "payment", "30.00"), (newer.pk, "payment", "30.00")]
    assert rows({"document": newer.pk}) == [(newer.pk, "payment", "30.00"), (newer.pk, "write_off", "20.00")]
    assert rows({"source": "write_off"}) == [(newer.pk, "write_off", "20.00")]
    assert head_api.post("/api/allocations/", {}, format="json").status_code == 405


def test_payment_detail(head_api, open_items):
    *_, payment = open_items
    body = head_api.get(f"/api/payments/{payment.pk}/").json()
    assert (body["external_id"], body["amount"], body["received_date"]) == (payment.external_id, "60.00", "2026-03-01")
    assert Document.objects.count() == 2
