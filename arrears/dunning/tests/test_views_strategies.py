"""The dunning pages: the strategy editor (versions, drafts, field errors), segment rules, runs, the dry
run and the version diff, and who may see and change them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from arrears.audit.models import AuditEvent
from arrears.common.clock import now
from arrears.dunning.models import (
    CustomerDunningState,
    DunningAction,
    DunningRun,
    RunStatus,
    SegmentRule,
    Step,
    Strategy,
    StrategyVersion,
)
from arrears.dunning.services.nightly_run import dunning_run
from arrears.dunning.services.strategies import (
    COMMERCIAL_STANDARD,
    strategy_version_create,
    strategy_versions_freeze,
)
from arrears.dunning.tests.conftest import day

pytestmark = pytest.mark.django_db

STEP_DEFAULTS = {"trigger": "days_from_due", "event": "", "offset_days": 0, "template_key": "", "min_amount": "0",
                 "business_days": "next", "allow_skip": True}


def ladder_post(steps: list[dict], *, note: str = "what changed", initial: int | None = None, **version) -> dict:
    """The editor's POST for ``steps`` in order (rows 0..n-1), plus the version fields."""
    data = {"steps-TOTAL_FORMS": str(len(steps)), "steps-INITIAL_FORMS": str(len(steps) if initial is None else initial),
            "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000", "note": note, "amount_currency": "EUR",
            "thank_you": "on", "thank_you_channel": "email", "thank_you_template": "thank_you",
            "thank_you_within_days": "7"}
    data.update(dict(version.items()))
    for i, raw in enumerate(steps):
        step = {**STEP_DEFAULTS, **raw}
        for name, value in step.items():
            if name == "allow_skip":
                if value:
                    data[f"steps-{i}-allow_skip"] = "on"
            else:
                data[f"steps-{i}-{name}"] = str(value)
        data[f"steps-{i}-ORDER"] = str(i + 1)
    return data


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def people(make_user):
    return {role: make_user(f"{role}-user", role=role) for role in ("admin", "head", "lead", "auditor", "collector")}


@pytest.fixture
def commercial(strategies) -> Strategy:
    return strategies["Commercial standard"]


def steps_of(version: StrategyVersion) -> list[tuple]:
    return list(version.steps.order_by("position").values_list("key", "offset_days", "channel", "min_amount"))


# --- the editor --------------------------------------------------------------------------------------


def test_a_head_editing_a_frozen_version_creates_the_next_version_and_leaves_the_old_one(client, people, commercial):
    v1 = commercial.versions.get()
    strategy_versions_freeze(version_ids=[v1.pk])
    before = steps_of(v1)
    client.force_login(people["head"])
    page = client.get(f"/dunning/strategies/{commercial.pk}/edit/")
    assert "saving creates version 2" in text(page)

    steps = [*COMMERCIAL_STANDARD, {"key": "legal", "offset_days": 120, "channel": "legal", "min_amount": "500.00"}]
    response = client.post(f"/dunning/strategies/{commercial.pk}/edit/", ladder_post(steps, note="legal after 120 days"))

    assert response.status_code == 302
    v2 = commercial.versions.get(number=2)
    assert [s[0] for s in steps_of(v2)] == [s["key"] for s in steps]
    assert steps_of(v2)[-1] == ("legal", 120, "legal", Decimal("500.000"))
    assert v2.note == "legal after 120 days"
    assert steps_of(v1) == before, "the frozen version is unchanged"
    event = AuditEvent.objects.get(object_type="dunning.strategyversion", object_id=str(v2.pk))
    assert (event.action, event.actor, event.note) == ("create", people["head"], "legal after 120 days")
    detail = text(client.get(response["Location"]))
    assert "Saved as version 2." in detail
    assert "version 2</span>" in detail
    assert "legal after 120 days" in detail


