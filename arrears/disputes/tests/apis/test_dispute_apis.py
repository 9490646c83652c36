"""The disputes REST API: gates, roles, workflow codes, comments, attachments and the schema."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from arrears.disputes.models import Dispute
from arrears.disputes.services import dispute_open
from arrears.ledger.models import Document

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.disputes.tests.apis.urls")]


def _body(customer, invoices):
    return {
        "customer": customer.pk, "reason": "quantity", "description": "3 of 10 boxes missing",
        "documents": [{"document": invoices[0].pk, "amount": "60.00"}, {"document": invoices[1].pk}],
    }


def test_a_collector_opens_a_dispute_over_two_documents(client_for, customer, invoices, people):
    response = client_for("cora").post("/api/disputes/", _body(customer, invoices), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["disputed_amount"], body["owner"], body["sla_days"]) == ("open", "560.000", people["cora"].pk, 10)
    assert [(line["document_number"], line["amount"]) for line in body["lines"]] == [("INV-200", "60.000"), ("INV-500", "500.000")]


def test_more_than_the_open_amount_is_a_400_naming_the_document(client_for, customer, invoices):
    body = {**_body(customer, invoices), "documents": [{"document": invoices[0].pk, "amount": "200.01"}]}
    response = client_for("cora").post("/api/disputes/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "disputed_exceeds_open")
    assert "INV-200" in response.json()["detail"]


def test_the_workflow_through_the_api_ends_in_a_partial_credit_by_the_lead(client_for, customer, invoices):
    dispute = dispute_open(customer=customer, reason="pricing", lines=[(invoices[0], Decimal("80"))])
    url = f"/api/disputes/{dispute.pk}/transition/"

    skipped = client_for("lead").post(url, {"to": "credited"}, format="json")
    assert (skipped.status_code, skipped.json()["code"]) == (400, "invalid_transition")
    assert client_for("cora").post(url, {"to": "in_review"}, format="json").json()["status"] == "in_review"
    assert client_for("cora").post(url, {"to": "credited", "amount": "25"}, format="json").status_code == 403
    credited = client_for("lead").post(url, {"to": "credited", "amount": "25", "note": "goodwill"}, format="json")

    assert credited.status_code == 200, credited.json()
    assert (credited.json()["status"], credited.json()["resolution_amount"]) == ("credited", "25.000")
    assert Document.objects.get(pk=invoices[0].pk).open_amount == Decimal("175")


def test_a_collector_may_resolve_without_touching_balances(client_for, customer, invoices):
    dispute = dispute_open(customer=customer, reason="other", lines=[(invoices[0], None)])
    url = f"/api/disputes/{dispute.pk}/transition/"
    client_for("cora").post(url, {"to": "in_review"}, format="json")
    assert client_for("cora").post(url, {"to": "resolved_valid", "adjustment": "write_off"}, format="json").status_code == 403
    response = client_for("cora").post(url, {"to": "resolved_invalid", "note": "proof of delivery"}, format="json")
    assert (response.json()["status"], response.json()["resolution_days"]) == ("resolved_invalid", 0)


def test_another_collectors_dispute_is_not_found_anywhere(client_for, bobs_invoice, people):
    dispute = dispute_open(customer=bobs_invoice.customer, reason="other", lines=[(bobs_invoice, None)])
    api = client_for("cora")
    for url in ("", "comments/", "attachments/"):
        assert api.get(f"/api/disputes/{dispute.pk}/{url}").status_code == 404
    assert api.post(f"/api/disputes/{dispute.pk}/transition/", {"to": "in_review"}, format="json").status_code == 404
    assert api.post(f"/api/disputes/{dispute.pk}/comments/", {"body": "x"}, format="json").status_code == 404
    assert api.post("/api/disputes/", {"customer": bobs_invoice.customer_id, "reason": "other",
                                        "documents": [{"document": bobs_invoice.pk}]}, format="json").status_code == 404
    assert api.get("/api/disputes/").json()["count"] == 0
    assert client_for("lead").get(f"/api/disputes/{dispute.pk}/").status_code == 404  # not the lead's team either
    assert client_for("bob").get(f"/api/disputes/{dispute.pk}/").status_code == 200


def test_auditors_read_but_cannot_write(client_for, customer, invoices):
    dispute = dispute_open(customer=customer, reason="other", lines=[(invoices[0], None)])
    api = client_for("auditor")
    assert api.get(f"/api/disputes/{dispute.pk}/").status_code == 200
    assert api.post("/api/disputes/", _body(customer, invoices), format="json").status_code == 403
    assert api.post(f"/api/disputes/{dispute.pk}/transition/", {"to": "in_review"}, format="json").status_code == 403
    assert api.post(f"/api/disputes/{dispute.pk}/comments/", {"body": "x"}, format="json").status_code == 403
    assert Dispute.objects.get().status == "open"


def test_comments_assignment_and_attachments(client_for, customer, invoices, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    dispute = dispute_open(customer=customer, reason="quality", lines=[(invoices[0], None)])
    api = client_for("cora")

    assert api.post(f"/api/disputes/{dispute.pk}/comments/", {"body": "Photos requested"}, format="json").status_code == 201
    assert [c["body"] for c in api.get(f"/api/disputes/{dispute.pk}/comments/").json()["results"]] == ["Photos requested"]
    assert api.post(f"/api/disputes/{dispute.pk}/assign/", {"owner": people["lead"].pk}, format="json").json()["owner"] == people["lead"].pk

    upload = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    response = api.post(f"/api/disputes/{dispute.pk}/attachments/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert (response.json()["original_name"], response.json()["size"]) == ("photo.png", 72)
    bad = api.post(f"/api/disputes/{dispute.pk}/attachments/",
                   {"file": SimpleUploadedFile("x.exe", b"MZ")}, format="multipart")
    assert (bad.status_code, bad.json()["code"]) == (400, "attachment_type_not_allowed")


def test_the_disputes_schema_generates_without_warnings_and_validates():
    patterns = [path("api/", include("arrears.disputes.urls")), path("api/", include("arrears.ledger.urls"))]
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    assert warnings == {}
    validate_schema(schema)
    assert "/api/disputes/{id}/transition/" in schema["paths"]
    assert {"DisputeStatusEnum", "DisputeReasonEnum"} <= set(schema["components"]["schemas"])
