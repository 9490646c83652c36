from decimal import Decimal

import pytest

from arrears.ledger.tests.factories import PaymentFactory
from arrears.web.selectors import portfolio_summary
from arrears.web.tests.conftest import TODAY, login

pytestmark = pytest.mark.django_db


def test_head_summary_covers_the_whole_portfolio_per_currency(portfolio):
    summary = portfolio_summary(user=portfolio["head"], as_of=TODAY)
    by = {b.currency: b for b in summary.balances}
    assert summary.customers == 3
    # EUR: Ann's 1000 + 200 + 300 open debits + Apex 10; the credit note is a credit, not a debit.
    assert by["EUR"].open_debits == Decimal("1510.00")
    assert by["EUR"].unapplied_credits == Decimal("50.00")
    assert by["EUR"].overdue == Decimal("1200.00")
    assert by["EUR"].net == Decimal("1460.00")
    # USD: Ann's 70 (in USD on a EUR unit) + Bob's 400, all overdue.
    assert by["USD"].open_debits == Decimal("470.00")
    assert by["USD"].overdue == Decimal("470.00")
    assert summary.overdue_documents == 4


def test_collector_summary_counts_only_their_own_customers(portfolio):
    summary = portfolio_summary(user=portfolio["bob"], as_of=TODAY)
    assert summary.customers == 1
    assert [(b.currency, b.open_debits, b.overdue) for b in summary.balances] == [
        ("USD", Decimal("400.00"), Decimal("400.00"))
    ]


def test_unapplied_cash_lowers_the_net_balance(portfolio):
    PaymentFactory(customer=portfolio["bob_c"], amount=Decimal("30.00"), unapplied_amount=Decimal("30.00"))
    (usd,) = portfolio_summary(user=portfolio["bob"], as_of=TODAY).balances
    assert usd.unapplied_cash == Decimal("30.00")
    assert usd.net == Decimal("370.00")


def test_home_page_shows_the_summary_with_few_queries(client, portfolio, django_assert_max_num_queries):
    login(client, portfolio["lead"])
    # session, user, then 3 aggregates; a lead's team scope costs 2 more per gate it passes.
    with django_assert_max_num_queries(11):
        response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your team&#x27;s portfolio" in html or "Your team's portfolio" in html
    assert "1,510.00" in html  # Ann is in Lea's team
    assert "400.00" not in html  # Bob is not


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