def test_editing_a_draft_version_updates_it_in_place(client, people, commercial):
    v1 = commercial.versions.get()
    client.force_login(people["admin"])
    assert "is a draft" in text(client.get(f"/dunning/strategies/{commercial.pk}/edit/"))
    steps = [dict(s) for s in COMMERCIAL_STANDARD[:3]]
    steps[1]["offset_days"] = 10
    response = client.post(f"/dunning/strategies/{commercial.pk}/edit/",
                           ladder_post(steps, note="remind on day 10", thank_you_within_days="3"))
    assert response.status_code == 302
    assert commercial.versions.count() == 1
    v1.refresh_from_db()
    assert [(k, d) for k, d, _, _ in steps_of(v1)] == [("pre_due", -3), ("reminder_1", 10), ("reminder_2", 21)]
    assert (v1.note, v1.thank_you_within_days) == ("remind on day 10", 3)
    event = AuditEvent.objects.filter(object_type="dunning.strategyversion", object_id=str(v1.pk), action="update").get()
    assert event.actor == people["admin"]
    assert len(event.before["steps"]) == 7
    assert len(event.after["steps"]) == 3


def test_removing_and_reordering_rows_in_the_editor(client, people, commercial):
    client.force_login(people["head"])
    data = ladder_post([dict(s) for s in COMMERCIAL_STANDARD[:3]], note="drop pre-due, swap")
    data["steps-0-DELETE"] = "on"
    data["steps-1-ORDER"], data["steps-2-ORDER"] = "3", "2"
    assert client.post(f"/dunning/strategies/{commercial.pk}/edit/", data).status_code == 302
    assert [s[0] for s in steps_of(commercial.versions.get())] == ["reminder_2", "reminder_1"]


@pytest.mark.parametrize(("row", "field", "message"), [
    ({"trigger": "event", "event": ""}, "event", "&#x27;&#x27; is not one of payment_received"),
    ({"min_amount": "-5"}, "min_amount", "must be a non-negative amount"),
    ({"trigger": "days_since_previous", "offset_days": -2}, "offset_days", "only a days-from-due step may be negative"),
    ({"key": "reminder_1"}, "key", "&#x27;reminder_1&#x27; is used twice"),
])
def test_an_invalid_step_shows_the_error_in_its_row_and_writes_nothing(client, people, commercial, row, field, message):
    strategy_versions_freeze(version_ids=[commercial.versions.get().pk])
    counts = (StrategyVersion.objects.count(), Step.objects.count(), AuditEvent.objects.count())
    client.force_login(people["head"])
    steps = [dict(s) for s in COMMERCIAL_STANDARD[:3]]
    steps[2].update(row)
    response = client.post(f"/dunning/strategies/{commercial.pk}/edit/", ladder_post(steps))
    assert response.status_code == 200
    html = response.content.decode()
    # the message follows the offending input of row 2
    cell = re.search(rf'name="steps-2-{field}"[^<]*?>(?:.*?</select>)?\s*<ul class="errorlist"[^>]*><li>([^<]*)</li>',
                     html, re.S)
    assert cell is not None, html[html.find("steps-2-key") - 200: html.find("steps-2-key") + 2500]
    assert message in cell[1]
    assert (StrategyVersion.objects.count(), Step.objects.count(), AuditEvent.objects.count()) == counts


def test_saving_without_saying_what_changed_is_refused(client, people, commercial):
    client.force_login(people["head"])
    response = client.post(f"/dunning/strategies/{commercial.pk}/edit/", ladder_post(COMMERCIAL_STANDARD, note=""))
    assert response.status_code == 200
    assert "Say what changed." in response.content.decode()
    assert not AuditEvent.objects.filter(action="update").exists()


