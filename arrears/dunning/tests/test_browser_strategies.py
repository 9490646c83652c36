"""End to end in headless Chromium: the head of collections sees last night's alert on the runs page,
opens the strategy the run used, adds a step to its ladder and saves; the used version stays as it
was and the page shows version 2."""

from __future__ import annotations

import pytest

from arrears.common.clock import now
from arrears.dunning.models import DunningRun, RunStatus
from arrears.dunning.services.nightly_run import dunning_run
from arrears.dunning.tests.conftest import day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def last_night(make_user, strategies, make_customer, make_invoice):
    """Three usual nights of about 30 actions, then a night with two: the run raises its alert."""
    for i, n in enumerate((30, 34, 28)):
        DunningRun.objects.create(as_of=day(-10 + i), status=RunStatus.COMPLETED, action_count=n, started_at=now(),
                                  finished_at=now(), durations={"total": 41.2})
    make_invoice(make_customer("Brandt Maschinenbau"))
    make_invoice(make_customer("Krause Logistik"), due=day(-14))
    run, _ = dunning_run(as_of=day(7))
    assert run.alert
    return {"head": make_user("hana", role="head", first_name="Hana", last_name="Head"), "run": run,
            "strategy": strategies["Commercial standard"]}


def _login(page, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_head_sees_the_alert_adds_a_step_and_gets_version_2(live_server, browser, screenshot_dir, last_night):
    strategy = last_night["strategy"]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        _login(page, live_server.url, "hana")
        page.click("nav[aria-label=Main] >> text=Strategies")
        page.click("nav[aria-label=Dunning] >> text=Runs")
        page.wait_for_url("**/dunning/runs/")
        assert "far fewer actions than usual: 2 against a median of 30" in page.inner_text("#run-alert")
        page.screenshot(path=str(screenshot_dir / "dunning-runs.png"), full_page=True)

        page.click("nav[aria-label=Dunning] >> text=Strategies and rules")
        page.click(f"#strategies >> text={strategy.name}")
        assert "version 1" in page.inner_text("h1")
        page.click("#edit-strategy")
        assert "saving creates version 2" in page.inner_text("#save-mode")
        assert page.locator("tr.step-row").count() == 7

        page.click("#add-step")  # htmx swaps in the form with one more blank row
        page.wait_for_selector("[name=steps-7-key]")
        assert page.locator("tr.step-row").count() == 8
        page.fill("[name=steps-7-key]", "legal")
        page.fill("[name=steps-7-offset_days]", "120")
        page.select_option("[name=steps-7-channel]", "legal")
        page.fill("[name=steps-7-template_key]", "legal_handover")
        page.fill("[name=steps-7-min_amount]", "500.00")
        page.fill("#id_note", "hand over to legal after 120 days")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(screenshot_dir / "strategy-editor.png"), full_page=True)
        page.click("#save-ladder")
        page.wait_for_url(f"**/dunning/strategies/{strategy.pk}/")

        assert "Saved as version 2." in page.inner_text("main")
        assert "version 2" in page.inner_text("h1")
        ladder = page.inner_text("#ladder")
        assert "legal" in ladder
        assert "Hand over to legal" in ladder
        assert page.locator("#ladder tbody tr").count() == 8
        versions = page.inner_text("#versions")
        assert "hand over to legal after 120 days" in versions
        assert "draft" in versions  # v2 awaits its first run; v1 shows when it was first used
        assert "hana" in page.inner_text("#history")
    finally:
        context.close()

    v1, v2 = strategy.versions.order_by("number")
    assert (v1.steps.count(), v2.steps.count()) == (7, 8)
    assert v1.is_frozen
    assert not v2.is_frozen
