import json
import re

import pytest

from arrears.compliance.models import ComplianceDecision
from arrears.compliance.services import compliance_gate
from arrears.compliance.tests.conftest import ny
from arrears.compliance.tests.test_cli import REQUEST

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.compliance.tests.urls")]


def page(client, user, url, params=None):
    client.force_login(user)
    return client.get(url, params or {})


def listed(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/compliance/decisions/(\d+)/"', response.content.decode())]


@pytest.mark.parametrize(("who", "status"), [
    ("ann", 403), ("bob", 403), ("lead", 200), ("head", 200), ("auditor", 200), ("admin", 200),
])
def test_only_decision_readers_open_the_decision_log(client, people, who, status):
    assert page(client, people[who], "/compliance/decisions/").status_code == status


def test_blocked_contacts_are_listed_with_rule_and_reason(client, log):
    response = page(client, log["auditor"], "/compliance/decisions/", {"allowed": "no"})

    html = response.content.decode()
    assert listed(response) == [log["dnc_text"].pk, log["late_call"].pk]
    assert "America/New_York: 22:00 is outside 08:00-21:00" in html
    assert "HOLD-DNC" in html


@pytest.mark.parametrize(("params", "expected"), [
    ({"rule": "US-TIME"}, ["late_call"]),
    ({"channel": "email"}, ["email"]),
    ({"allowed": "yes"}, ["email"]),
    ({"outcome": "BLOCK", "initiated_by": "manual"}, ["late_call"]),
    ({"customer": "Bravo"}, ["dnc_text"]),
    ({"customer": "C-US-1"}, ["email", "late_call"]),
    ({"date_from": "2026-11-21"}, ["dnc_text", "email"]),
    ({"date_to": "2026-11-20"}, ["late_call"]),
    ({"date_from": "2026-11-23"}, []),
])
def test_decision_log_filters(client, log, params, expected):
    response = page(client, log["head"], "/compliance/decisions/", params)

    assert listed(response) == [log[name].pk for name in expected]


def test_a_lead_sees_the_teams_customers_only(client, log):
    response = page(client, log["lead"], "/compliance/decisions/")

    assert set(listed(response)) == {log["late_call"].pk, log["email"].pk}
    assert page(client, log["lead"], f"/compliance/decisions/{log['dnc_text'].pk}/").status_code == 404


def test_the_decision_page_shows_each_rule_in_words(client, log):
    response = page(client, log["head"], f"/compliance/decisions/{log['late_call'].pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-outcome="BLOCK"' in html
    assert re.search(r"<strong>US-TIME</strong>.*?Blocked.*?22:00 is outside 08:00-21:00", html, re.S)
    assert re.search(r"<strong>US-FREQ</strong>.*?Passed", html, re.S)
    assert "2026-11-24T13:00:00Z" in html


def test_the_decision_log_pages_without_extra_queries(client, log, django_assert_max_num_queries):
    for hour in range(8, 20):
        compliance_gate(customer=log["consumer"], channel="letter", when=ny(2026, 11, 24, hour))
    client.force_login(log["head"])
    with django_assert_max_num_queries(6):
        response = client.get("/compliance/decisions/")
    assert len(listed(response)) == 15


def test_the_check_page_renders_for_everyone_signed_in(client, people):
    for user in people.values():
        assert page(client, user, "/compliance/check/").status_code == 200


def test_checking_a_ledger_customer_shows_the_decision_and_stores_nothing(client, log):
    client.force_login(log["ann"])
    before = ComplianceDecision.objects.count()

    response = client.post("/compliance/check/", {
        "mode": "ledger", "customer": log["consumer"].external_id, "channel": "phone", "when": "2026-11-23T22:00",
        "zone": "America/New_York", "initiated_by": "manual", "purpose": "collection",
    })

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-outcome="BLOCK"' in html
    assert '<dd id="blocking-rules">US-TIME</dd>' in html
    assert "America/New_York: 22:00 is outside 08:00-21:00" in html
    assert ComplianceDecision.objects.count() == before


def test_a_collector_cannot_check_another_collectors_customer(client, log):
    client.force_login(log["bob"])

    response = client.post("/compliance/check/", {
        "mode": "ledger", "customer": str(log["consumer"].pk), "channel": "phone", "when": "2026-11-23T10:00",
        "initiated_by": "manual", "purpose": "collection",
    })

    assert response.status_code == 400
    assert "No such customer among those you may check." in response.content.decode()
    assert 'id="decision"' not in response.content.decode()


def test_checking_pasted_json_shows_the_decision(client, people):
    client.force_login(people["ann"])

    response = client.post("/compliance/check/", {"mode": "json", "request": json.dumps(REQUEST)})

    assert response.status_code == 200
    assert 'data-outcome="BLOCK"' in response.content.decode()


def test_pasted_json_with_a_bad_field_shows_the_field_path(client, people):
    client.force_login(people["ann"])
    bad = {**REQUEST, "contact": {**REQUEST["contact"], "at": "2026-11-23T22:00:00"}}

    response = client.post("/compliance/check/", {"mode": "json", "request": json.dumps(bad)})

    assert response.status_code == 400
    assert "contact.at: datetime must be timezone-aware" in response.content.decode()