def test_add_step_shows_one_more_blank_row_keeping_what_was_typed_and_saves_nothing(client, people, commercial):
    client.force_login(people["head"])
    data = ladder_post([dict(s) for s in COMMERCIAL_STANDARD[:2]], note="typing")
    data["steps-1-offset_days"] = "9"
    data["add_step"] = "1"
    html = client.post(f"/dunning/strategies/{commercial.pk}/edit/", data).content.decode()
    assert 'name="steps-TOTAL_FORMS" value="3"' in html
    assert 'name="steps-INITIAL_FORMS" value="2"' in html  # the blank row is optional until filled
    assert re.search(r'name="steps-1-offset_days" value="9"', html)
    assert re.search(r'name="steps-2-key"(?! value)', html)
    assert 'value="typing"' in html
    assert steps_of(commercial.versions.get())[1][1] == 7, "nothing saved"


def test_a_new_strategy_copies_a_ladder_and_can_be_made_default(client, people, commercial):
    client.force_login(people["head"])
    response = client.post("/dunning/strategies/new/", {"name": "Key accounts", "description": "Gentle",
                                                         "copy_from": commercial.pk})
    strategy = Strategy.objects.get(name="Key accounts")
    assert response["Location"] == f"/dunning/strategies/{strategy.pk}/edit/"
    assert steps_of(strategy.versions.get()) == steps_of(commercial.versions.get())
    assert "exists" in client.post("/dunning/strategies/new/", {"name": "Key accounts"}).content.decode()

    client.post(f"/dunning/strategies/{strategy.pk}/default/")
    assert list(Strategy.objects.filter(is_default=True)) == [strategy]
    events = AuditEvent.objects.filter(object_type="dunning.strategy", action="update", actor=people["head"])
    assert {(e.object_id, e.after["is_default"]) for e in events} == {(str(commercial.pk), False), (str(strategy.pk), True)}


def test_the_strategy_page_shows_versions_ladder_thank_you_and_history(client, people, commercial):
    v1 = commercial.versions.get()
    strategy_versions_freeze(version_ids=[v1.pk])
    strategy_version_create(strategy=commercial, steps=COMMERCIAL_STANDARD[:2], note="short ladder",
                            actor=people["head"], thank_you=False)
    client.force_login(people["lead"])
    html = text(client.get(f"/dunning/strategies/{commercial.pk}/"))
    assert "version 2</span>" in html
    assert "short ladder" in html
    assert "first version" in html
    assert html.count('<tr> <td class="num">') == 2  # the current ladder: two steps
    assert "No thank-you messages." in html
    assert "head-user" in html  # the audit trail names who made version 2
    old = text(client.get(f"/dunning/strategies/{commercial.pk}/", {"version": 1}))
    assert old.count('<tr> <td class="num">') == 7
    assert "Thanks by Email" in old


def test_the_list_shows_versions_state_default_and_customers_assigned(client, people, commercial, make_customer,
                                                                     make_invoice):
    make_invoice(make_customer())
    dunning_run(as_of=day(7))
    assert CustomerDunningState.objects.filter(strategy_version__strategy=commercial).count() == 1
    client.force_login(people["auditor"])
    html = text(client.get("/dunning/strategies/"))
    row = re.search(rf'<tr data-strategy="{commercial.pk}">(.*?)</tr>', html)[1]
    assert "v1" in row
    assert "frozen" in row
    assert "default" in row
    assert row.endswith('<td class="num">1</td> ')
    assert "Consumers, uk" in html


# --- permissions -------------------------------------------------------------------------------------

READ_PAGES = ["/dunning/strategies/", "/dunning/strategies/{s}/", "/dunning/rules/{r}/", "/dunning/runs/",
              "/dunning/runs/{run}/", "/dunning/preview/?as_of=2026-03-20", "/dunning/diff/"]
EDIT_PAGES = ["/dunning/strategies/{s}/edit/", "/dunning/strategies/new/", "/dunning/rules/new/"]
POSTS = ["/dunning/strategies/{s}/edit/", "/dunning/strategies/{s}/default/", "/dunning/strategies/new/",
         "/dunning/rules/new/", "/dunning/rules/{r}/", "/dunning/rules/{r}/move/", "/dunning/rules/{r}/active/"]


