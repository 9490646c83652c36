import json

import pytest
from rest_framework.test import APIClient

from arrears.compliance.models import ComplianceDecision
from arrears.compliance.tests.test_cli import REQUEST

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.compliance.tests.urls")]

CHECK = "/api/compliance/check/"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client, body):
    return client.post(CHECK, data=json.dumps(body), content_type="application/json")


def test_check_with_the_facts_given_answers_the_decision_format(people):
    response = post(client_for(people["auditor"]), REQUEST)

    assert response.status_code == 200
    body = response.json()
    assert (body["outcome"], body["blocking_rule_ids"], body["next_allowed_at"]) == (
        "BLOCK", ["US-TIME"], "2026-11-24T13:00:00Z")
    assert {h["rule_id"] for h in body["hits"]} >= {"US-TIME", "US-FREQ", "TCPA"}


def test_check_bad_facts_are_a_400_naming_the_field_path(people):
    body = {**REQUEST, "context": {"profile": "us_consumer", "history": [{"at": "2026-11-20T10:00:00"}]}}

    response = post(client_for(people["ann"]), body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert response.json()["field"] == "context.history[0].at"


def test_check_a_ledger_customer_without_storing_anything(log):
    before = ComplianceDecision.objects.count()

    late = post(client_for(log["ann"]), {"customer": log["consumer"].pk, "channel": "phone",
                                         "at": "2026-11-23T22:00:00-05:00", "initiated_by": "manual"})
    fine = post(client_for(log["ann"]), {"customer": log["consumer"].pk, "channel": "phone",
                                         "at": "2026-11-23T15:00:00Z"})

    assert late.status_code == 200
    assert late.json()["blocking_rule_ids"] == ["US-TIME"]
    assert late.json()["customer"] == log["consumer"].pk
    assert fine.json()["outcome"] == "ALLOW"
    assert ComplianceDecision.objects.count() == before


def test_check_a_ledger_customer_needs_an_offset_on_the_time(log):
    response = post(client_for(log["ann"]), {"customer": log["consumer"].pk, "channel": "phone",
                                             "at": "2026-11-23T22:00"})

    assert response.status_code == 400
    assert "at" in response.json()["fields"]


def test_a_collector_cannot_check_another_collectors_customer(log):
    response = post(client_for(log["bob"]), {"customer": log["consumer"].pk, "channel": "phone",
                                             "at": "2026-11-23T15:00:00Z"})

    assert response.status_code == 404


def test_anonymous_callers_are_refused(db):
    assert APIClient().post(CHECK, data=REQUEST, format="json").status_code == 401


@pytest.mark.parametrize(("who", "expected"), [
    ("head", {"late_call", "email", "dnc_text"}),
    ("auditor", {"late_call", "email", "dnc_text"}),
    ("lead", {"late_call", "email"}),  # Ann is in Lea's team; Bob is not
])
def test_decision_list_shows_what_each_reader_may_see(log, who, expected):
    response = client_for(log[who]).get("/api/compliance/decisions/")

    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {log[name].pk for name in expected}


def test_collectors_may_not_read_the_decision_list(log):
    assert client_for(log["ann"]).get("/api/compliance/decisions/").status_code == 403
    assert client_for(log["ann"]).get(f"/api/compliance/decisions/{log['late_call'].pk}/").status_code == 403


def test_decision_list_filters_blocked_decisions_by_rule(log):
    response = client_for(log["head"]).get("/api/compliance/decisions/", {"allowed": "false", "rule": "us-time"})

    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [log["late_call"].pk]
    assert rows[0]["blocking_rules"] == ["US-TIME"]
    assert rows[0]["decision"]["hits"]


def test_a_lead_gets_404_for_a_decision_outside_the_team(log):
    client = client_for(log["lead"])

    assert client.get(f"/api/compliance/decisions/{log['dnc_text'].pk}/").status_code == 404
    assert client.get(f"/api/compliance/decisions/{log['late_call'].pk}/").status_code == 200


def test_the_api_schema_documents_the_compliance_endpoints_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator(urlconf="arrears.compliance.tests.urls").get_schema(request=None, public=True)

    validate_schema(schema)
    assert not GENERATOR_STATS, "drf-spectacular warned while generating the schema"
    assert {"/api/compliance/check/", "/api/compliance/decisions/", "/api/compliance/decisions/{id}/"} <= set(
        schema["paths"])
