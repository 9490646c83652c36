import re
from decimal import Decimal

import pytest

from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory
from arrears.web.selectors import customer_balances, customer_list_for_page, page_fetch
from arrears.web.tests.conftest import TODAY, login, overdue_invoice

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    html = response.content.decode()
    table = html[html.index('id="customer-table"') :] if 'id="customer-table"' in html else ""
    return re.findall(r'class="strong">([^<]+)</a>', table)


def test_collector_sees_only_their_own_portfolio(client, portfolio):
    login(client, portfolio["ann"])
    assert names(client.get("/customers/")) == ["Alpha Traders", "Apex Retail"]


def test_lead_sees_the_team_portfolio(client, portfolio):
    login(client, portfolio["lead"])
    assert names(client.get("/customers/")) == ["Alpha Traders", "Apex Retail"]


def test_head_sees_everyone_and_can_filter_by_collector(client, portfolio):
    login(client, portfolio["head"])
    assert names(client.get("/customers/")) == ["Alpha Traders", "Apex Retail", "Bravo Foods"]
    assert names(client.get("/customers/", {"collector": portfolio["bob"].pk})) == ["Bravo Foods"]


def test_collector_cannot_widen_the_view_with_a_collector_filter(client, portfolio):
    login(client, portfolio["ann"])
    # Bob is not a choice for Ann, so the filter is dropped and the gate still applies.
    assert names(client.get("/customers/", {"collector": portfolio["bob"].pk})) == ["Alpha Traders", "Apex Retail"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "alpha"}, ["Alpha Traders"]),
        ({"q": "c-bravo"}, ["Bravo Foods"]),  # customer number, case-insensitive
        ({"segment": "smb"}, ["Apex Retail", "Bravo Foods"]),
        ({"overdue": "on"}, ["Alpha Traders", "Bravo Foods"]),
        ({"sort": "-name"}, ["Bravo Foods", "Apex Retail", "Alpha Traders"]),
        ({"sort": "oldest_due"}, ["Alpha Traders", "Bravo Foods", "Apex Retail"]),
        ({"jurisdiction": "uk"}, []),
        ({"kind": "commercial", "segment": "enterprise"}, ["Alpha Traders"]),
    ],
)
def test_search_filters_and_sorts(client, portfolio, params, expected):
    login(client, portfolio["head"])
    assert names(client.get("/customers/", params)) == expected


def test_business_unit_filter(client, portfolio, usd_unit):
    login(client, portfolio["head"])
    assert names(client.get("/customers/", {"business_unit": usd_unit.pk})) == ["Bravo Foods"]


def test_invalid_filter_values_are_ignored_not_an_error(client, portfolio):
    login(client, portfolio["head"])
    response = client.get("/customers/", {"business_unit": "nope", "sort": "drop table", "page": "-3"})
    assert response.status_code == 200
    assert len(names(response)) == 3


def test_balances_per_currency_and_overdue_per_customer(portfolio):
    balances = customer_balances(customer_ids=[portfolio["ann_c"].pk, portfolio["bob_c"].pk], as_of=TODAY)
    ann = {b.currency: (b.open_debits, b.overdue) for b in balances[portfolio["ann_c"].pk]}
    assert ann == {"EUR": (Decimal("1500.00"), Decimal("1200.00")), "USD": (Decimal("70.00"), Decimal("70.00"))}
    assert [(b.currency, b.overdue) for b in balances[portfolio["bob_c"].pk]] == [("USD", Decimal("400.00"))]


def test_list_shows_balances_with_currency_and_days_late(client, portfolio):
    login(client, portfolio["ann"])
    html = client.get("/customers/").content.decode()
    assert '1,500.00 <span class="ccy">EUR</span>' in html
    assert "130 days late" in html  # Alpha's oldest open item is the USD one


def test_htmx_search_returns_only_the_table(client, portfolio):
    login(client, portfolio["head"])
    response = client.get("/customers/", {"q": "apex"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="customer-table"' in html
    assert names(response) == ["Apex Retail"]
    assert "HX-Request" in response["Vary"]


def test_live_search_is_wired_with_a_debounced_keyup(client, portfolio):
    login(client, portfolio["head"])
    html = client.get("/customers/").content.decode()
    assert 'hx-trigger="keyup changed delay:300ms, search"' in html


def test_pages_hold_fifty_rows_and_link_to_the_next(client, people):
    CustomerFactory.create_batch(51, collector=people["bob"])
    login(client, people["bob"])
    first = client.get("/customers/")
    assert len(names(first)) == 50
    assert 'rel="next"' in first.content.decode()
    second = client.get("/customers/", {"page": 2})
    assert len(names(second)) == 1
    assert 'rel="next"' not in second.content.decode()
    assert 'rel="prev"' in second.content.decode()


def test_paging_fetches_one_extra_row_instead_of_counting(people, django_assert_num_queries):
    CustomerFactory.create_batch(3, collector=people["bob"])
    qs = customer_list_for_page(user=people["bob"], as_of=TODAY)
    with django_assert_num_queries(1) as ctx:
        page = page_fetch(qs, page=1, size=2)
    assert "COUNT(" not in ctx.captured_queries[0]["sql"].upper()
    assert (len(page.rows), page.has_next) == (2, True)


def test_query_count_does_not_grow_with_the_page(client, people, usd_unit, django_assert_max_num_queries):
    for i in range(40):
        c = CustomerFactory(collector=people["bob"], **({"business_unit": usd_unit} if i % 2 else {}))
        overdue_invoice(c, days_late=i, amount="10.00")
        DocumentFactory(customer=c, currency="GBP", amount=Decimal("5"), open_amount=Decimal("5"))
    login(client, people["head"])
    # session, user, segments, page, balances, then the form's business units and collectors
    with django_assert_max_num_queries(8):
        response = client.get("/customers/", {"overdue": "on", "sort": "oldest_due"})
    assert len(names(response)) == 40


def test_oldest_first_keeps_customers_with_nothing_open_at_the_end(client, portfolio):
    settled = CustomerFactory(name="Aaron Settled", collector=portfolio["bob"])
    DocumentFactory(customer=settled, amount=Decimal("5"), open_amount=Decimal("0"), status="paid")
    login(client, portfolio["head"])
    assert names(client.get("/customers/", {"sort": "oldest_due"})) == [
        "Alpha Traders", "Bravo Foods", "Apex Retail", "Aaron Settled"
    ]
    assert "Aaron Settled" not in names(client.get("/customers/", {"sort": "oldest_due", "overdue": "on"}))


def test_document_search_matches_number_prefix_typed_in_lower_case(client, portfolio):
    login(client, portfolio["head"])
    html = client.get("/documents/", {"q": "inv-b"}).content.decode()
    assert "INV-B1" in html
    assert "INV-A1" not in html