@pytest.fixture
def ids(strategies):
    run = DunningRun.objects.create(as_of=day(0), status=RunStatus.COMPLETED, started_at=now())
    return {"s": strategies["Consumer gentle"].pk, "r": SegmentRule.objects.first().pk, "run": run.pk}


@pytest.mark.parametrize("role", ["lead", "auditor"])
def test_leads_and_auditors_read_every_page_without_edit_buttons_and_get_403_on_post(client, people, ids, role):
    client.force_login(people[role])
    for url in READ_PAGES:
        response = client.get(url.format(**ids))
        assert response.status_code == 200, url
        assert "Edit ladder" not in response.content.decode()
        assert "Make default" not in response.content.decode()
        assert "New segment rule</a>" not in response.content.decode()
        assert "<button type=\"submit\" class=\"primary\">Save</button>" not in response.content.decode()
    for url in EDIT_PAGES:  # the forms send readers to the page that shows the same thing
        response = client.get(url.format(**ids))
        assert response.status_code == 302, url
        assert "/edit/" not in response["Location"]
        assert "/new/" not in response["Location"]
    assert 'name="name" value="Consumers, uk"' in client.get(f"/dunning/rules/{ids['r']}/").content.decode()
    assert " disabled " in client.get(f"/dunning/rules/{ids['r']}/").content.decode()
    events = AuditEvent.objects.count()
    for url in POSTS:
        assert client.post(url.format(**ids), {"direction": "up", "active": "0", "name": "x"}).status_code == 403, url
    assert AuditEvent.objects.count() == events


def test_collectors_get_403_on_every_dunning_page(client, people, ids):
    client.force_login(people["collector"])
    for url in READ_PAGES + EDIT_PAGES:
        assert client.get(url.format(**ids)).status_code == 403, url
    assert "/dunning/strategies/" not in client.get("/").content.decode()


def test_editors_see_the_buttons_and_the_nav_link(client, people, ids):
    client.force_login(people["head"])
    html = client.get(f"/dunning/strategies/{ids['s']}/").content.decode()
    assert "Edit ladder" in html
    assert "Make default" in html
    assert 'href="/dunning/strategies/"' in html


