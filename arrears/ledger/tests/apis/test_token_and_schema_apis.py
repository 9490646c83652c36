import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from arrears.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

TOKEN_URLS = "arrears.ledger.tests.apis.urls"
LEDGER_PATHS = [
    "/api/business-units/",
    "/api/customers/",
    "/api/customers/{id}/",
    "/api/customers/{customer_id}/contacts/",
    "/api/customers/{customer_id}/contacts/{id}/",
    "/api/customers/{customer_id}/contacts/{contact_id}/consents/",
    "/api/customers/{customer_id}/contacts/{contact_id}/consents/{channel}/",
    "/api/documents/",
    "/api/documents/{id}/",
    "/api/documents/{id}/write-off/",
    "/api/payments/",
    "/api/payments/{id}/",
    "/api/payments/{id}/allocate/",
    "/api/allocations/",
    "/api/allocations/{id}/",
]


@pytest.mark.urls(TOKEN_URLS)
def test_a_token_from_username_and_password_authenticates(people, ann_customer):
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": "ann", "password": "pw-ann"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    again = client.post("/api/auth/token/", {"username": "ann", "password": "pw-ann"}, format="json")
    assert again.json()["token"] == token  # one token per user
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert [r["id"] for r in client.get("/api/customers/").json()["results"]] == [ann_customer.pk]


@pytest.mark.urls(TOKEN_URLS)
def test_wrong_password_gets_no_token(people):
    response = APIClient().post("/api/auth/token/", {"username": "ann", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_a_bad_token_is_401(people):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/customers/").status_code == 401


def test_writes_with_a_token_are_attributed_to_its_user(people, ann_customer):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=people['ann']).key}")
    response = client.patch(f"/api/customers/{ann_customer.pk}/", {"segment": "vip"}, format="json")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="update")
    assert (event.actor, event.actor_label) == (people["ann"], "ann")


def test_session_login_works_too(people, ann_customer):
    client = APIClient()
    client.login(username="ann", password="pw-ann")
    assert client.get(f"/api/customers/{ann_customer.pk}/").status_code == 200


def test_the_served_schema_lists_every_ledger_path(client_for):
    response = client_for("head").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    missing = [p for p in LEDGER_PATHS if p not in paths]
    assert not missing
    assert set(paths["/api/customers/{id}/"]) == {"get", "patch"}
    assert set(paths["/api/payments/{id}/allocate/"]) == {"post"}


def test_the_ledger_and_token_schema_generates_without_warnings_and_validates():
    patterns = [path("api/", include("arrears.ledger.urls")), path("api/", include("arrears.users.urls"))]
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    assert warnings == {}
    validate_schema(schema)
    assert set(LEDGER_PATHS) | {"/api/auth/token/", "/api/aging/"} == set(schema["paths"])
    enums = {name for name in schema["components"]["schemas"] if name.endswith("Enum")}
    assert {"DocumentStatusEnum", "ConsentStatusEnum", "DocumentKindEnum", "CustomerKindEnum"} <= enums
