"""End to end in headless Chromium: log in, open the aging report, open a customer."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.ledger.models import BusinessUnit
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory, PaymentFactory
from arrears.users.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def frozen_today():
    """The live server runs on the real clock (overrides the package's frozen one)."""
    return dt.date.today()


@pytest.fixture
def small_portfolio():
    user = user_create(username="cara", password="pw-cara-browser", role="collector", first_name="Cara", last_name="Collins")
    unit = BusinessUnit.objects.create(code="ACME-DE", name="Acme GmbH", home_currency="EUR", country="DE")
    today = dt.date.today()
    customers = []
    for i, (name, days) in enumerate([("Nordlicht Logistik GmbH", 75), ("Hafenkontor AG", 12), ("Elbtal Bau KG", -5)]):
        c = CustomerFactory(business_unit=unit, name=name, external_id=f"K-{100 + i}", collector=user,
                            segment="enterprise" if i == 0 else "smb", credit_limit=Decimal("25000"), credit_currency="EUR")
        for j, amount in enumerate(["12500.00", "3400.50", "780.25"]):
            due = today - dt.timedelta(days=days + 20 * j)
            DocumentFactory(customer=c, external_id=f"RE-{i}{j:03d}", issue_date=due - dt.timedelta(days=30),
                            due_date=due, amount=Decimal(amount), open_amount=Decimal(amount), reference=f"PO-{i}{j}")
        ContactFactory(customer=c, name="Accounts Payable")
        customers.append(c)
    PaymentFactory(customer=customers[0], amount=Decimal("1000.00"), unapplied_amount=Decimal("1000.00"))
    return user, customers


def test_login_aging_and_customer_page(live_server, browser, screenshot_dir, small_portfolio):
    _user, customers = small_portfolio
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "cara")
        page.fill("#id_password", "pw-cara-browser")
        page.screenshot(path=str(screenshot_dir / "login.png"), full_page=True)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert page.locator("#portfolio-summary").is_visible()
        page.screenshot(path=str(screenshot_dir / "home.png"), full_page=True)

        page.goto(f"{live_server.url}/aging/")
        page.locator("#aging-table").wait_for(state="visible")
        page.screenshot(path=str(screenshot_dir / "aging.png"), full_page=True)

        page.goto(f"{live_server.url}/customers/")
        page.keyboard.press("/")
        page.keyboard.type("nordlicht")
        page.locator("#customer-table tbody tr").first.wait_for()
        page.wait_for_function("document.querySelectorAll('#customer-table tbody tr').length === 1")
        assert "q=nordlicht" in page.url  # the live search pushed its state into the address bar
        page.screenshot(path=str(screenshot_dir / "customers.png"), full_page=True)
        page.click("text=Nordlicht Logistik GmbH")
        page.wait_for_url(f"{live_server.url}/customers/{customers[0].pk}/")
        header = page.locator("#customer-header")
        assert header.is_visible()
        text = header.inner_text()
        assert "16,680.75" in text  # open debits
        assert "15,680.75" in text  # net of the unapplied payment
        assert page.locator("#customer-aging").is_visible()

        page.click("#tab-contacts")
        page.locator('#tab-contacts[aria-selected="true"]').wait_for()
        assert page.url.endswith("?tab=contacts")
        assert "Accounts Payable" in page.locator("#tab-panel").inner_text()
        page.click("#tab-open")
        page.locator('#tab-open[aria-selected="true"]').wait_for()
        assert "RE-0000" in page.locator("#tab-panel").inner_text()
        page.screenshot(path=str(screenshot_dir / "customer.png"), full_page=True)
    finally:
        context.close()
