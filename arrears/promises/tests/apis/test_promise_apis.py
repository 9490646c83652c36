"""The promises and payment plans REST API: gates, roles, codes and the schema."""

import datetime as dt

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from arrears.promises.models import PaymentPlan, Promise
from arrears.promises.tests.factories import make_plan, make_promise

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.promises.tests.apis.urls")]


def _promise_body(customer, invoices, **extra):
    return {
        "customer": customer.pk, "amount": "150.00", "currency": "EUR", "promised_date": "2099-03-01",
        "documents": [invoices[1].pk], "channel": "email", **extra,
    }


def test_a_collector_records_a_promise_for_their_customer(client_for, customer, invoices, people):
    response = client_for("cora").post("/api/promises/", _promise_body(customer, invoices), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["amount"], body["documents"], body["channel"]) == ("pending", "150.000", [invoices[1].pk], "email")
    assert body["created_by"] == people["cora"].pk
    assert body["deadline"] == "2099-03-04"


def test_a_promise_over_the_open_amount_is_a_400_with_its_code(client_for, customer, invoices):
    response = client_for("cora").post("/api/promises/", _promise_body(customer, invoices, amount="999"), format="json")
    assert (response.status_code, response.json()["code"]) == (400, "amount_exceeds_open")


def test_another_collectors_customer_and_documents_are_not_found(client_for, customer, invoices, bobs_invoice):
    api = client_for("cora")
    body = _promise_body(customer, invoices)
    assert api.post("/api/promises/", {**body, "customer": bobs_invoice.customer_id}, format="json").status_code == 404
    response = api.post("/api/promises/", {**body, "documents": [bobs_invoice.pk]}, format="json")
    assert response.status_code == 400
    assert "no such document" in response.json()["detail"]
    theirs = make_promise(bobs_invoice.customer, documents=[bobs_invoice])
    assert api.get(f"/api/promises/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/promises/{theirs.pk}/cancel/", {}, format="json").status_code == 404
    assert api.get("/api/promises/").json()["count"] == 0
    assert client_for("bob").get(f"/api/promises/{theirs.pk}/").status_code == 200


def test_auditors_read_but_cannot_write(client_for, customer, invoices):
    promise = make_promise(customer, documents=[invoices[0]])
    api = client_for("auditor")
    assert api.get("/api/promises/").json()["count"] == 1
    assert api.get(f"/api/promises/{promise.pk}/").status_code == 200
    assert api.post("/api/promises/", _promise_body(customer, invoices), format="json").status_code == 403
    assert api.post(f"/api/promises/{promise.pk}/cancel/", {}, format="json").status_code == 403
    assert api.post("/api/payment-plans/", {}, format="json").status_code == 403
    assert Promise.objects.get().status == "pending"


def test_a_promise_is_cancelled_once(client_for, customer, invoices):
    promise = make_promise(customer, documents=[invoices[0]])
    api = client_for("cora")
    assert api.post(f"/api/promises/{promise.pk}/cancel/", {"reason": "paid elsewhere"}, format="json").json()["status"] == "cancelled"
    again = api.post(f"/api/promises/{promise.pk}/cancel/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "not_pending")


def test_promises_filter_by_status_and_customer(client_for, customer, invoices):
    make_promise(customer, documents=[invoices[0]])
    cancelled = make_promise(customer, amount="10", documents=[invoices[1]])
    client_for("cora").post(f"/api/promises/{cancelled.pk}/cancel/", {}, format="json")
    api = client_for("head")
    assert [r["id"] for r in api.get("/api/promises/", {"status": "cancelled"}).json()["results"]] == [cancelled.pk]
    assert api.get("/api/promises/", {"customer": customer.pk}).json()["count"] == 2


def _plan_body(customer, invoices, **extra):
    return {
        "customer": customer.pk, "documents": [invoices[0].pk, invoices[1].pk], "frequency": "monthly",
        "first_due_date": (dt.date.today() + dt.timedelta(days=30)).isoformat(), "instalment_count": 3, **extra,
    }


def test_a_plan_within_the_collectors_limit_is_active_with_its_instalments(client_for, customer, invoices):
    response = client_for("cora").post("/api/payment-plans/", _plan_body(customer, invoices), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["total"], body["schedule_kind"]) == ("active", "300.000", "equal")
    assert [i["amount"] for i in body["instalments"]] == ["100.000", "100.000", "100.000"]


def test_a_plan_above_the_collectors_limit_waits_for_the_lead(client_for, customer, invoices, people):
    response = client_for("cora").post("/api/payment-plans/", _plan_body(customer, invoices, instalment_count=9), format="json")
    plan_id = response.json()["id"]
    assert response.json()["status"] == "pending_approval"

    refused = client_for("cora").post(f"/api/payment-plans/{plan_id}/approve/", format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "approval_limit_exceeded")
    approved = client_for("lead").post(f"/api/payment-plans/{plan_id}/approve/", format="json")
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("active", people["lead"].pk)


def test_a_custom_schedule_not_summing_is_a_400(client_for, customer, invoices):
    body = _plan_body(
        customer, invoices, schedule_kind="custom",
        schedule=[{"due_date": "2099-01-01", "amount": "100"}, {"due_date": "2099-02-01", "amount": "100"}],
    )
    response = client_for("cora").post("/api/payment-plans/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "schedule_sum_mismatch")
    assert not PaymentPlan.objects.exists()


def test_another_collectors_plan_is_not_found(client_for, bobs_invoice, people):
    plan = make_plan(bobs_invoice.customer, [bobs_invoice], by=people["bob"])
    api = client_for("cora")
    assert api.get(f"/api/payment-plans/{plan.pk}/").status_code == 404
    assert api.post(f"/api/payment-plans/{plan.pk}/cancel/", {}, format="json").status_code == 404
    assert client_for("bob").post(f"/api/payment-plans/{plan.pk}/cancel/", {}, format="json").json()["status"] == "cancelled"


def test_a_draft_plan_is_submitted_through_the_api(client_for, customer, invoices):
    api = client_for("cora")
    plan_id = api.post("/api/payment-plans/", _plan_body(customer, invoices, submit=False), format="json").json()["id"]
    assert api.get(f"/api/payment-plans/{plan_id}/").json()["status"] == "draft"
    assert api.post(f"/api/payment-plans/{plan_id}/submit/", format="json").json()["status"] == "active"


def test_the_promises_schema_generates_without_warnings_and_validates():
    patterns = [path("api/", include("arrears.promises.urls")), path("api/", include("arrears.ledger.urls"))]
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    assert warnings == {}
    validate_schema(schema)
    assert {"/api/promises/", "/api/promises/{id}/cancel/", "/api/payment-plans/{id}/approve/"} <= set(schema["paths"])
    assert {"PromiseStatusEnum", "PlanStatusEnum", "InstalmentStatusEnum"} <= set(schema["components"]["schemas"])
