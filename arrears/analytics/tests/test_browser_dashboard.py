"""The head's dashboard in headless Chromium, over a year of invoices and payments; writes screenshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arrears.analytics.models import ForecastSnapshot
from arrears.analytics.services import snapshot_backfill
from arrears.analytics.tests.ledger_fixtures import doc, pay
from arrears.ledger.tests.factories import BusinessUnitFactory, CustomerFactory
from arrears.users.services import user_create
from arrears.worklist.models import Target

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def year_of_business() -> None:
    """Four customers invoiced every month of Nov 2025 - Oct 2026; each pays later than the one before."""
    bu = BusinessUnitFactory()
    cora = user_create(username="cora", password="pw-cora", role="collector", first_name="Cora", last_name="Collins")
    bert = user_create(username="bert", password="pw-bert", role="collector", first_name="Bert", last_name="Berg")
    customers = [CustomerFactory(business_unit=bu, name=n, collector=c, segment=s) for n, c, s in (
        ("Nordlicht Logistik", cora, "enterprise"), ("Hafenkontor", cora, "smb"), ("Bergbau Süd", bert, "smb"),
        ("Rheinwerk", bert, "enterprise"))]
    month = dt.date(2025, 11, 1)
    n = 0
    while month <= dt.date(2026, 10, 1):
        for i, c in enumerate(customers):
            n += 1
            amount = Decimal(4000 + 1500 * i + 250 * (month.month % 5))
            issued = month + dt.timedelta(days=3 + 5 * i)
            inv = doc(c, f"INV{n:04d}", issued, issued + dt.timedelta(days=30), str(amount))
            paid = issued + dt.timedelta(days=25 + 22 * i + 4 * (month.month % 3))
            if paid <= dt.date(2026, 10, 31):
                pay(c, f"PAY{n:04d}", paid, [(inv, str(amount))])
        month = (month + dt.timedelta(days=32)).replace(day=1)
    for user, amount in ((cora, 14000), (bert, 22000)):
        Target.objects.create(scope="user", user=user, period="monthly", start_date=dt.date(2026, 10, 1),
                              amount=Decimal(amount), currency="EUR")
    snapshot_backfill(start=dt.date(2025, 10, 1), end=dt.date(2026, 10, 31))
    start = dt.date(2026, 10, 1)
    for week, amount in enumerate((9000, 14000, 12000, 6000, 8000, 5000)):
        ForecastSnapshot.objects.create(taken_on=start, currency="EUR", business_unit=bu.code, week=week,
                                        week_start=start + dt.timedelta(days=7 * week), amount=Decimal(amount))


def test_head_opens_the_dashboard_and_the_numbers_are_one_click_away(live_server, browser, screenshot_dir, settings):
    settings.ROOT_URLCONF = "arrears.analytics.tests.urls"
    year_of_business()
    user_create(username="hana", password="pw-hana-browser", role="head", first_name="Hana", last_name="Head")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "hana")
        page.fill("#id_password", "pw-hana-browser")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{live_server.url}/analytics/?month=2026-10&currency=EUR")
        assert page.locator("h1").inner_text() == "Collections analytics"
        assert page.locator("#dso-chart circle").count() >= 30  # three series over 12 months
        assert page.locator("#aging-chart rect").count() == 6
        page.screenshot(path=str(screenshot_dir / "analytics-dashboard.png"), full_page=True)
        details = page.locator("#trend details")
        assert not details.locator("table").is_visible()
        details.locator("summary").click()
        assert details.locator("tbody tr").count() == 12
        page.locator("#trend").screenshot(path=str(screenshot_dir / "analytics-trend-numbers.png"))
        page.locator("#forecast").screenshot(path=str(screenshot_dir / "analytics-forecast.png"))
    finally:
        page.close()