def test_anonymous_users_are_sent_to_log_in(client, ids):
    response = client.get("/dunning/strategies/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- segment rules -----------------------------------------------------------------------------------


def rule_post(**fields) -> dict:
    data = {"name": "", "strategy": "", "position": "", "active": "on", "kinds": "", "jurisdictions": "",
            "segments": "", "risk_bands": "", "currencies": "", "business_units": "", "min_balance": "",
            "max_balance": "", "min_oldest_dpd": "", "max_oldest_dpd": "", "challenger": "",
            "challenger_percent": "0", "salt": ""}
    data.update({k: str(v) for k, v in fields.items()})
    return data


def rule_order() -> list[str]:
    return list(SegmentRule.objects.order_by("position", "id").values_list("name", flat=True))


def test_segment_rules_are_created_edited_moved_and_deactivated_with_audit(client, people, strategies):
    head = people["head"]
    client.force_login(head)
    commercial, gentle = strategies["Commercial standard"], strategies["Consumer gentle"]
    response = client.post("/dunning/rules/new/", rule_post(
        name="Big commercial", strategy=commercial.pk, kinds="commercial", currencies="eur, gbp",
        min_balance="10000", challenger=gentle.pk, challenger_percent="12.5", salt="2026-q2"))
    assert response.status_code == 302, response.content.decode()
    rule = SegmentRule.objects.get(name="Big commercial")
    assert (rule.kinds, rule.currencies, rule.min_balance) == (["commercial"], ["EUR", "GBP"], Decimal("10000"))
    assert (rule.challenger, rule.challenger_percent, rule.salt) == (gentle, Decimal("12.5"), "2026-q2")
    assert rule_order()[-1] == "Big commercial"
    assert AuditEvent.objects.filter(object_type="dunning.segmentrule", object_id=str(rule.pk), action="create",
                                     actor=head).exists()

    data = rule_post(name="Big commercial", strategy=commercial.pk, kinds="commercial", currencies="EUR, GBP",
                     min_balance="20000", challenger=gentle.pk, challenger_percent="12.5", salt="2026-q2",
                     position=rule.position)
    assert client.post(f"/dunning/rules/{rule.pk}/", data).status_code == 302
    edit = AuditEvent.objects.get(object_type="dunning.segmentrule", object_id=str(rule.pk), action="update")
    assert (edit.before, edit.after, edit.actor) == ({"min_balance": "10000.000"}, {"min_balance": "20000.000"}, head)

    before = rule_order()
    client.post(f"/dunning/rules/{rule.pk}/move/", {"direction": "up"})
    assert rule_order() == [*before[:-2], before[-1], before[-2]]
    moved = AuditEvent.objects.filter(object_type="dunning.segmentrule", object_id=str(rule.pk), note="moved up").get()
    assert moved.before["position"] > moved.after["position"]
    client.post(f"/dunning/rules/{rule.pk}/move/", {"direction": "down"})
    assert rule_order() == before

    client.post(f"/dunning/rules/{rule.pk}/active/", {"active": "0"})
    rule.refresh_from_db()
    assert rule.active is False
    off = AuditEvent.objects.filter(object_type="dunning.segmentrule", object_id=str(rule.pk)).order_by("-id").first()
    assert (off.before, off.after, off.actor) == ({"active": True}, {"active": False}, head)
    assert 'class="inactive"' in client.get("/dunning/strategies/").content.decode()


def test_a_challenger_without_a_salt_is_refused_with_the_message(client, people, strategies):
    client.force_login(people["head"])
    events = AuditEvent.objects.count()
    response = client.post("/dunning/rules/new/", rule_post(
        name="Split", strategy=strategies["Commercial standard"].pk, challenger=strategies["Consumer gentle"].pk,
        challenger_percent="50"))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'name="salt"[^>]*>.*?<ul class="errorlist"[^>]*><li>a champion/challenger split needs a salt',
                     html, re.S)
    assert not SegmentRule.objects.filter(name="Split").exists()
    assert AuditEvent.objects.count() == events


def test_a_rule_edit_that_breaks_a_rule_changes_nothing(client, people, strategies):
    rule = SegmentRule.objects.get(name="Consumers, elsewhere")
    client.force_login(people["admin"])
    response = client.post(f"/dunning/rules/{rule.pk}/", rule_post(
        name=rule.name, strategy=rule.strategy_id, kinds="consumer", min_oldest_dpd="30", max_oldest_dpd="10"))
    assert "must not be below min oldest dpd" in response.content.decode()
    rule.refresh_from_db()
    assert rule.min_oldest_dpd is None


# --- runs, dry run, diff -------------------------------------------------------------------------------


def test_the_runs_page_shows_the_latest_runs_alert_and_the_detail_its_counts(client, people, make_customer, make_invoice):
    for i, n in enumerate((30, 34, 28)):
        DunningRun.objects.create(as_of=day(-10 + i), status=RunStatus.COMPLETED, action_count=n, started_at=now())
    make_invoice(make_customer("Brandt"))
    make_invoice(make_customer("Krause"), due=day(-14))
    run, _ = dunning_run(as_of=day(7))
    assert run.alert.startswith("far fewer actions than usual: 2")
    client.force_login(people["auditor"])
    html = text(client.get("/dunning/runs/"))
    banner = re.search(r'<div class="flash alert-banner" role="alert" id="run-alert">(.*?)</div>', html)[1]
    assert "far fewer actions than usual: 2 against a median of 30 over the last 3 runs" in banner
    assert re.search(rf'<tr data-run="{run.pk}">.*?<td class="num">2</td>', html)

    detail = text(client.get(f"/dunning/runs/{run.pk}/"))
    assert '<span class="kpi-value" id="action-count">2</span>' in detail
    assert "<td>Commercial standard v1: reminder_1</td><td class=\"num\">1</td>" in detail
    assert "<td>Commercial standard v1: reminder_2</td><td class=\"num\">1</td>" in detail
    assert '<td>email</td><td class="num">2</td>' in detail
    assert '<td>planned</td><td class="num">2</td>' in detail or '<td>dispatched</td>' in detail
    assert re.search(r'<table class="list compact" id="durations">.*?<td>load</td>', detail)


