import datetime as dt
import re
from decimal import Decimal

import pytest

from arrears.audit.context import acting_as
from arrears.audit.models import AuditEvent
from arrears.audit.services import audit_record
from arrears.ledger.models import Allocation, ChannelConsent, Customer
from arrears.ledger.services import customer_update, payment_allocate
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory, PaymentFactory
from arrears.web.selectors import customer_aging
from arrears.web.tests.conftest import TODAY, login, overdue_invoice

pytestmark = pytest.mark.django_db


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def url(customer: Customer, tab: str | None = None) -> str:
    return f"/customers/{customer.pk}/" + (f"?tab={tab}" if tab else "")


def test_header_shows_balance_per_currency_overdue_and_terms(client, portfolio):
    login(client, portfolio["ann"])
    PaymentFactory(customer=portfolio["ann_c"], amount=Decimal("25.00"), unapplied_amount=Decimal("25.00"))
    html = client.get(url(portfolio["ann_c"])).content.decode()
    header = section(html, "customer-header")
    eur = re.sub(r"\s+", " ", header[header.index('<th scope="row">EUR</th>') :][:700])
    # open debits 1500, credit note 50 + unapplied cash 25, net 1425, overdue 1200
    assert re.search(r"1,500\.00.*−75\.00.*1,425\.00.*1,200\.00", eur)
    assert "30 days" in header
    assert "Ann Archer" in header
    assert "C-ALPHA" in header


def test_credit_limit_utilisation_uses_the_limit_currency(client, portfolio):
    customer_update(customer=portfolio["ann_c"], credit_limit=Decimal("2000"), credit_currency="EUR")
    login(client, portfolio["ann"])
    header = section(client.get(url(portfolio["ann_c"])).content.decode(), "customer-header")
    assert "2,000.00 EUR" in header
    assert "73% used" in header  # net 1450 of 2000


def test_flags_show_in_the_header(client, portfolio):
    customer_update(customer=portfolio["ann_c"], paused=True, cease_communication=True)
    login(client, portfolio["ann"])
    header = section(client.get(url(portfolio["ann_c"])).content.decode(), "customer-header")
    assert "Paused" in header
    assert "Cease communication" in header


def test_aging_puts_open_debits_in_days_past_due_buckets(portfolio):
    rows = {r.currency: r for r in customer_aging(customer=portfolio["ann_c"], as_of=TODAY)}
    # current 300 (due in 10 days), 1-30: 200 (5 days), 31-60: 1000 (45 days); credit notes are not aged
    assert rows["EUR"].buckets == [Decimal("300"), Decimal("200"), Decimal("1000"), 0, 0, 0]
    assert rows["EUR"].total == Decimal("1500")
    assert rows["USD"].buckets == [0, 0, 0, 0, 0, Decimal("70")]


@pytest.mark.parametrize(("days_late", "bucket"), [(0, 0), (1, 1), (30, 1), (31, 2), (60, 2), (61, 3), (90, 3), (91, 4), (120, 4), (121, 5)])
def test_aging_bucket_edges(people, days_late, bucket):
    customer = CustomerFactory(collector=people["bob"])
    overdue_invoice(customer, days_late=days_late, amount="10.00")
    (row,) = customer_aging(customer=customer, as_of=TODAY)
    assert [i for i, amount in enumerate(row.buckets) if amount] == [bucket]


def test_aging_section_is_on_the_page(client, portfolio):
    login(client, portfolio["ann"])
    aging = section(client.get(url(portfolio["ann_c"])).content.decode(), "customer-aging")
    assert "120+" in aging
    assert "1,500.00" in aging


@pytest.mark.parametrize("who", ["ann", "lead"])
def test_other_collectors_customer_is_not_found(client, portfolio, who):
    login(client, portfolio[who])
    bob_c = portfolio["bob_c"]
    assert client.get(url(bob_c)).status_code == 404
    assert client.get(f"/customers/{bob_c.pk}/tabs/payments/", headers={"HX-Request": "true"}).status_code == 404
    assert client.post(f"/customers/{bob_c.pk}/flags/", {"paused": "on"}).status_code == 404
    bob_c.refresh_from_db()
    assert bob_c.paused is False


def test_missing_customer_is_not_found(client, portfolio):
    login(client, portfolio["head"])
    assert client.get("/customers/999999/").status_code == 404


def test_open_items_tab_lists_only_unsettled_documents(client, portfolio):
    login(client, portfolio["ann"])
    html = client.get(url(portfolio["ann_c"])).content.decode()
    panel = html[html.index('id="tab-panel"') :]
    assert "INV-A1" in panel
    assert "CN-A1" in panel
    assert "INV-A5" not in panel  # paid


