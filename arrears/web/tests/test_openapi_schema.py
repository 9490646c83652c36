"""The whole project's OpenAPI schema: every app's endpoints, generated without a single warning."""

import pytest
import yaml
from django.core.management import call_command


@pytest.mark.django_db
def test_the_project_schema_generates_without_warnings_and_validates(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    for expected in ("/api/customers/", "/api/documents/", "/api/payments/", "/api/imports/", "/api/aging/",
                     "/api/compliance/check/", "/api/dunning/runs/", "/api/kpis/", "/api/auth/token/"):
        assert expected in paths, expected


@pytest.mark.django_db
def test_the_schema_is_served_by_the_app(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/api/customers/" in response.json()["paths"]
