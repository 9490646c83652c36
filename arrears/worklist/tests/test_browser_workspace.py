"""End to end in headless Chromium: a collector works the next account and takes a promise by phone;
a payment is imported and the promise is kept; the head of collections sees progress against target."""

import datetime as dt
import io
import json
from decimal import Decimal

import holidays
import pytest
import time_machine
from django.core.management import call_command

from arrears.ledger.models import BusinessUnit, Payment
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory
from arrears.promises.models import Promise, PromiseStatus
from arrears.users.models import Team
from arrears.users.services import user_create
from arrears.worklist.models import FollowUp
from arrears.worklist.services import target_set, worklist_build, worklist_payment_received

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


def _working_day() -> dt.date:
    """A Tuesday to Thursday near the real date (the browser's cookies run on the real clock) that is not a
    German public holiday: the compliance gate allows a call at 11:00 in Berlin."""
    day = dt.date.today()
    de = holidays.country_holidays("DE", years=[day.year, day.year + 1])
    while day.weekday() not in (1, 2, 3) or day in de:
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def frozen_today():
    """The live server and the browser run near the real clock (overrides the package's frozen day)."""
    return None


@pytest.fixture
def business_day(settings):
    settings.ROOT_URLCONF = "arrears.worklist.tests.urls"
    day = _working_day()
    with time_machine.travel(dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC), tick=True):
        yield day


@pytest.fixture
def desk(business_day):
    lead = user_create(username="lena", password="pw-lena-browser", role="lead", first_name="Lena", last_name="Lead")
    team = Team.objects.create(name="North", lead=lead)
    cora = user_create(username="cora", password="pw-cora-browser", role="collector", team=team,
                       first_name="Cora", last_name="Collins")
    head = user_create(username="hana", password="pw-hana-browser", role="head", first_name="Hana", last_name="Head")
    unit = BusinessUnit.objects.create(code="ACME-DE", name="Acme GmbH", home_currency="EUR", country="DE", timezone="Europe/Berlin")
    customers = []
    for i, (name, amount, days) in enumerate([("Nordlicht Logistik GmbH", "2400.00", 40), ("Hafenkontor AG", "380.00", 8)]):
        c = CustomerFactory(business_unit=unit, name=name, external_id=f"K-{100 + i}", collector=cora,
                            jurisdiction="eu_b2b", country="DE")
        ContactFactory(customer=c, name="Accounts Payable", phone="+4940123456")
        due = business_day - dt.timedelta(days=days)
        DocumentFactory(customer=c, external_id=f"RE-{100 + i}", issue_date=due - dt.timedelta(days=30), due_date=due,
                        amount=D(amount), open_amount=D(amount))
        FollowUp.objects.create(customer=c, user=cora, date=business_day, note="chase the overdue invoice")
        customers.append(c)
    target_set(actor=head, scope="user", user=cora, period="monthly", start_date=business_day.replace(day=1),
               amount="5000.00", currency="EUR")
    worklist_build(as_of=business_day)
    return {"cora": cora, "head": head, "customers": customers, "unit": unit}


def _login(page, url, username):
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}-browser")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_collector_takes_a_promise_payment_keeps_it_head_sees_progress(live_server, browser, screenshot_dir, desk, business_day, tmp_path):
    nordlicht = desk["customers"][0]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _login(page, live_server.url, "cora")
        page.goto(f"{live_server.url}/worklist/")
        rows = page.locator("#worklist tbody tr")
        assert rows.count() == 2
        assert rows.nth(0).get_attribute("data-customer") == str(nordlicht.pk)
        assert "€2,400.00 overdue 40 days" in rows.nth(0).inner_text()
        page.screenshot(path=str(screenshot_dir / "worklist.png"), full_page=True)

        page.keyboard.press("n")  # the next account
        page.wait_for_url(f"**/worklist/customers/{nordlicht.pk}/?flow=next")
        assert page.evaluate("document.activeElement.name") == "outcome"  # the keys 1-8 work at once
        page.keyboard.press("5")  # promise to pay
        assert page.is_checked("#outcome-promise")
        assert page.evaluate("document.activeElement.name") == "promise_amount"
        page.keyboard.type("2400.00")
        promised = business_day + dt.timedelta(days=7)
        page.fill("#id_promise_date", promised.isoformat())
        page.check("input[name=documents]")
        page.fill("#id_notes", "AP confirms payment run next week")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(screenshot_dir / "call.png"), full_page=True)
        page.focus("#id_promise_amount")
        page.keyboard.press("Enter")
        page.wait_for_url("**logged=*")
        assert "Call logged: Promise to pay" in page.inner_text("main")
        timeline = page.locator("#timeline")
        assert f"Promise: €2,400.00 by {promised.isoformat()} (pending)" in timeline.inner_text()
        assert "Call: Promise to pay" in timeline.inner_text()
        assert page.evaluate("document.activeElement.id") == "next-account"
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(screenshot_dir / "timeline.png"), full_page=True)

        # The payment arrives through the import (the native format, one row with its payment).
        csv = tmp_path / "payments.csv"
        due = business_day - dt.timedelta(days=40)
        csv.write_text(
            "customer_id,customer_name,document_id,kind,issue_date,due_date,amount,currency,payment_id,payment_date,payment_amount\n"
            f"K-100,Nordlicht Logistik GmbH,RE-100,invoice,{due - dt.timedelta(days=30)},{due},2400.00,EUR,"
            f"PAY-7781,{business_day},2400.00\n",
            encoding="utf-8",
        )
        out = io.StringIO()
        call_command("import", str(csv), profile="arrears-documents", business_unit="ACME-DE", json=True, stdout=out)
        assert json.loads(out.getvalue())["counts"]["payments"]["created"] == 1
        worklist_payment_received(payment=Payment.objects.get(external_id="PAY-7781"))
        assert Promise.objects.get().status == PromiseStatus.KEPT

        page.goto(f"{live_server.url}/worklist/customers/{nordlicht.pk}/")
        text = page.locator("#timeline").inner_text()
        assert f"Promise: €2,400.00 by {promised.isoformat()} (kept)" in text
        assert "Promise kept" in text
        assert "Payment PAY-7781 received: €2,400.00" in text
    finally:
        context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _login(page, live_server.url, "hana")
        page.goto(f"{live_server.url}/worklist/team/")
        row = page.locator("tr[data-user=cora]")
        assert "€2,400.00 of €5,000.00 (48%)" in row.inner_text()
        assert row.locator("[role=meter]").get_attribute("aria-valuenow") == "48"
        page.screenshot(path=str(screenshot_dir / "team.png"), full_page=True)
    finally:
        context.close()
