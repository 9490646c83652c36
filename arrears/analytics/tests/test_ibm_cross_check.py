"""DSO of Q2 2013 on IBM's late-payment sample: the selector against a direct Decimal computation from the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.management import call_command

from arrears.analytics.selectors import kpi_report

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%m/%d/%Y").date()  # noqa: DTZ007 - a business date, no time of day


def test_dso_q2_2013_equals_the_direct_computation_from_the_csv(ibm_csv):
    call_command("import", str(ibm_csv), profile="ibm-late-payment", stdout=io.StringIO())
    start, end = dt.date(2013, 4, 1), dt.date(2013, 6, 30)
    sales = ar = Decimal(0)
    with ibm_csv.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            amount, issued = Decimal(row["InvoiceAmount"]), _date(row["InvoiceDate"])
            settled = _date(row["SettledDate"]) if row["SettledDate"] else None
            if start <= issued <= end:
                sales += amount
            if issued <= end and (settled is None or settled > end):
                ar += amount  # open at the end of 30 June: issued by then, settled later
    expected = Fraction(ar) / Fraction(sales) * 91

    report = kpi_report(start=start, end=end)
    dso = report.total.kpis["dso"]
    assert report.total.figures["credit_sales"] == f"{sales:.2f}"
    assert report.total.figures["ar_end"] == f"{ar:.2f}"
    assert abs(Fraction(Decimal(dso["value"])) - expected) < Fraction(1, 10**20)  # 34 significant digits
    assert dso["display"] == str((Decimal(expected.numerator) / Decimal(expected.denominator)).quantize(Decimal("0.01")))
