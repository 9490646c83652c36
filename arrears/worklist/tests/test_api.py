"""The workspace REST API: gates, roles, the compliance refusal, targets with progress, the schema."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from arrears.ledger.services import customer_update
from arrears.promises.models import Promise
from arrears.worklist.models import CallLog, FollowUp
from arrears.worklist.services import worklist_build
from arrears.worklist.tests.conftest import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.worklist.tests.urls")]
D = Decimal


@pytest.fixture
def api(people):
    def make(who):
        client = APIClient()
        client.force_authenticate(user=people[who])
        return client

    return make


def test_worklist_items_are_your_own_by_default_and_a_lead_may_ask_for_a_member(api, make_customer, people):
    mine = make_customer("Mine")
    carls = make_customer("Carl's", collector="carl")
    for c in (mine, carls):
        FollowUp.objects.create(customer=c, user=c.collector, date=TODAY)
    worklist_build(as_of=TODAY)
    rows = api("cora").get("/api/worklist/items/").json()["results"]
    assert [r["customer_name"] for r in rows] == ["Mine"]
    assert rows[0]["source"] == "follow_up"
    assert rows[0]["risk_text"] == "€1,000.00 overdue 45 days"
    assert [r["customer_name"] for r in api("lead").get("/api/worklist/items/?user=carl").json()["results"]] == ["Carl's"]
    assert api("cora").get("/api/worklist/items/?user=carl").json()["results"] == []


def test_a_call_with_a_promise_through_the_api(api, make_customer):
    customer = make_customer(amount="700.00")
    doc = customer.documents.get()
    response = api("cora").post("/api/call-logs/", {
        "customer": customer.pk, "outcome": "promise", "promise_amount": "700.00", "promise_date": "2026-03-17",
        "promise_documents": [doc.pk], "notes": "by transfer",
    }, format="json")
    assert response.status_code == 201, response.json()
    assert Promise.objects.get().pk == response.json()["promise"]
    assert api("cora").get(f"/api/call-logs/?customer={customer.pk}").json()["results"][0]["outcome"] == "promise"


def test_a_refused_call_is_a_409_naming_the_rule(api, make_customer):
    customer = make_customer()
    customer_update(customer=customer, do_not_contact=True)
    response = api("cora").post("/api/call-logs/", {"customer": customer.pk, "outcome": "no_answer"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "contact_blocked"
    assert "HOLD-DNC" in response.json()["blocking_rules"]
    assert not CallLog.objects.exists()


def test_gates_and_roles(api, make_customer):
    sams = make_customer("Sam's", collector="sam")
    assert api("cora").post("/api/call-logs/", {"customer": sams.pk, "outcome": "no_answer"}, format="json").status_code == 404
    assert api("cora").post("/api/notes/", {"customer": sams.pk, "body": "x"}, format="json").status_code == 404
    assert api("auditor").post("/api/notes/", {"customer": sams.pk, "body": "x"}, format="json").status_code == 403
    assert api("sam").post("/api/notes/", {"customer": sams.pk, "body": "hello"}, format="json").status_code == 201
    assert api("cora").get("/api/notes/").json()["results"] == []
    assert api("head").get("/api/notes/").json()["results"][0]["body"] == "hello"


def test_follow_ups_are_created_and_completed(api, make_customer):
    customer = make_customer()
    created = api("cora").post("/api/follow-ups/", {"customer": customer.pk, "date": "2026-03-12", "note": "x"}, format="json")
    assert created.status_code == 201
    done = api("cora").post(f"/api/follow-ups/{created.json()['id']}/complete/", format="json")
    assert done.json()["done_at"] is not None
    assert api("cora").post("/api/follow-ups/", {"customer": customer.pk, "date": "2026-03-01"}, format="json").json()["code"] == "follow_up_date_past"


def test_targets_with_progress_and_who_may_set_them(api, people, make_customer):
    body = {"scope": "team", "team": people["south"].pk, "period": "monthly", "start_date": "2026-03-01", "amount": "5000", "currency": "EUR"}
    refused = api("lead").post("/api/targets/", body, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "target_forbidden"
    created = api("head").post("/api/targets/", body, format="json")
    assert created.status_code == 201
    assert created.json()["progress"] == {"start": "2026-03-01", "end": "2026-03-31", "collected": "0.00", "percent": 0,
                                          "by_currency": {}, "missing_rates": []}
    assert api("sam").get("/api/targets/").json()["results"][0]["team"] == "South"
    assert api("cora").get("/api/targets/").json()["results"] == []
    assert api("cora").get(f"/api/targets/{created.json()['id']}/").status_code == 404
    mine = api("lead").post("/api/targets/", {**body, "scope": "user", "team": None, "user": "cora", "period": "daily",
                                              "start_date": dt.date(2026, 3, 10).isoformat()}, format="json")
    assert mine.status_code == 201


def test_the_workspace_schema_generates_without_warnings_and_validates():
    patterns = [path("api/", include("arrears.worklist.api_urls"))]
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    assert warnings == {}
    validate_schema(schema)
    assert {"/api/worklist/items/", "/api/call-logs/", "/api/follow-ups/", "/api/targets/", "/api/notes/"} <= set(schema["paths"])
    assert {"CallOutcomeEnum", "ItemSourceEnum", "TargetPeriodEnum"} <= set(schema["components"]["schemas"])
