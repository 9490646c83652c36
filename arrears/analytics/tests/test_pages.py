"""Dashboards, exports, the PDF report and the API (routed by tests/urls.py, the same lines as config/urls.py)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from arrears.users.models import Team

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.analytics.tests.urls")]

SEPT = "?month=2026-09"


@pytest.fixture
def head(make_user):
    return make_user("head", role="head")


@pytest.fixture
def lead(ledger, make_user):
    lead = make_user("lead", role="lead")
    team = Team.objects.create(name="North", lead=lead)
    ledger.c1.team = team
    ledger.c1.save(update_fields=["team"])
    return lead


def test_head_sees_the_whole_portfolio(client, ledger, head):
    client.force_login(head)
    response = client.get("/analytics/" + SEPT)
    assert response.status_code == 200
    page = response.content.decode()
    # September: AR 4,900, sales 2,000 - 500 = 1,500 -> DSO = 4,900 / 1,500 × 30 = 98.00, BPDSO 40.00, ADD 58.00.
    assert 'data-kpi="dso"' in page
    dashboard = response.context["d"]
    assert dashboard.total.kpis["dso"]["display"] == "98.00"
    assert dashboard.total.kpis["add"]["display"] == "58.00"
    assert "Whole portfolio" in page
    assert '<svg id="aging-chart"' in page
    assert '<svg id="dso-chart"' in page
    assert '<svg id="cei-chart"' in page
    assert len(dashboard.trend) == 12
    assert dashboard.trend[-1].dso["display"] == "98.00"


def test_lead_sees_only_the_team(client, ledger, lead):
    client.force_login(lead)
    response = client.get("/analytics/" + SEPT)
    assert response.status_code == 200
    total = response.context["d"].total
    assert total.figures["ar_end"] == "5400.00"  # Alpha's balance; Beta belongs to c2, outside the team
    assert [g.label for g in response.context["d"].report.groups] == ["c1"]
    assert "Your team" in response.content.decode()


def test_lead_cannot_open_another_team(client, ledger, lead, make_user):
    other = Team.objects.create(name="South", lead=make_user("lead2", role="lead"))
    client.force_login(lead)
    assert client.get(f"/analytics/?team={other.pk}").status_code == 404


def test_head_can_open_a_team(client, ledger, lead, head):
    client.force_login(head)
    team = Team.objects.get(name="North")
    response = client.get(f"/analytics/{SEPT}&team={team.pk}")
    assert response.context["d"].total.figures["ar_end"] == "5400.00"
    assert "Team North" in response.content.decode()


@pytest.mark.parametrize("url", ["/analytics/", "/analytics/report/2026-09.pdf", "/analytics/export/aging.csv", "/api/kpis/?from=2026-07-01&to=2026-09-30"])
def test_collectors_get_403(client, ledger, url):
    client.force_login(ledger.c1)
    assert client.get(url).status_code == 403


def test_bad_month_is_a_clear_400(client, ledger, head):
    client.force_login(head)
    response = client.get("/analytics/?month=2026-13")
    assert response.status_code == 400
    assert "expected YYYY-MM" in response.content.decode()


@pytest.mark.parametrize("table", ["kpis", "aging", "trend", "roll-rates", "targets"])
def test_csv_exports_parse_back(client, ledger, head, table):
    from arrears.worklist.models import Target

    Target.objects.create(scope="user", user=ledger.c1, period="monthly", start_date=ledger.docs["INV3"].issue_date.replace(day=1),
                          amount=Decimal(500), currency="EUR")
    client.force_login(head)
    response = client.get(f"/analytics/export/{table}.csv{SEPT}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) > 1
    if table == "aging":
        assert rows[1:] == [["Current", "2000.00"], ["1-30", "0.00"], ["31-60", "3000.00"], ["61-90", "0.00"],
                            ["91-120", "400.00"], ["120+", "0.00"]]
    if table == "trend":
        assert rows[-1][0] == "2026-09"
        assert rows[-1][4] == "98.00"
    if table == "targets":  # c1 collected nothing in September against 500
        assert rows[1:] == [["c1", "500.00", "0.00", "0.00"]]


def test_xlsx_export_parses_back(client, ledger, head):
    client.force_login(head)
    response = client.get(f"/analytics/export/roll-rates.xlsx{SEPT}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "From (previous month end)"
    by_row = {r[0]: r for r in rows[1:]}
    header = rows[0]
    assert by_row["1-30"][header.index("31-60 %")] == 100
    assert by_row["61-90"][header.index("Written off %")] == 50


def test_unknown_export_table_is_404(client, ledger, head):
    client.force_login(head)
    assert client.get("/analytics/export/nothing.csv").status_code == 404


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_monthly_pdf_report_contains_the_figures(client, ledger, head, tmp_path):
    client.force_login(head)
    response = client.get("/analytics/report/2026-09.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Collections report, September 2026" in text
    assert "DSO" in text
    assert "98.00" in text
    assert "58.00" in text  # ADD
    assert "4,900.00" in text  # total AR


def test_api_returns_the_cli_document(client, ledger, head):
    from django.core.management import call_command

    client.force_login(head)
    response = client.get("/api/kpis/?from=2026-07-01&to=2026-09-30&by=collector")
    assert response.status_code == 200
    out = io.StringIO()
    call_command("kpi", "--from", "2026-07-01", "--to", "2026-09-30", "--by", "collector", "--json", stdout=out)
    import json

    assert response.json() == json.loads(out.getvalue())


def test_api_for_a_lead_is_the_team(client, ledger, lead):
    client.force_login(lead)
    doc = client.get("/api/kpis/?from=2026-07-01&to=2026-09-30").json()
    assert doc["total"]["figures"]["ar_end"] == "5400.00"


@pytest.mark.parametrize(("query", "field"), [("from=2026-07-01", "to"), ("from=2026-07-32&to=2026-09-30", "from"),
                                              ("from=2026-09-01&to=2026-07-01", "to"), ("from=2026-07-01&to=2026-09-30&by=planet", "by")])
def test_api_rejects_bad_input(client, ledger, head, query, field):
    client.force_login(head)
    response = client.get(f"/api/kpis/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_api_missing_rate_is_400(client, ledger, head):
    client.force_login(head)
    response = client.get("/api/kpis/?from=2026-07-01&to=2026-09-30&currency=USD")
    assert response.status_code == 400
    assert response.json()["code"] == "no_fx_rate"


def test_schema_documents_the_endpoint_without_warnings(capsys):
    from django.core.management import call_command

    call_command("spectacular", "--urlconf", "arrears.analytics.tests.schema_urls", "--file", "/dev/null", "--validate", "--fail-on-warn")
    assert "Warning" not in capsys.readouterr().err
