"""Champion/challenger report: a real run splits the customers, they pay, the report compares the arms."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from arrears.dunning.errors import DunningError, DunningErrorCode
from arrears.dunning.models import ActionStatus, DunningAction
from arrears.dunning.services.experiments import experiment_list, experiment_report
from arrears.dunning.services.nightly_run import dunning_run
from arrears.dunning.services.strategies import COMMERCIAL_STANDARD, segment_rule_create, strategy_create
from arrears.dunning.tests.conftest import day
from arrears.ledger.models import Allocation, AllocationSource, BusinessUnit, Document, FxRate
from arrears.ledger.services import payment_allocate, payment_create
from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory
from arrears_engine import assign_arm

START, END = day(-5), day(60)
SALT = "smb-2026"
CENT = Decimal("0.01")


@pytest.fixture
def experiment(strategies):
    """The shipped default is the champion; a firmer ladder is the challenger for half of the SMB segment."""
    firm = strategy_create(name="Commercial firm", steps=[{**s, "offset_days": max(s["offset_days"] - 2, -3)}
                                                          for s in COMMERCIAL_STANDARD])
    return segment_rule_create(strategy=strategies["Commercial standard"], name="SMB firm trial", segments=["smb"],
                               challenger=firm, challenger_percent=50, salt=SALT)


def _portfolio(unit, n: int, amount: str = "1000.00", segment: str = "smb") -> list[Document]:
    """n customers, one invoice each due on day 0 (issued before the period starts)."""
    out = []
    for i in range(n):
        customer = CustomerFactory(business_unit=unit, segment=segment, name=f"Exp {segment} {i:03d}")
        out.append(DocumentFactory(customer=customer, amount=Decimal(amount), issue_date=day(-30), due_date=day(0)))
    return out


def _arms_recorded() -> dict[int, int]:
    return dict(DunningAction.objects.values_list("customer_id", "arm"))


_counter = iter(range(1, 1_000_000))


def _pay(document: Document, amount: Decimal, on: dt.date) -> None:
    payment = payment_create(business_unit=document.business_unit, customer=document.customer,
                             external_id=f"EXP-{next(_counter)}", received_date=on, amount=amount,
                             currency=document.currency)
    payment_allocate(payment=payment, allocations=[(document, amount)], date=on)


# Behaviour cycles: the i-th customer of an arm (by id) pays the i-th pattern: (fraction of the invoice, day).
SLOW = [(Decimal("0"), None), (Decimal("0.5"), 30), (Decimal("1"), 25), (Decimal("0"), None), (Decimal("1"), 40),
        (Decimal("0.25"), 35), (Decimal("1"), 20), (Decimal("0"), None), (Decimal("0.5"), 28), (Decimal("1"), 33)]
FAST = [(Decimal("1"), 3), (Decimal("1"), 6), (Decimal("0.75"), 8), (Decimal("1"), 2), (Decimal("1"), 10),
        (Decimal("0.5"), 5), (Decimal("1"), 4), (Decimal("1"), 12), (Decimal("0"), None), (Decimal("1"), 7)]


def _behave(documents: list[Document], arms: dict[int, int], patterns: dict[int, list]) -> None:
    for arm in (0, 1):
        mine = sorted((d for d in documents if arms.get(d.customer_id) == arm), key=lambda d: d.customer_id)
        for i, document in enumerate(mine):
            fraction, on = patterns[arm][i % len(patterns[arm])]
            if fraction:
                _pay(document, (document.amount * fraction).quantize(CENT), day(on))


def _independent(documents: list[Document], arms: dict[int, int], arm: int) -> dict[str, Decimal]:
    mine = [d.customer_id for d in documents if arms.get(d.customer_id) == arm]
    collected = sum((a.amount for a in Allocation.objects.filter(document__customer_id__in=mine,
                                                                  source=AllocationSource.PAYMENT,
                                                                  date__range=(START, END))), Decimal(0))
    opening = sum((d.amount for d in Document.objects.filter(customer_id__in=mine, issue_date__lt=START)), Decimal(0))
    return {"customers": Decimal(len(mine)), "collected": collected, "opening": opening}


@pytest.fixture
def split_portfolio(unit, experiment):
    documents = _portfolio(unit, 200)
    run, _ = dunning_run(as_of=day(-3))  # the pre-due e-mail to everyone: the run records each customer's arm
    return documents, run


def test_a_challenger_that_collects_more_and_sooner_is_found_significantly_better(split_portfolio, experiment):
    documents, _ = split_portfolio
    arms = _arms_recorded()
    _behave(documents, arms, {0: SLOW, 1: FAST})

    report = experiment_report(rule=experiment, start=START, end=END)

    champion, challenger = report["arms"]
    for figures, arm in ((champion, 0), (challenger, 1)):
        expected = _independent(documents, arms, arm)
        assert figures["customers"] == expected["customers"]
        assert figures["collected"] == expected["collected"]
        assert figures["opening_balance"] == expected["opening"]
        assert figures["collection_rate"] == (expected["collected"] / expected["opening"] * 100).quantize(
            CENT, ROUND_HALF_UP)
    rate = report["tests"]["collection_rate"]
    assert rate["significant"] is True
    assert rate["p_value"] < Decimal("0.05")
    assert rate["difference"] > 0, "the challenger collects more"
    assert rate["ci95"][0] > 0
    days = report["tests"]["days_to_pay"]
    assert days["significant"] is True
    assert days["difference"] < 0, "the challenger's customers pay sooner"
    assert report["verdict"].startswith("Collection rate: challenger collects ")
    assert "points more of what was owed" in report["verdict"]
    assert "significant at 5%" in report["verdict"]


def test_identical_behaviour_in_both_arms_is_not_significant(split_portfolio, experiment):
    documents, _ = split_portfolio
    arms = _arms_recorded()
    _behave(documents, arms, {0: SLOW, 1: SLOW})

    report = experiment_report(rule=experiment, start=START, end=END)

    for key in ("collection_rate", "days_to_pay"):
        assert report["tests"][key]["enough_data"] is True
        assert report["tests"][key]["significant"] is False
        assert report["tests"][key]["p_value"] > Decimal("0.5")
    assert "no significant difference yet in collection rate" in report["verdict"]


def test_the_arms_are_the_hash_split_the_run_recorded(split_portfolio, experiment):
    documents, run = split_portfolio
    ids = np.asarray(sorted(d.customer_id for d in documents), np.int64)
    expected_challengers = int((assign_arm(ids, SALT, Decimal(50)) == 1).sum())
    assert run.counts["arm"] == {"champion": 200 - expected_challengers, "challenger": expected_challengers}

    report = experiment_report(rule=experiment, start=START, end=END)

    assert [a["customers"] for a in report["arms"]] == [200 - expected_challengers, expected_challengers]
    assert 70 < expected_challengers < 130
    assert report["switched"] == 0


# ---------------------------------------------------------------------------------------------------
# Touches, empty and small arms
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def small_split(unit, experiment):
    """Twelve customers: only the champion arm pays; a call is logged for two customers."""
    documents = _portfolio(unit, 12, amount="500.00")
    dunning_run(as_of=day(-3))
    arms = _arms_recorded()
    return documents, arms


def _log_call(customer_id: int, user, on: dt.date) -> None:
    call_log = apps.get_model("worklist", "CallLog")  # the worklist sits above dunning: no import
    call_log.objects.create(customer_id=customer_id, user=user, outcome="no_answer",
                            at=dt.datetime.combine(on, dt.time(10, 0), tzinfo=dt.UTC))


def test_touches_count_dispatched_messages_and_logged_calls_per_1000_collected(small_split, experiment, make_user):
    documents, arms = small_split
    champions = sorted((d for d in documents if arms[d.customer_id] == 0), key=lambda d: d.customer_id)
    assert len(champions) >= 2, "the salt gives both arms customers"
    for document in champions:
        _pay(document, Decimal("500.00"), day(4))
    collector = make_user("caller")
    _log_call(champions[0].customer_id, collector, day(2))
    _log_call(champions[1].customer_id, collector, day(3))
    _log_call(champions[1].customer_id, collector, day(90))  # after the period: not a touch in it
    dispatched = DunningAction.objects.filter(status=ActionStatus.DISPATCHED, arm=0).count()
    assert dispatched == len(champions), "the pre-due e-mail of each champion customer went out"

    report = experiment_report(rule=experiment, start=START, end=END)

    champion, challenger = report["arms"]
    assert champion["touches"] == {"actions": dispatched, "calls": 2, "total": dispatched + 2}
    collected = Decimal("500.00") * len(champions)
    assert champion["collected"] == collected
    assert champion["touches_per_1000"] == (Decimal(dispatched + 2) * 1000 / collected).quantize(CENT, ROUND_HALF_UP)
    assert challenger["collected"] == Decimal("0.00")
    assert challenger["touches_per_1000"] is None
    assert "touches per 1,000 EUR collected n/a: no cash collected in the period" in challenger["notes"]
    assert challenger["collection_rate"] == Decimal("0.00")


def test_small_arms_give_not_enough_data_instead_of_a_test(unit, experiment):
    documents = _portfolio(unit, 4)
    dunning_run(as_of=day(-3))
    for document in documents:
        _pay(document, document.amount, day(5))

    report = experiment_report(rule=experiment, start=START, end=END)

    for key in ("collection_rate", "days_to_pay"):
        assert report["tests"][key]["enough_data"] is False
        assert report["tests"][key]["p_value"] is None
        assert report["tests"][key]["verdict"].startswith("not enough data for ")
    assert sum(a["customers"] for a in report["arms"]) == 4


def test_an_experiment_nobody_was_dunned_under_reports_empty_arms(experiment):
    report = experiment_report(rule=experiment, start=START, end=END)

    assert [a["customers"] for a in report["arms"]] == [0, 0]
    assert report["arms"][1]["notes"] == [
        "not enough data: no customer in this arm had a dunning action in the period"]
    assert report["arms"][0]["collected_per_customer"] is None
    assert "not enough data for collection rate" in report["verdict"]


def test_a_period_that_ends_before_it_starts_is_refused(experiment):
    with pytest.raises(DunningError, match="to: 2026-03-01 is before from 2026-03-08"):
        experiment_report(rule=experiment, start=START, end=dt.date(2026, 3, 1))


# ---------------------------------------------------------------------------------------------------
# Multi-currency
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def usd_unit(db):
    return BusinessUnit.objects.create(code="ACME-US", name="Acme Inc", home_currency="USD", country="US",
                                       timezone="America/New_York")


def test_collected_amounts_are_converted_with_the_rate_of_their_day_exact_to_the_cent(unit, usd_unit, experiment):
    euro = _portfolio(unit, 3, amount="1000.00")
    dollars = _portfolio(usd_unit, 3, amount="1234.57")
    FxRate.objects.create(date=day(-40), currency="USD", quote_currency="EUR", rate=Decimal("0.9123456789"))
    FxRate.objects.create(date=day(4), currency="USD", quote_currency="EUR", rate=Decimal("0.8765432101"))
    dunning_run(as_of=day(-3))
    arms = _arms_recorded()
    _pay(euro[0], Decimal("333.33"), day(2))
    _pay(dollars[0], Decimal("333.33"), day(2))  # at 0.9123456789
    _pay(dollars[1], Decimal("1234.57"), day(6))  # at 0.8765432101
    _pay(dollars[2], Decimal("0.01"), day(6))

    report = experiment_report(rule=experiment, start=START, end=END, currency="EUR")

    assert report["currency"] == "EUR"
    expected = {0: Decimal(0), 1: Decimal(0)}
    expected_opening = {0: Decimal(0), 1: Decimal(0)}
    for document, amount, rate in ((euro[0], "333.33", 1), (dollars[0], "333.33", "0.9123456789"),
                                   (dollars[1], "1234.57", "0.8765432101"), (dollars[2], "0.01", "0.8765432101")):
        expected[arms[document.customer_id]] += Decimal(amount) * Decimal(rate)
    for document in euro + dollars:
        rate = Decimal(1) if document.currency == "EUR" else Decimal("0.9123456789")  # the rate of the start day
        expected_opening[arms[document.customer_id]] += document.amount * rate
    for figures, arm in zip(report["arms"], (0, 1), strict=True):
        assert figures["collected"] == expected[arm].quantize(CENT, ROUND_HALF_UP)
        assert figures["opening_balance"] == expected_opening[arm].quantize(CENT, ROUND_HALF_UP)
    assert {r["rate"] for r in report["fx_rates_used"]["USD"]} == {Decimal("0.9123456789"), Decimal("0.8765432101")}


def test_a_missing_fx_rate_is_a_clear_error(unit, usd_unit, experiment):
    _portfolio(usd_unit, 2)
    dunning_run(as_of=day(-3))

    with pytest.raises(DunningError, match="no FX rate from USD to EUR on or before 2026-03-08") as missing:
        experiment_report(rule=experiment, start=START, end=END, currency="EUR")
    assert missing.value.code == DunningErrorCode.NO_FX_RATE
    with pytest.raises(DunningError, match="currency: unknown currency 'EUX'"):
        experiment_report(rule=experiment, start=START, end=END, currency="EUX")


# ---------------------------------------------------------------------------------------------------
# Surfaces: page, CSV, API, CLI
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def paid_split(unit, experiment):
    """A smaller split for the surfaces (the statistics are tested above on 200 customers)."""
    documents = _portfolio(unit, 60)
    dunning_run(as_of=day(-3))
    _behave(documents, _arms_recorded(), {0: SLOW, 1: FAST})
    return documents


PERIOD = {"from": START.isoformat(), "to": END.isoformat()}


def test_the_list_shows_every_rule_with_a_challenger_active_or_not(experiment, strategies):
    experiment.active = False
    experiment.save(update_fields=["active"])

    [listed] = experiment_list()

    assert (listed["id"], listed["active"], listed["challenger"]["name"]) == (experiment.pk, False, "Commercial firm")
    assert listed["customers"] == {"champion": 0, "challenger": 0}


def test_readers_see_the_two_arms_side_by_side_with_the_verdict(client, make_user, paid_split, experiment):
    report = experiment_report(rule=experiment, start=START, end=END)
    for role in ("admin", "head", "lead", "auditor"):
        client.force_login(make_user(f"u-{role}", role=role))

        listing = client.get("/experiments/")
        page = client.get(f"/experiments/{experiment.pk}/", PERIOD)

        assert listing.status_code == 200, role
        assert f'href="/experiments/{experiment.pk}/"' in listing.content.decode()
        html = page.content.decode()
        assert page.status_code == 200, role
        assert "Champion: Commercial standard" in html
        assert "Challenger: Commercial firm" in html
        assert f'<td class="num">{report["arms"][1]["collected"]}</td>' in html
        assert "days sooner" in html
        assert "significant at 5%" in html


def test_the_per_arm_table_exports_as_csv(client, admin_user, paid_split, experiment):
    client.force_login(admin_user)

    response = client.get(f"/experiments/{experiment.pk}/", {**PERIOD, "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    report = experiment_report(rule=experiment, start=START, end=END)
    assert rows[0][:3] == ["arm", "strategy", "customers"]
    assert [r[0] for r in rows[1:]] == ["champion", "challenger"]
    assert [r[5] for r in rows[1:]] == [str(a["collected"]) for a in report["arms"]]


def test_a_bad_date_on_the_page_is_named_and_nothing_is_computed(client, admin_user, experiment):
    client.force_login(admin_user)

    response = client.get(f"/experiments/{experiment.pk}/", {"from": "yesterday"})

    assert response.status_code == 400
    assert "from: &#x27;yesterday&#x27; is not a date" in response.content.decode()


def test_collectors_may_not_read_experiments(client, make_user, experiment):
    collector = make_user("collector")
    client.force_login(collector)
    api = APIClient()
    api.force_authenticate(collector)

    assert client.get("/experiments/").status_code == 403
    assert client.get(f"/experiments/{experiment.pk}/").status_code == 403
    assert api.get("/api/dunning/experiments/").status_code == 403
    assert api.get(f"/api/dunning/experiments/{experiment.pk}/").status_code == 403


def test_the_api_lists_experiments_and_reports_one(make_user, paid_split, experiment):
    api = APIClient()
    api.force_authenticate(make_user("lead", role="lead"))

    listing = api.get("/api/dunning/experiments/")
    detail = api.get(f"/api/dunning/experiments/{experiment.pk}/", PERIOD)

    assert listing.status_code == 200
    assert [e["id"] for e in listing.json()["results"]] == [experiment.pk]
    body = detail.json()
    assert detail.status_code == 200
    assert body["tests"]["days_to_pay"]["significant"] is True
    assert body["tests"]["days_to_pay"]["difference"].startswith("-")
    assert isinstance(body["arms"][0]["collected"], str), "money is a decimal string, never a float"
    assert api.get(f"/api/dunning/experiments/{experiment.pk}/", {"to": "soon"}).status_code == 400
    assert api.get("/api/dunning/experiments/999999/").status_code == 404


def test_the_cli_prints_one_json_document(paid_split, experiment, capsys):
    call_command("experiment", "--rule", str(experiment.pk), "--from", START.isoformat(), "--to", END.isoformat(),
                 "--currency", "EUR", "--json")

    report = json.loads(capsys.readouterr().out)
    assert report["rule"]["id"] == experiment.pk
    assert [a["arm"] for a in report["arms"]] == ["champion", "challenger"]
    assert report["tests"]["days_to_pay"]["significant"] is True


def test_the_cli_names_a_rule_that_is_not_an_experiment(strategies):
    plain = segment_rule_create(strategy=strategies["Commercial standard"], name="No split")

    with pytest.raises(CommandError, match=f"rule: segment rule {plain.pk} \\(No split\\) has no challenger"):
        call_command("experiment", "--rule", str(plain.pk), "--from", "2026-03-01", "--to", "2026-04-01")
    with pytest.raises(CommandError, match="--from: 'March' is not a date"):
        call_command("experiment", "--rule", str(plain.pk), "--from", "March", "--to", "2026-04-01")
