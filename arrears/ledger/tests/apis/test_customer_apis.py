import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.audit.models import AuditEvent
from arrears.ledger.models import BusinessUnit, Customer, DocumentKind
from arrears.ledger.tests.factories import BusinessUnitFactory, CustomerFactory, DocumentFactory

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)


def names(response):
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.smoke
def test_customer_list_is_paginated_with_page_size(head_api, bu):
    for i in range(5):
        CustomerFactory(business_unit=bu, name=f"Shop {i}")
    first = head_api.get("/api/customers/", {"page_size": 2})
    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 5
    assert names(first) == ["Shop 0", "Shop 1"]
    assert body["next"] is not None
    third = head_api.get("/api/customers/", {"page_size": 2, "page": 3})
    assert names(third) == ["Shop 4"]


def test_business_units_list_is_read_only_and_filterable(head_api):
    BusinessUnitFactory(code="ACME-DE")
    BusinessUnitFactory(code="ACME-US", name="Acme Inc", home_currency="USD", country="US")
    response = head_api.get("/api/business-units/", {"country": "us"})
    assert [row["code"] for row in response.json()["results"]] == ["ACME-US"]
    assert head_api.post("/api/business-units/", {"code": "X"}, format="json").status_code == 405


@pytest.fixture
def catalogue(people, bu):
    us = BusinessUnitFactory(code="ACME-US", name="Acme Inc", home_currency="USD", country="US")
    return {
        "alpha": CustomerFactory(business_unit=bu, name="Alpha Trading", external_id="A-1", segment="smb",
                                 collector=people["ann"]),
        "beta": CustomerFactory(business_unit=us, name="Beta Corp", external_id="B-7", segment="enterprise",
                                kind="consumer", jurisdiction="us_consumer", collector=people["bob"]),
        "gamma": CustomerFactory(business_unit=bu, name="Gamma", external_id="X-ALPHA", segment="smb",
                                 jurisdiction="eu_b2b"),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "alpha"}, ["Alpha Trading", "Gamma"]),  # name or external id, any case
        ({"business_unit": "ACME-US"}, ["Beta Corp"]),
        ({"segment": "smb"}, ["Alpha Trading", "Gamma"]),
        ({"kind": "consumer"}, ["Beta Corp"]),
        ({"jurisdiction": "eu_b2b"}, ["Gamma"]),
        ({"unassigned": "true"}, ["Gamma"]),
        ({"ordering": "-name"}, ["Gamma", "Beta Corp", "Alpha Trading"]),
    ],
)
def test_customer_list_filters(head_api, catalogue, params, expected):
    assert names(head_api.get("/api/customers/", params)) == expected


def test_customer_list_filters_by_collector_id(head_api, catalogue, people):
    assert names(head_api.get("/api/customers/", {"collector": people["bob"].pk})) == ["Beta Corp"]


@time_machine.travel(TODAY, tick=False)
def test_has_overdue_filter_uses_today(head_api, catalogue):
    DocumentFactory(customer=catalogue["alpha"], due_date=dt.date(2026, 3, 14), issue_date=dt.date(2026, 2, 1))
    DocumentFactory(customer=catalogue["beta"], due_date=dt.date(2026, 3, 15), issue_date=dt.date(2026, 2, 1))
    paid = DocumentFactory(customer=catalogue["gamma"], due_date=dt.date(2026, 1, 1), issue_date=dt.date(2025, 12, 1))
    paid.open_amount = D("0")
    paid.save()
    assert names(head_api.get("/api/customers/", {"has_overdue": "true"})) == ["Alpha Trading"]
    assert names(head_api.get("/api/customers/", {"has_overdue": "false"})) == ["Beta Corp", "Gamma"]


