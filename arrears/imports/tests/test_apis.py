import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from arrears.imports.tests.conftest import ledger_counts, native_csv
from arrears.ledger.models import Document

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(client, data: bytes, name: str = "documents.csv", **extra):
    payload = {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "profile": "arrears-documents",
               "business_unit": "ACME-DE", **extra}
    return client.post("/api/imports/", payload, format="multipart")


def test_upload_imports_and_answers_like_the_cli(unit, make_user):
    response = upload(client_for(make_user("lena", role="lead")), native_csv())

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "ok"
    assert body["counts"]["documents"]["created"] == 4
    assert Document.objects.count() == 4


def test_rejected_upload_is_400_with_the_errors(unit, make_user):
    before = ledger_counts()

    response = upload(client_for(make_user("lena", role="lead")),
                      native_csv(["C1,X,DE,INV-1,invoice,2026-01-12,2026-02-11,10,EURO,,,,"]))

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "rejected"
    assert body["errors"][0]["code"] == "unknown_currency"
    assert body["errors"][0]["row"] == 2
    assert ledger_counts() == before


def test_dry_run_upload_writes_nothing(unit, make_user):
    before = ledger_counts()
    response = upload(client_for(make_user("lena", role="lead")), native_csv(), dry_run="true")
    assert response.status_code == 201
    assert response.json()["dry_run"] is True
    assert ledger_counts() == before


@pytest.mark.parametrize("role", ["collector", "auditor"])
def test_roles_that_cannot_import_get_403(unit, make_user, role):
    response = upload(client_for(make_user("cid", role=role)), native_csv())
    assert response.status_code == 403
    assert Document.objects.count() == 0


def test_collectors_cannot_read_imports(unit, make_user):
    client = client_for(make_user("cid", role="collector"))
    assert client.get("/api/imports/").status_code == 403
    assert client.get("/api/import-profiles/").status_code == 403


def test_runs_and_profiles_can_be_read(unit, make_user):
    lead = make_user("lena", role="lead")
    run_id = upload(client_for(lead), native_csv()).json()["run"]
    auditor = client_for(make_user("audrey", role="auditor"))

    runs = auditor.get("/api/imports/").json()["results"]
    detail = auditor.get(f"/api/imports/{run_id}/").json()
    profiles = auditor.get("/api/import-profiles/").json()

    assert [r["id"] for r in runs] == [run_id]
    assert (runs[0]["user"], runs[0]["status"], runs[0]["counts"]["documents"]["created"]) == ("lena", "ok", 4)
    assert detail["errors"] == []
    assert detail["file_name"] == "documents.csv"
    assert {"ibm-late-payment", "arrears-documents"} <= {p["name"] for p in profiles}
    ibm = next(p for p in profiles if p["name"] == "ibm-late-payment")
    assert {"source": "invoiceNumber", "field": "document.external_id"} in ibm["mapping"]
    assert auditor.get("/api/imports/999999/").status_code == 404


def test_upload_of_another_file_type_is_refused(unit, make_user):
    response = upload(client_for(make_user("lena", role="lead")), b"x", name="documents.pdf")
    assert response.status_code == 400
    assert "only .csv and .xlsx" in str(response.json())


def test_import_endpoints_are_in_the_openapi_schema_without_warnings():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert {"/api/imports/", "/api/imports/{id}/", "/api/import-profiles/"} <= set(schema["paths"])
    post = schema["paths"]["/api/imports/"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"201", "400"} <= set(post["responses"])
