import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from arrears.ledger.aging import aging_report
from arrears.ledger.models import FxRate
from arrears.web.templatetags.charts import stacked_bar_chart
from arrears.web.tests.conftest import TODAY, login

pytestmark = pytest.mark.django_db
D = Decimal


def cells(html, row_id):
    """data-value of each amount cell in the row with data-key=row_id."""
    row = re.search(rf'<tr data-key="{row_id}"[^>]*>(.*?)</tr>', html, re.S).group(1)
    return [D(v) for v in re.findall(r'data-value="([^"]+)"', row)]


@pytest.mark.smoke
def test_page_renders_the_table_and_the_svg_chart(client, portfolio):
    response = login(client, portfolio["head"]).get("/aging/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<table id="aging-table"' in html
    assert '<svg id="aging-chart"' in html
    assert 'id="aging-filters"' in html
    assert 'hx-get="/aging/"' in html
    assert f'value="{TODAY.isoformat()}"' in html  # as of defaults to today
    assert "<script src=\"http" not in html  # no CDN


def test_page_shows_the_report_numbers_and_links_customers(client, portfolio):
    html = login(client, portfolio["head"]).get("/aging/", {"currency": "EUR"}).content.decode()

    alpha = portfolio["ann_c"]
    report = aging_report(as_of=TODAY, currency="EUR")
    row = next(r for r in report.rows if r.key == alpha.pk)
    assert f'<a href="/customers/{alpha.pk}/">Alpha Traders</a>' in html
    assert cells(html, alpha.pk) == [*row.buckets, row.total, row.unapplied_credits, row.net_balance, row.disputed]
    assert row.total == D("1500.00")  # 1000 (45 days) + 200 left of 500 (5 days) + 300 not yet due
    assert row.unapplied_credits == D("-50.00")
    assert "1,000.00" in html


def test_htmx_request_gets_only_the_results(client, portfolio):
    response = login(client, portfolio["head"]).get(
        "/aging/", {"by": "segment", "as_of": "2026-03-15"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert '<table id="aging-table"' in html
    assert "<html" not in html
    assert 'id="aging-filters"' not in html
    assert ">enterprise<" in html
    assert "/customers/" not in html  # only customer rows link to the customer page


def test_bad_date_shows_a_form_error(client, portfolio):
    html = login(client, portfolio["head"]).get("/aging/", {"as_of": "2026-02-30"}).content.decode()

    assert "Enter a date as YYYY-MM-DD." in html
    assert 'id="aging-table"' not in html


def test_missing_fx_rate_is_shown_not_a_crash(client, portfolio):
    response = login(client, portfolio["head"]).get("/aging/", {"reporting_currency": "EUR"})

    assert response.status_code == 200
    assert "no FX rate from USD to EUR on or before 2026-03-15" in response.content.decode()


def test_login_is_required(client):
    response = client.get("/aging/")

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_collector_sees_only_their_portfolio_on_the_page_and_in_exports(client, portfolio):
    c = login(client, portfolio["bob"])

    html = c.get("/aging/").content.decode()
    exported = c.get("/aging/export.csv", {"as_of": TODAY.isoformat()}).content.decode("utf-8-sig")

    assert "Bravo Foods" in html
    assert "Alpha Traders" not in html
    assert "Apex Retail" not in html
    labels = [r[1] for r in csv.reader(io.StringIO(exported))][1:]
    assert labels == ["Bravo Foods", "Total"]


def test_csv_and_xlsx_exports_parse_back_to_the_report_numbers(client, portfolio):
    FxRate.objects.create(date=dt.date(2026, 3, 1), currency="USD", quote_currency="EUR", rate=D("0.92"))
    params = {"as_of": "2026-03-15", "by": "collector", "reporting_currency": "EUR"}
    c = login(client, portfolio["head"])

    csv_response = c.get("/aging/export.csv", params)
    xlsx_response = c.get("/aging/export.xlsx", params)

    report = aging_report(as_of=TODAY, by="collector", reporting_currency="EUR")
    expected = [
        [*r.buckets, r.total, r.unapplied_credits, r.net_balance, r.disputed, r.document_count]
        for r in (*report.rows, *report.totals)
    ]
    assert csv_response["Content-Type"].startswith("text/csv")
    assert 'filename="aging-2026-03-15-by-collector-due.csv"' in csv_response["Content-Disposition"]
    csv_rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert csv_rows[0][:4] == ["Key", "Collector", "Currency", "Current"]
    assert [[D(v) for v in r[3:]] for r in csv_rows[1:]] == expected
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    xlsx_rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert xlsx_rows[0] == csv_rows[0]
    assert [[D(str(v)).quantize(D("0.01")) for v in r[3:13]] + [r[13]] for r in xlsx_rows[1:]] == expected
    assert report.total_row.total == D("1942.40")  # 1510 EUR + (70 + 400) USD at 0.92


def test_export_with_bad_parameters_is_a_400_naming_the_field(client, portfolio):
    response = login(client, portfolio["head"]).get("/aging/export.xlsx", {"as_of": "15/03/2026"})

    assert response.status_code == 400
    assert "as_of" in response.content.decode()


def test_chart_scales_each_bar_to_its_total_and_escapes_labels():
    svg = stacked_bar_chart([("<EUR>", [D("75"), D("25"), D("0")])], ["Current", "1-30", "31-60"], chart_id="c")

    widths = [D(w) for w in re.findall(r'<rect x="[^"]+" y="[^"]+" width="([^"]+)" height="26"', svg)]
    assert widths[0] == 3 * widths[1]
    assert "&lt;EUR&gt;" in svg
    assert "<EUR>" not in svg
    assert "(75.0 %)" in svg
    assert 'data-segment="31-60"' not in svg  # empty segments are not drawn