def test_invalid_filter_value_is_a_400_naming_the_filter(head_api, catalogue):
    response = head_api.get("/api/customers/", {"kind": "martian"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "kind" in response.json()["fields"]


@time_machine.travel(TODAY, tick=False)
def test_customer_rows_carry_open_balance_per_currency(head_api, ann_customer):
    DocumentFactory(customer=ann_customer, amount=D("100.00"), currency="EUR", due_date=dt.date(2026, 3, 1))
    DocumentFactory(customer=ann_customer, amount=D("40.50"), currency="EUR", due_date=dt.date(2026, 4, 1))
    DocumentFactory(customer=ann_customer, amount=D("20.00"), currency="EUR", kind=DocumentKind.CREDIT_NOTE)
    DocumentFactory(customer=ann_customer, amount=D("5000"), currency="JPY", due_date=dt.date(2026, 3, 1))
    row = head_api.get("/api/customers/").json()["results"][0]
    assert row["balances"] == [
        {"currency": "EUR", "open_amount": "140.50", "overdue_amount": "100.00", "credit_amount": "20.00"},
        {"currency": "JPY", "open_amount": "5000", "overdue_amount": "5000", "credit_amount": "0"},
    ]
    detail = head_api.get(f"/api/customers/{ann_customer.pk}/").json()
    assert detail["balances"] == row["balances"]


def _customer_list_queries(api):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/api/customers/", {"page_size": 100})
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


def _portfolio(bu, collector, n):
    for _ in range(n):
        customer = CustomerFactory(business_unit=bu, collector=collector)
        DocumentFactory(customer=customer)
        DocumentFactory(customer=customer, currency="USD")


def test_customer_list_query_count_does_not_grow_with_the_page(client_for, people, bu, django_assert_max_num_queries):
    api = client_for("ann")
    _portfolio(bu, people["ann"], 2)
    few, count = _customer_list_queries(api)
    assert count == 2
    _portfolio(bu, people["ann"], 30)
    with django_assert_max_num_queries(few):
        many, count = _customer_list_queries(api)
    assert count == 32
    assert many == few <= 4  # count, page, balances (+ nothing per row)


def test_create_customer_is_audited_and_returned(head_api, people, bu):
    response = head_api.post(
        "/api/customers/",
        {"business_unit": bu.code, "external_id": "C-900", "name": "New Co", "segment": "smb",
         "collector": people["ann"].pk, "credit_limit": "5000", "timezone": "Europe/Berlin"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["business_unit"], body["collector"], body["credit_limit"], body["credit_currency"]) == (
        "ACME-DE", people["ann"].pk, "5000.00", "EUR",
    )
    event = AuditEvent.objects.get(action="create", object_type="ledger.customer")
    assert event.actor == people["head"]
    assert event.customer_id == body["id"]


def test_a_collector_creating_a_customer_becomes_its_collector(client_for, people, bu):
    response = client_for("ann").post(
        "/api/customers/", {"business_unit": bu.code, "external_id": "C-1", "name": "Mine"}, format="json"
    )
    assert response.status_code == 201
    assert Customer.objects.get(external_id="C-1").collector == people["ann"]


def test_a_collector_may_not_assign_another_collector(client_for, people, bu):
    response = client_for("ann").post(
        "/api/customers/",
        {"business_unit": bu.code, "external_id": "C-1", "name": "Theirs", "collector": people["bob"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["collector"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"external_id": "C-ANN"}, "external_id"),  # already exists in this business unit
        ({"business_unit": "NOPE"}, "business_unit"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"credit_limit": "10.001"}, "credit_limit"),
        ({"credit_currency": "XXY", "credit_limit": "1"}, "credit_currency"),
        ({"name": ""}, "name"),
    ],
)
def test_create_customer_rejects_bad_input_naming_the_field(head_api, ann_customer, payload, field):
    data = {"business_unit": ann_customer.business_unit.code, "external_id": "C-NEW", "name": "New", **payload}
    response = head_api.post("/api/customers/", data, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]
    assert field in body["detail"]
    assert not Customer.objects.filter(external_id="C-NEW").exists()


def test_patch_customer_goes_through_the_audited_service(client_for, people, ann_customer):
    response = client_for("lead").patch(
        f"/api/customers/{ann_customer.pk}/", {"segment": "enterprise", "paused": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["segment"], response.json()["paused"]) == ("enterprise", True)
    event = AuditEvent.objects.get(action="update", object_type="ledger.customer")
    assert event.before == {"paused": False, "segment": "smb"}
    assert event.after == {"paused": True, "segment": "enterprise"}
    assert event.actor == people["lead"]


def test_patch_can_reassign_the_collector_within_the_team(client_for, people, ann_customer):
    response = client_for("lead").patch(
        f"/api/customers/{ann_customer.pk}/", {"collector": people["lead"].pk}, format="json"
    )
    assert response.status_code == 200
    ann_customer.refresh_from_db()
    assert ann_customer.collector == people["lead"]
    assert client_for("lead").patch(
        f"/api/customers/{ann_customer.pk}/", {"collector": people["bob"].pk}, format="json"
    ).status_code == 400


def test_business_unit_and_external_id_cannot_be_patched(head_api, ann_customer):
    other = BusinessUnit.objects.create(code="OTHER", name="O", home_currency="USD", country="US")
    response = head_api.patch(
        f"/api/customers/{ann_customer.pk}/", {"business_unit": other.code, "external_id": "Z"}, format="json"
    )
    assert response.status_code == 200
    ann_customer.refresh_from_db()
    assert (ann_customer.business_unit.code, ann_customer.external_id) == ("ACME-DE", "C-ANN")


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"timezone": "Europe/Atlantis"}, "timezone"), ({"kind": "alien"}, "kind"), ({"credit_limit": "1.234"}, "credit_limit")],
)
def test_patch_rejects_bad_input_naming_the_field(head_api, ann_customer, payload, field):
    response = head_api.patch(f"/api/customers/{ann_customer.pk}/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    ann_customer.refresh_from_db()
    assert (ann_customer.timezone, ann_customer.kind, ann_customer.credit_limit) == ("", "commercial", None)


def test_put_is_not_offered(head_api, ann_customer):
    assert head_api.put(f"/api/customers/{ann_customer.pk}/", {"name": "x"}, format="json").status_code == 405


def test_a_customer_cannot_be_its_own_parent(head_api, ann_customer):
    response = head_api.patch(f"/api/customers/{ann_customer.pk}/", {"parent": ann_customer.pk}, format="json")
    assert response.status_code == 400
    assert "parent" in response.json()["fields"]
