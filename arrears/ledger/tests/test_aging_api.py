import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from arrears.ledger.apis_aging import AgingReportApi
from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
D = Decimal

# The route as arrears/ledger/urls.py mounts it under /api/ (kept here so these tests do not depend on it).
urlpatterns = [
    path("api/aging/", AgingReportApi.as_view(), name="aging-report"),
    path("", include("config.urls")),
]


@pytest.fixture
def two_portfolios(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    mine = CustomerFactory(collector=alice, name="Mine")
    theirs = CustomerFactory(collector=bob, name="Theirs")
    DocumentFactory(customer=mine, issue_date=dt.date(2025, 6, 1), due_date=dt.date(2025, 6, 10), amount=D("10.00"))
    DocumentFactory(customer=theirs, issue_date=dt.date(2025, 6, 1), due_date=dt.date(2025, 6, 10), amount=D("99.00"))
    return alice, mine


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_returns_the_same_document_as_the_cli_json(admin_user, two_portfolios):
    response = client_for(admin_user).get("/api/aging/", {"as_of": "2025-06-30", "by": "collector"})

    import io
    out = io.StringIO()
    call_command("aging", "--as-of", "2025-06-30", "--by", "collector", "--json", stdout=out)
    assert response.status_code == 200
    assert response.json() == json.loads(out.getvalue())
    assert response.json()["totals"][0]["total"] == "109.00"


def test_api_applies_the_permission_gate(two_portfolios):
    alice, mine = two_portfolios

    data = client_for(alice).get("/api/aging/", {"as_of": "2025-06-30"}).json()

    assert [r["key"] for r in data["rows"]] == [mine.pk]
    assert data["totals"][0]["buckets"]["1-30"] == "10.00"


def test_api_rejects_bad_input_with_400(admin_user, two_portfolios):
    client = client_for(admin_user)

    bad_date = client.get("/api/aging/", {"as_of": "2025-13-01"})
    bad_by = client.get("/api/aging/", {"as_of": "2025-06-30", "by": "planet"})
    no_rate = client.get("/api/aging/", {"as_of": "2025-06-30", "reporting_currency": "USD"})

    assert bad_date.status_code == bad_by.status_code == no_rate.status_code == 400
    assert no_rate.json()["code"] == "no_fx_rate"
    assert "EUR" in no_rate.json()["detail"]


def test_api_needs_a_login(two_portfolios):
    assert APIClient().get("/api/aging/").status_code in (401, 403)


def test_schema_documents_the_endpoint_without_warnings():
    GENERATOR_STATS.reset()

    schema = SchemaGenerator(patterns=urlpatterns[:1]).get_schema(request=None, public=True)

    assert not GENERATOR_STATS, "drf-spectacular warned while generating the aging schema"
    op = schema["paths"]["/api/aging/"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"as_of", "by", "basis", "currency", "reporting_currency"}
    assert "AgingReport" in schema["components"]["schemas"]
    assert "AgingRow" in schema["components"]["schemas"]
