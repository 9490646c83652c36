"""The workspace pages: worklist, next-account flow, call form with the compliance refusal, timeline
partial, team dashboard permissions, calendar and the iCal feed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from arrears.ledger.services import customer_update
from arrears.worklist.models import CallLog, FollowUp
from arrears.worklist.services import calendar_token_get_or_create, target_set, worklist_build
from arrears.worklist.tests.conftest import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.worklist.tests.urls")]
D = Decimal


@pytest.fixture
def login(people):
    def make(who):
        client = Client()
        client.force_login(people[who])
        return client

    return make


@pytest.fixture
def two_accounts(make_customer, people):
    first = make_customer("First AG", amount="9000.00", overdue_days=60)
    second = make_customer("Second KG", amount="500.00", overdue_days=10)
    for c in (first, second):
        FollowUp.objects.create(customer=c, user=people["cora"], date=TODAY)
    worklist_build(as_of=TODAY)
    return first, second


def test_the_worklist_page_lists_accounts_by_expected_value(login, two_accounts):
    page = login("cora").get("/worklist/").content.decode()
    assert page.index("First AG") < page.index("Second KG")
    assert "€9,000.00 overdue 60 days; follow-up set for 10 Mar;" in page


def test_next_account_opens_the_top_account_then_the_following_one(login, two_accounts):
    first, second = two_accounts
    client = login("cora")
    response = client.get("/worklist/next/")
    assert response.url == f"/worklist/customers/{first.pk}/?flow=next"
    page = client.get(response.url).content.decode()
    assert 'data-key="1"' in page
    assert "Log a call" in page
    saved = client.post(f"/worklist/customers/{first.pk}/call/", {"outcome": "no_answer", "next": "next"})
    assert saved.url == f"/worklist/customers/{first.pk}/?flow=next&logged={CallLog.objects.get().pk}"
    assert client.get(f"/worklist/next/?after={first.pk}").url == f"/worklist/customers/{second.pk}/?flow=next"
    assert client.get("/worklist/next/").url == f"/worklist/customers/{second.pk}/?flow=next"  # first is done


def test_a_refused_call_shows_the_rule_and_logs_nothing(login, make_customer):
    customer = make_customer()
    customer_update(customer=customer, do_not_contact=True)
    response = login("cora").post(f"/worklist/customers/{customer.pk}/call/", {"outcome": "right_party_contact"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Call not allowed — nothing was logged." in page
    assert "HOLD-DNC" in page
    assert not CallLog.objects.exists()


def test_a_promise_without_an_amount_is_sent_back_with_the_field_named(login, make_customer):
    customer = make_customer()
    response = login("cora").post(f"/worklist/customers/{customer.pk}/call/", {"outcome": "promise"})
    assert response.status_code == 400
    assert "How much did they promise?" in response.content.decode()
    assert not CallLog.objects.exists()


def test_another_collectors_customer_is_not_found(login, make_customer):
    customer = make_customer(collector="sam")
    client = login("cora")
    assert client.get(f"/worklist/customers/{customer.pk}/").status_code == 404
    assert client.get(f"/worklist/customers/{customer.pk}/timeline/").status_code == 404
    assert client.post(f"/worklist/customers/{customer.pk}/call/", {"outcome": "no_answer"}).status_code == 404


def test_the_timeline_partial_and_the_call_form_partial_render_for_htmx(login, make_customer):
    customer = make_customer()
    client = login("cora")
    client.post(f"/worklist/customers/{customer.pk}/notes/", {"body": "Called the warehouse"})
    part = client.get(f"/worklist/customers/{customer.pk}/timeline/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part
    assert "Called the warehouse" in part
    assert 'id="dbt-chart"' in part
    assert "Pat Payable" in part
    form = client.get(f"/worklist/customers/{customer.pk}/call/?next=/customers/{customer.pk}/").content.decode()
    assert 'id="call-form"' in form
    assert f'value="/customers/{customer.pk}/"' in form


def test_the_team_dashboard_is_for_leads_and_the_head(login, people, make_customer):
    target_set(actor=people["head"], scope="user", user=people["cora"], period="monthly", start_date=dt.date(2026, 3, 1),
               amount="1000", currency="EUR")
    assert login("cora").get("/worklist/team/").status_code == 403
    lead_page = login("lead").get("/worklist/team/").content.decode()
    assert "North" in lead_page
    assert "South" not in lead_page
    head_page = login("head").get("/worklist/team/").content.decode()
    assert "North" in head_page
    assert "South" in head_page
    assert "€0.00 of €1,000.00 (0%)" in head_page


def test_a_lead_cannot_set_a_target_for_another_team_through_the_page(login, people):
    response = login("lead").post("/worklist/targets/", {
        "scope": "team", "team": people["south"].pk, "period": "monthly", "start_date": "2026-03-01", "amount": "5", "currency": "EUR",
    })
    assert response.status_code in (302, 403)
    from arrears.worklist.models import Target

    assert not Target.objects.exists()


def test_the_calendar_page_and_the_ical_feed(login, people, make_customer):
    customer = make_customer("Feed GmbH")
    FollowUp.objects.create(customer=customer, user=people["cora"], date=dt.date(2026, 3, 18), note="remittance")
    client = login("cora")
    page = client.get("/worklist/calendar/?month=2026-03").content.decode()
    assert "March 2026" in page
    assert "Follow up Feed GmbH: remittance" in page
    token = calendar_token_get_or_create(user=people["cora"]).token
    assert token in page
    feed = Client().get(f"/worklist/calendar.ics?token={token}")
    assert feed["Content-Type"] == "text/calendar; charset=utf-8"
    lines = feed.content.decode().split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert "DTSTART;VALUE=DATE:20260318" in lines
    assert "SUMMARY:Follow up Feed GmbH: remittance" in lines
    assert Client().get("/worklist/calendar.ics?token=wrong").status_code == 404
