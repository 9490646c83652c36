"""The KPI report fed from a hand-built ledger (tests/ledger_fixtures.py): every expected figure is
worked out here from the documents, payments and dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arrears.analytics.selectors import kpi_report
from arrears.analytics.tests.ledger_fixtures import Q3

pytestmark = pytest.mark.django_db


def kpi(report, name, key=None):
    group = report.total if key is None else next(g for g in report.groups if g.key == key)
    return group.kpis[name]


@pytest.mark.smoke
def test_dso_of_the_quarter_is_ending_ar_over_credit_sales_times_days(ledger):
    # Sales Q3: INV2 3,000 + INV3 2,000 + INV4 5,000 - CN1 500 = 9,500.
    # AR 30 Sep: INV1 400 + INV2 3,000 (paid only on 5 Oct) + INV3 2,000 - CN1 500 = 4,900.
    # DSO = 4,900 / 9,500 × 92 = 47.4526...
    report = kpi_report(start=Q3[0], end=Q3[1])
    assert report.total.figures["credit_sales"] == "9500.00"
    assert report.total.figures["ar_end"] == "4900.00"
    dso = kpi(report, "dso")
    assert dso["display"] == "47.45"
    assert Decimal(dso["value"]) == pytest.approx(Decimal(4900) / Decimal(9500) * 92, abs=Decimal("1e-20"))


def test_bpdso_and_add_use_current_and_past_due_ar(ledger):
    # Current at 30 Sep: INV3 2,000 -> BPDSO = 2,000 / 9,500 × 92 = 19.368...; ADD = 47.4526 - 19.3684 = 28.084...
    report = kpi_report(start=Q3[0], end=Q3[1])
    assert kpi(report, "bpdso")["display"] == "19.37"
    assert kpi(report, "add")["display"] == "28.08"
    assert report.total.figures["current_end"] == "2000.00"


def test_cei_of_the_quarter_divides_sales_by_three_months(ledger):
    # Beginning AR (30 Jun): INV0 6,000 + INV1 1,000 + INV5 400 = 7,400.
    # CEI = (7,400 + 9,500/3 - 4,900) / (7,400 + 9,500/3 - 2,000) × 100 = 17,000 / 25,700 × 100 = 66.1479
    report = kpi_report(start=Q3[0], end=Q3[1])
    assert report.total.figures["ar_begin"] == "7400.00"
    cei = kpi(report, "cei")
    assert cei["display"] == "66.15"
    assert cei["method"] == "crf_n3"


def test_cei_is_not_computed_for_a_period_of_part_months(ledger):
    report = kpi_report(start=dt.date(2026, 7, 5), end=dt.date(2026, 9, 30))
    assert kpi(report, "cei")["reason"] == "PERIOD_NOT_WHOLE_MONTHS"


def test_aging_buckets_at_the_period_end(ledger):
    # INV1 400 is 108 days past due (91-120), INV2 3,000 52 days (31-60), INV3 current.
    buckets = kpi_report(start=Q3[0], end=Q3[1]).total.figures["buckets_end"]
    assert buckets == {"current": "2000.00", "1-30": "0.00", "31-60": "3000.00", "61-90": "0.00",
                       "91-120": "400.00", "121+": "0.00"}


def test_historical_ar_excludes_payments_made_after_the_date(ledger):
    # INV2 was paid on 5 Oct: at 30 Sep it was open, in October it is not.
    sept = kpi_report(start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 30))
    octo = kpi_report(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    assert sept.total.figures["ar_end"] == "4900.00"
    assert octo.total.figures["ar_begin"] == "4900.00"
    assert octo.total.figures["ar_end"] == "1900.00"


def test_adp_and_dbt_weigh_each_application_by_its_amount(ledger):
    # Applied in Q3: INV0 6,000 (110 days after issue, 80 beyond terms), INV1 600 (87, 57), INV4 5,000 (45, 15).
    # ADP = (6,000×110 + 600×87 + 5,000×45) / 11,600 = 937,200 / 11,600 = 80.7931
    # DBT = (6,000×80 + 600×57 + 5,000×15) / 11,600 = 589,200 / 11,600 = 50.7931; terms 30.
    report = kpi_report(start=Q3[0], end=Q3[1])
    assert kpi(report, "adp_w")["display"] == "80.79"
    assert kpi(report, "dbt_w")["display"] == "50.79"
    assert kpi(report, "terms_w")["display"] == "30.00"
    assert report.total.figures["cash_collected"] == "11600.00"


def test_adp_matches_the_pure_payment_behaviour_function(ledger):
    from arrears.analytics.kpis.payment_behaviour import PaymentApplication, payment_behaviour
    from arrears.ledger.models import Allocation

    rows = [
        PaymentApplication(ref=str(a.pk), invoice_ref=str(a.document_id), amount=a.amount,
                           invoice_date=a.document.issue_date, due_date=a.document.due_date, paid_on=a.date)
        for a in Allocation.objects.filter(source="payment").select_related("document")
    ]
    expected = payment_behaviour(rows, period=__import__("arrears.analytics.kpis", fromlist=["Period"]).Period(*Q3))
    report = kpi_report(start=Q3[0], end=Q3[1])
    assert Decimal(kpi(report, "adp_w")["value"]) == expected.adp_w.value
    assert Decimal(kpi(report, "dbt_w")["value"]) == expected.dbt_w.value


def test_roll_rates_between_two_month_ends(ledger):
    # 31 Aug: INV4 5,000 current; INV2 3,000 in 1-30; INV1 400 and INV5 400 in 61-90.
    # 30 Sep: INV4 paid; INV2 in 31-60; INV1 in 91-120; INV5 written off.
    report = kpi_report(start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 30))
    assert report.roll_from == dt.date(2026, 8, 31)
    assert kpi(report, "roll_rate:current->1-30")["display"] == "0.00"
    assert kpi(report, "roll_rate:1-30->31-60")["display"] == "100.00"
    assert kpi(report, "roll_rate:31-60->61-90")["reason"] == "EMPTY_BUCKET"
    assert kpi(report, "roll_rate:61-90->91-120")["display"] == "50.00"
    matrix = report.total.matrix
    assert matrix["61-90"]["written_off"] == Decimal(400)
    assert matrix["current"]["paid"] == Decimal(5000)


def test_write_off_ratio_is_write_offs_over_credit_sales(ledger):
    # 400 written off / 9,500 sales = 4.2105 %
    report = kpi_report(start=Q3[0], end=Q3[1])
    assert kpi(report, "write_off_ratio_gross")["display"] == "4.21"
    assert report.total.figures["write_offs"] == "400.00"


def test_countback_dso_walks_back_the_monthly_sales(ledger):
    # AR 4,900; Sep sales 2,000 - 500 = 1,500 (30 days) absorbed whole, Aug 5,000 exhausts: 3,400/5,000 × 31 = 21.08
    report = kpi_report(start=Q3[0], end=Q3[1])
    assert kpi(report, "dso_countback")["display"] == "51.08"


def test_countback_needs_a_month_end(ledger):
    report = kpi_report(start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 29))
    assert kpi(report, "dso_countback")["reason"] == "PERIOD_NOT_MONTH_END"


def test_group_by_collector_splits_balances_and_sales(ledger):
    # A (c1): sales 5,000, AR 5,400 -> DSO 5,400/5,000 × 92 = 99.36.
    # B (c2): sales 4,500, AR -500 (the open credit note) -> DSO -10.22, flagged NEGATIVE_AR.
    report = kpi_report(start=Q3[0], end=Q3[1], by="collector")
    assert {g.label for g in report.groups} == {"c1", "c2"}
    assert kpi(report, "dso", ledger.c1.pk)["display"] == "99.36"
    b = kpi(report, "dso", ledger.c2.pk)
    assert b["display"] == "-10.22"
    assert b["flags"] == ["NEGATIVE_AR"]


@pytest.mark.parametrize("by", ["business-unit", "segment", "collector", "strategy", "arm", "customer"])
def test_every_grouping_adds_up_to_the_total(ledger, by):
    report = kpi_report(start=Q3[0], end=Q3[1], by=by)
    assert report.groups
    for figure in ("credit_sales", "ar_end", "ar_begin", "cash_collected", "write_offs"):
        assert sum(Decimal(g.figures[figure]) for g in report.groups) == Decimal(report.total.figures[figure])


def test_group_by_segment_and_customer_labels(ledger):
    seg = kpi_report(start=Q3[0], end=Q3[1], by="segment")
    assert {g.key: g.figures["credit_sales"] for g in seg.groups} == {"smb": "5000.00", "ent": "4500.00"}
    cust = kpi_report(start=Q3[0], end=Q3[1], by="customer")
    assert {g.label for g in cust.groups} == {"Alpha", "Beta"}


def test_strategy_and_arm_come_from_the_dunning_customer_state(ledger):
    from arrears.dunning.models import CustomerDunningState, Strategy, StrategyVersion

    champion = Strategy.objects.create(name="Gentle")
    challenger = Strategy.objects.create(name="Firm")
    CustomerDunningState.objects.create(customer=ledger.a, arm=0, strategy_version=StrategyVersion.objects.create(strategy=champion, number=1))
    CustomerDunningState.objects.create(customer=ledger.b, arm=1, strategy_version=StrategyVersion.objects.create(strategy=challenger, number=1))
    by_strategy = kpi_report(start=Q3[0], end=Q3[1], by="strategy")
    assert {g.label: g.figures["ar_end"] for g in by_strategy.groups} == {"Gentle": "5400.00", "Firm": "-500.00"}
    by_arm = kpi_report(start=Q3[0], end=Q3[1], by="arm")
    assert {g.label: g.figures["credit_sales"] for g in by_arm.groups} == {"Champion": "5000.00", "Challenger": "4500.00"}


def test_a_lead_sees_only_the_team(ledger, make_user):
    from arrears.analytics.selectors import Scope
    from arrears.users.models import Team

    lead = make_user("lead", role="lead")
    team = Team.objects.create(name="North", lead=lead)
    ledger.c1.team = team
    ledger.c1.save(update_fields=["team"])
    report = kpi_report(start=Q3[0], end=Q3[1], scope=Scope(user=lead))
    assert report.total.figures["ar_end"] == "5400.00"  # Alpha only