def test_all_documents_tab_includes_paid_ones(client, portfolio):
    login(client, portfolio["ann"])
    response = client.get(f"/customers/{portfolio['ann_c'].pk}/tabs/documents/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "INV-A5" in html
    assert 'aria-selected="true"' in html[html.index('id="tab-documents"') - 60 : html.index('id="tab-documents"') + 120]


def test_tab_url_without_htmx_redirects_to_the_full_page(client, portfolio):
    login(client, portfolio["ann"])
    response = client.get(f"/customers/{portfolio['ann_c'].pk}/tabs/payments/")
    assert response.status_code == 302
    assert response["Location"] == url(portfolio["ann_c"], "payments")


def test_unknown_tab_is_not_found(client, portfolio):
    login(client, portfolio["ann"])
    assert client.get(f"/customers/{portfolio['ann_c'].pk}/tabs/secrets/", headers={"HX-Request": "true"}).status_code == 404


def test_payments_tab_shows_allocations(client, portfolio):
    payment = PaymentFactory(customer=portfolio["ann_c"], external_id="PAY-9", amount=Decimal("150.00"), unapplied_amount=Decimal("150.00"))
    payment_allocate(payment=payment, allocations=[(portfolio["a_late"], Decimal("100.00"))], date=TODAY)
    login(client, portfolio["ann"])
    html = client.get(url(portfolio["ann_c"], "payments")).content.decode()
    panel = html[html.index('id="tab-panel"') :]
    assert "PAY-9" in panel
    assert "INV-A1</a> <span class=\"num\">100.00</span>" in panel
    assert "50.00" in panel  # still unapplied


def test_contacts_tab_shows_consent_per_channel(client, portfolio):
    contact = ContactFactory(customer=portfolio["ann_c"], name="Carla Payable", phone="+4930123456")
    ChannelConsent.objects.create(contact=contact, channel="sms", status="opted_out", source="reply STOP")
    ChannelConsent.objects.create(contact=contact, channel="email", status="granted")
    login(client, portfolio["ann"])
    html = client.get(url(portfolio["ann_c"], "contacts")).content.decode()
    panel = re.sub(r"\s+", " ", html[html.index('id="tab-panel"') :])
    assert "Carla Payable" in panel
    assert re.search(r"SMS</th> <td><span class=\"badge consent-opted_out\">Opted out", panel)
    assert re.search(r"Email</th> <td><span class=\"badge consent-granted\">Granted", panel)
    assert re.search(r"Letter</th> <td><span class=\"badge consent-unknown\">Not recorded", panel)
    assert "reply STOP" in panel


def test_audit_tab_shows_who_changed_what(client, portfolio):
    with acting_as(portfolio["ann"]):
        customer_update(customer=portfolio["ann_c"], payment_terms_days=45)
    audit_record(action="note", object_type="other", customer_id=portfolio["bob_c"].pk, note="not Ann's")
    login(client, portfolio["ann"])
    html = client.get(url(portfolio["ann_c"], "audit")).content.decode()
    panel = re.sub(r"\s+", " ", html[html.index('id="tab-panel"') :])
    assert "<td>ann</td>" in panel
    assert "payment_terms_days</dt><dd><span class=\"before\">30</span> → <span class=\"after\">45</span>" in panel
    assert "not Ann" not in panel


def test_flags_form_saves_through_the_service_and_is_audited(client, portfolio):
    login(client, portfolio["ann"])
    response = client.post(f"/customers/{portfolio['ann_c'].pk}/flags/", {"paused": "on", "bankruptcy": "on"})
    assert response.status_code == 302
    customer = Customer.objects.get(pk=portfolio["ann_c"].pk)
    assert (customer.paused, customer.bankruptcy, customer.cease_communication) == (True, True, False)
    event = AuditEvent.objects.get(customer_id=customer.pk, action="update")
    assert event.actor == portfolio["ann"]
    assert event.after == {"bankruptcy": True, "paused": True}


def test_auditor_reads_every_customer_but_sees_no_write_buttons(client, portfolio):
    login(client, portfolio["auditor"])
    html = client.get(url(portfolio["bob_c"])).content.decode()
    assert 'id="customer-header"' in html
    assert "customer-flags" not in html
    assert "Save flags" not in html
    assert 'method="post" action="/customers/' not in html
    assert "Edit in admin" not in html


def test_auditor_cannot_post_flags(client, portfolio):
    login(client, portfolio["auditor"])
    response = client.post(f"/customers/{portfolio['bob_c'].pk}/flags/", {"paused": "on"})
    assert response.status_code == 403
    portfolio["bob_c"].refresh_from_db()
    assert portfolio["bob_c"].paused is False


def test_customer_page_query_count_is_flat(client, portfolio, django_assert_max_num_queries):
    customer = portfolio["ann_c"]
    for i in range(30):
        DocumentFactory(customer=customer, amount=Decimal("10"), open_amount=Decimal("10"), issue_date=dt.date(2026, 1, 1) + dt.timedelta(days=i))
    for _ in range(5):
        p = PaymentFactory(customer=customer, amount=Decimal("4"), unapplied_amount=Decimal("4"))
        payment_allocate(payment=p, date=TODAY)
    assert Allocation.objects.count() >= 5
    login(client, portfolio["ann"])
    # session, user, customer, balances, unapplied cash, aging, open items page
    with django_assert_max_num_queries(7):
        assert client.get(url(customer)).status_code == 200
    # payments tab: session, user, customer, payments page, their allocations with documents
    with django_assert_max_num_queries(5):
        client.get(f"/customers/{customer.pk}/tabs/payments/", headers={"HX-Request": "true"})
    with django_assert_max_num_queries(5):
        client.get(f"/customers/{customer.pk}/tabs/contacts/", headers={"HX-Request": "true"})
