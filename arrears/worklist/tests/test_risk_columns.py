"""The vectorised expected values give exactly what the one-account-at-a-time Decimal rules give."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.ledger.models import DocumentKind, DocumentStatus, FxRate
from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory
from arrears.worklist.selectors import account_risk_for_customers, money_text
from arrears.worklist.selectors.risk import account_risk_columns, money_text_milli
from arrears.worklist.tests.conftest import TODAY
from arrears.worklist.tests.risk_reference import reference_account_risks

D = Decimal
FIELDS = ("currency", "overdue", "not_due", "days_past_due", "amount_at_risk", "probability", "probability_source",
          "age_weight", "score", "settled", "settled_late", "unconverted", "risk_text", "likelihood_text")
# Reporting currency EUR. USD: direct rate; GBP: only EUR->GBP (inverse); CHF: across USD; JPY (no minor
# unit): direct; BHD (three decimals): no rate at all, counted 1:1.
CURRENCIES = ["EUR", "EUR", "EUR", "USD", "GBP", "CHF", "JPY", "BHD"]


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["EUR", "USD", "JPY", "BHD", "CLF", "ISK"]))
def test_amounts_in_thousandths_read_as_the_decimal_formatter_writes_them(milli, currency):
    assert money_text_milli(milli, currency) == money_text(Decimal(milli).scaleb(-3), currency)


def _rates():
    for day, currency, quote, rate in [
        (TODAY - dt.timedelta(days=3), "USD", "EUR", "0.9100000000"),
        (TODAY - dt.timedelta(days=1), "USD", "EUR", "0.9234567891"),  # the latest on or before as_of wins
        (TODAY + dt.timedelta(days=1), "USD", "EUR", "5.0000000000"),  # after as_of: not used
        (TODAY - dt.timedelta(days=2), "EUR", "GBP", "0.8567000000"),
        (TODAY - dt.timedelta(days=2), "CHF", "USD", "1.1300000000"),
        (TODAY - dt.timedelta(days=2), "EUR", "USD", "1.0830000000"),
        (TODAY - dt.timedelta(days=2), "JPY", "EUR", "0.0061500000"),
    ]:
        FxRate.objects.create(date=day, currency=currency, quote_currency=quote, rate=D(rate))


def _amount(rng, currency):
    digits = {"JPY": 0, "BHD": 3}.get(currency, 2)
    if rng.random() < 0.1:
        digits = 3  # a thousandth: the quarter of it and the conversions still round half-up
    return D(rng.randint(1, 5_000_000)).scaleb(-digits)


@pytest.mark.django_db
def test_the_columns_match_the_decimal_rules_on_a_varied_portfolio(unit):
    from arrears.scoring.models import ModelVersion, Prediction

    rng = random.Random(20260310)
    _rates()
    version = ModelVersion.objects.create(trained_on=TODAY, model=b"")
    customers = [CustomerFactory(business_unit=unit) for _ in range(36)]
    for n, customer in enumerate(customers):
        if n == 0:
            continue  # nothing at all: "nothing open"
        for _ in range(rng.randint(1, 4)):
            currency = rng.choice(CURRENCIES) if n % 3 else "EUR"
            amount = _amount(rng, currency)
            due = TODAY + dt.timedelta(days=rng.randint(-200, 40) if n != 1 else 10)  # customer 1: nothing overdue
            kind = rng.choice([DocumentKind.INVOICE] * 4 + [DocumentKind.DEBIT_NOTE, DocumentKind.CREDIT_NOTE])
            open_amount = amount if rng.random() < 0.7 else (amount / 3).quantize(D("0.001"))
            doc = DocumentFactory(customer=customer, currency=currency, kind=kind, amount=amount, open_amount=open_amount,
                                  due_date=due, issue_date=due - dt.timedelta(days=30))
            if n % 5 == 0 and rng.random() < 0.8:
                Prediction.objects.create(
                    document=doc, model_version=version, as_of=TODAY, predicted_date=TODAY, low_date=TODAY,
                    high_date=TODAY, p_late_0=0.5, p_late_30=round(rng.random(), rng.choice([2, 4, 6])), p_late_60=0.1,
                )
        for _ in range(rng.randint(0, 5)):  # settled invoices: on time, late, or too long ago to count
            due = TODAY - dt.timedelta(days=rng.randint(20, 500))
            closed = due + dt.timedelta(days=rng.randint(-10, 40))
            DocumentFactory(customer=customer, amount=D("50.00"), open_amount=D("0"), status=DocumentStatus.PAID,
                            due_date=due, issue_date=due - dt.timedelta(days=30), closed_date=min(closed, TODAY))
    # A model probability that lies exactly on a rounding boundary: (0.1 + 0.2001) / 2 = 0.15005 -> 0.1501.
    tie = customers[-1]
    tie.documents.all().delete()
    for p in (0.1, 0.2001):
        doc = DocumentFactory(customer=tie, amount=D("700.00"), due_date=TODAY - dt.timedelta(days=9),
                              issue_date=TODAY - dt.timedelta(days=39))
        Prediction.objects.create(document=doc, model_version=version, as_of=TODAY, predicted_date=TODAY,
                                  low_date=TODAY, high_date=TODAY, p_late_0=0.5, p_late_30=p, p_late_60=0.1)
    # An amount too large for 64-bit arithmetic of amount × probability × weight: Python integers take over.
    # (Not larger: SQLite keeps decimals as doubles, which hold about 15 digits.)
    DocumentFactory(customer=customers[2], currency="EUR", amount=D("9876543210.987"), open_amount=D("9876543210.987"), due_date=TODAY - dt.timedelta(days=77),
                    issue_date=TODAY - dt.timedelta(days=107))
    assert account_risk_columns(customer_ids=[customers[2].pk], as_of=TODAY).score.dtype == object

    ids = [c.pk for c in customers]
    expected = reference_account_risks(customer_ids=ids, as_of=TODAY)
    actual = account_risk_for_customers(customer_ids=ids, as_of=TODAY)

    assert set(actual) == set(expected)
    for pk in ids:
        assert {f: getattr(actual[pk], f) for f in FIELDS} == {f: getattr(expected[pk], f) for f in FIELDS}, pk
    sources = {r.probability_source for r in actual.values()}
    assert sources == {"model", "heuristic"}
    assert actual[tie.pk].probability == D("0.1501")
    assert any(r.unconverted == ["BHD"] for r in actual.values())
    assert actual[customers[0].pk].risk_text == "nothing open"
    assert actual[customers[1].pk].risk_text.endswith("open, nothing overdue")


@pytest.mark.django_db
def test_tens_of_thousands_of_customers_are_one_query_parameter():
    columns = account_risk_columns(customer_ids=range(1, 40_001), as_of=TODAY)
    assert len(columns.customer_ids) == 40_000
    assert set(columns.risk_text) == {"nothing open"}
    assert not columns.score.any()
