import datetime as dt
import re
from decimal import Decimal

import pytest

from arrears.ledger.services import credit_note_apply, document_write_off, payment_allocate
from arrears.ledger.tests.factories import CustomerFactory, DocumentFactory, PaymentFactory
from arrears.web.tests.conftest import TODAY, login

pytestmark = pytest.mark.django_db


def numbers(response) -> list[str]:
    return re.findall(r'<td><a href="/documents/\d+/">([^<]+)</a>', response.content.decode())


def test_collector_lists_only_documents_of_their_customers(client, portfolio):
    login(client, portfolio["bob"])
    assert numbers(client.get("/documents/")) == ["INV-B1"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "partially_paid"}, ["INV-A2"]),
        ({"status": "paid"}, ["INV-A5"]),
        ({"kind": "credit_note"}, ["CN-A1"]),
        ({"currency": "usd"}, ["INV-A4", "INV-B1"]),
        ({"overdue": "on"}, ["INV-A4", "INV-B1", "INV-A1", "INV-A2"]),
        ({"q": "inv-a1"}, ["INV-A1"]),
        ({"q": "PO-7"}, ["INV-A1"]),  # by reference
        ({"due_from": "2026-03-01", "due_to": "2026-03-20"}, ["INV-A2", "CN-A1", "INV-P1"]),
        ({"status": "unsettled", "sort": "-due_date", "currency": "EUR"}, ["INV-A3", "INV-P1", "CN-A1", "INV-A2", "INV-A1"]),
    ],
)
def test_filters_and_sorting(client, portfolio, params, expected):
    login(client, portfolio["head"])
    assert numbers(client.get("/documents/", params)) == expected


def test_business_unit_filter(client, portfolio, usd_unit):
    login(client, portfolio["head"])
    assert numbers(client.get("/documents/", {"business_unit": usd_unit.pk})) == ["INV-B1"]


def test_bad_currency_is_explained_and_ignored(client, portfolio):
    login(client, portfolio["head"])
    response = client.get("/documents/", {"currency": "E1"})
    assert "three-letter ISO code" in response.content.decode()
    assert len(numbers(response)) == 8


def test_each_row_links_to_its_customer(client, portfolio):
    login(client, portfolio["bob"])
    html = client.get("/documents/").content.decode()
    assert f'<a href="/customers/{portfolio["bob_c"].pk}/">Bravo Foods</a>' in html


def test_document_list_query_count_is_flat(client, people, django_assert_max_num_queries):
    for _ in range(60):
        DocumentFactory(customer=CustomerFactory(collector=people["bob"]))
    login(client, people["lead"])
    # session, user, lead scope (2), page, business units for the filter, known currencies
    with django_assert_max_num_queries(7):
        response = client.get("/documents/", {"sort": "-issue_date"})
    assert len(numbers(response)) == 0  # Bob is not in Lea's team
    login(client, people["head"])
    with django_assert_max_num_queries(5):
        response = client.get("/documents/", headers={"HX-Request": "true"})
    assert len(numbers(response)) == 50


def test_document_page_shows_its_allocations(client, portfolio):
    doc = portfolio["a_late"]
    payment = PaymentFactory(customer=portfolio["ann_c"], external_id="PAY-1", amount=Decimal("300"), unapplied_amount=Decimal("300"), method="transfer")
    payment_allocate(payment=payment, allocations=[(doc, Decimal("300"))], date=TODAY)
    credit_note_apply(credit_note=portfolio["a_credit"], document=doc, amount=Decimal("50"), date=TODAY)
    document_write_off(document=doc, amount=Decimal("25"), date=TODAY, reason="Small balance")
    login(client, portfolio["ann"])
    html = re.sub(r"\s+", " ", client.get(f"/documents/{doc.pk}/").content.decode())
    table = html[html.index('id="allocations"') :]
    assert "PAY-1" in table
    assert "CN-A1" in table
    assert "Small balance" in table
    assert "625.00 EUR" in html  # 1000 - 300 - 50 - 25 still open
    assert "45 days late" in html


def test_credit_note_page_shows_where_it_was_applied(client, portfolio):
    credit_note_apply(credit_note=portfolio["a_credit"], document=portfolio["a_part"], amount=Decimal("20"), date=TODAY)
    login(client, portfolio["ann"])
    html = client.get(f"/documents/{portfolio['a_credit'].pk}/").content.decode()
    assert "Applied to" in html
    assert "INV-A2" in html[html.index('id="allocations"') :]


@pytest.mark.parametrize("who", ["ann", "lead"])
def test_other_collectors_document_is_not_found(client, portfolio, who):
    login(client, portfolio[who])
    assert client.get(f"/documents/{portfolio['b_late'].pk}/").status_code == 404


def test_auditor_opens_any_document(client, portfolio):
    login(client, portfolio["auditor"])
    assert client.get(f"/documents/{portfolio['b_late'].pk}/").status_code == 200
    assert 'method="post"' not in client.get(f"/documents/{portfolio['b_late'].pk}/").content.decode().split("<main", 1)[1]


def test_future_due_date_is_not_late(client, portfolio):
    login(client, portfolio["ann"])
    html = client.get(f"/documents/{portfolio['a_future'].pk}/").content.decode()
    assert "days late" not in html
    assert portfolio["a_future"].due_date == TODAY + dt.timedelta(days=10)