def test_a_failed_run_shows_its_error(client, people):
    run = DunningRun.objects.create(as_of=day(0), status=RunStatus.FAILED, started_at=now(),
                                    error="DunningError: no strategy")
    client.force_login(people["head"])
    assert "failed: DunningError: no strategy" in text(client.get("/dunning/runs/"))
    assert "DunningError: no strategy" in text(client.get(f"/dunning/runs/{run.pk}/"))


def test_the_preview_lists_what_a_run_would_send_on_a_date_and_writes_nothing(client, people, make_customer,
                                                                          make_invoice):
    brandt, krause = make_customer("Brandt Maschinenbau"), make_customer("Krause Logistik")
    make_invoice(brandt, amount="1200.00")
    make_invoice(krause, amount="80.00", due=day(-14))
    make_invoice(make_customer("Later GmbH"), due=day(30))
    client.force_login(people["lead"])
    before = (DunningAction.objects.count(), DunningRun.objects.count(), AuditEvent.objects.count())
    html = text(client.get("/dunning/preview/", {"as_of": day(7).isoformat()}))
    assert (DunningAction.objects.count(), DunningRun.objects.count(), AuditEvent.objects.count()) == before
    assert f"What goes out on {day(7).isoformat()}" in html
    assert '<span class="kpi-value" id="action-count">2</span>' in html
    rows = dict(re.findall(r'<tr data-customer="(\d+)">(.*?)</tr>', html))
    assert set(rows) == {str(brandt.pk), str(krause.pk)}
    assert f'<a href="/customers/{brandt.pk}/">Brandt Maschinenbau</a>' in rows[str(brandt.pk)]
    assert "reminder_1" in rows[str(brandt.pk)]
    assert "1200.00 EUR" in rows[str(brandt.pk)]
    assert "reminder_2" in rows[str(krause.pk)]
    assert "80.00 EUR" in rows[str(krause.pk)]


def test_the_preview_defaults_to_tomorrow(client, people):
    client.force_login(people["head"])
    from arrears.common.clock import today

    assert f"What goes out on {(today() + dt.timedelta(days=1)).isoformat()}" in text(client.get("/dunning/preview/"))


def test_the_diff_page_shows_the_customers_a_new_version_treats_differently(client, people, commercial,
                                                                           make_customer, make_invoice):
    early, late = make_customer("Early GmbH"), make_customer("Late GmbH")
    make_invoice(early, due=day(0))
    make_invoice(late, due=day(-20))
    steps = [dict(s) for s in COMMERCIAL_STANDARD]
    steps[1]["offset_days"] = 4
    strategy_version_create(strategy=commercial, steps=steps, note="remind earlier")
    client.force_login(people["auditor"])
    html = text(client.get("/dunning/diff/", {"strategy": commercial.pk, "a": 1, "b": 2, "as_of": day(5).isoformat()}))
    assert '<span class="kpi-value" id="population">2</span>' in html
    assert '<span class="kpi-value" id="actions-a">1</span>' in html
    assert '<span class="kpi-value" id="actions-b">2</span>' in html
    assert '<span class="kpi-value" id="differing">1</span>' in html
    row = re.search(r'<table class="list compact" id="differences">.*?<tbody>(.*?)</tbody>', html)[1]
    assert f'<tr data-customer="{early.pk}">' in row
    assert "Late GmbH" not in row
    assert '<span class="muted">nothing</span></td> <td>reminder_1 by email</td>' in row
    assert DunningAction.objects.count() == 0
