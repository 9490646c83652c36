"""SEPA direct debit: a mandate signed in the portal, the pain.008 file for the collections due, settlement."""

import datetime as dt
import json
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from django.core.management import CommandError, call_command

from arrears.common.clock import today
from arrears.ledger.models import Payment
from arrears.portal.models import IntentStatus, Mandate, PaymentIntent
from arrears.portal.services.payments import direct_debit_intent_create, mandate_create
from arrears.portal.services.sepa import direct_debit_settle

pytestmark = pytest.mark.django_db
D = Decimal
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


def _export(tmp_path, capsys, day=None):
    out = tmp_path / "dd.xml"
    call_command("sepa", "export", "--collection-date", (day or today() + dt.timedelta(days=5)).isoformat(),
                 "--output", str(out), "--json")
    return json.loads(capsys.readouterr().out), out


def test_a_mandate_signed_in_the_portal_makes_a_collection_request(alice_portal, alice):
    customer, docs = alice
    response = alice_portal.post("/portal/pay/mandate/", {
        "documents": [docs[0].pk, docs[2].pk], "debtor_name": "Alpha Handel GmbH",
        "iban": "DE02 1203 0000 0000 2020 51", "accept": "on", "idempotency_key": "m-1"})
    assert response.status_code == 302
    mandate = Mandate.objects.get(customer=customer)
    assert mandate.iban == "DE02120300000000202051"
    assert mandate.bic == "BYLADEM1001"
    assert mandate.signature_date == today()
    assert mandate.mandate_id.startswith(f"ARR-{customer.pk}-")
    intent = PaymentIntent.objects.get(mandate=mandate)
    assert intent.amount == D("1280.50")
    assert intent.status == IntentStatus.PENDING


def test_the_mandate_needs_the_authorisation_ticked(alice_portal, alice):
    response = alice_portal.post("/portal/pay/mandate/", {
        "documents": [alice[1][0].pk], "debtor_name": "A", "iban": "DE02120300000000202051", "idempotency_key": "m"})
    assert response.status_code == 400
    assert not Mandate.objects.exists()


def test_the_pain008_file_parses_back_with_the_amounts_and_mandate_ids(alice, bob, tmp_path, capsys):
    (a, a_docs), (b, b_docs) = alice, bob
    ma = mandate_create(customer=a, debtor_name="Alpha Handel GmbH", iban="DE02120300000000202051")
    mb = mandate_create(customer=b, debtor_name="Beta Bau AG", iban="DE89370400440532013000")
    direct_debit_intent_create(customer=a, documents=a_docs[:2], mandate=ma, idempotency_key="a")
    direct_debit_intent_create(customer=b, documents=b_docs, mandate=mb, idempotency_key="b")
    summary, out = _export(tmp_path, capsys)
    assert summary["transactions"] == 2
    assert summary["total"] == "2499.00"
    root = ET.parse(out).getroot()
    header = root.find("p:CstmrDrctDbtInitn/p:GrpHdr", NS)
    assert header.find("p:NbOfTxs", NS).text == "2"
    assert header.find("p:CtrlSum", NS).text == "2499.00"
    assert root.find(".//p:CdtrSchmeId//p:Othr/p:Id", NS).text == "DE98ZZZ09999999999"
    rows = {
        tx.find("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", NS).text: (
            tx.find("p:InstdAmt", NS).text, tx.find("p:InstdAmt", NS).get("Ccy"),
            tx.find("p:DbtrAcct/p:Id/p:IBAN", NS).text)
        for tx in root.iter(f"{{{NS['p']}}}DrctDbtTxInf")
    }
    assert rows == {ma.mandate_id: ("1500.00", "EUR", "DE02120300000000202051"),
                    mb.mandate_id: ("999.00", "EUR", "DE89370400440532013000")}
    assert {el.text for el in root.iter(f"{{{NS['p']}}}SeqTp")} == {"FRST"}
    assert set(PaymentIntent.objects.values_list("status", flat=True)) == {IntentStatus.SUBMITTED}
    # Nothing is collected twice: a second export finds nothing due.
    again, _out2 = _export(tmp_path, capsys)
    assert again["transactions"] == 0
    assert again["output"] is None


def test_later_collections_under_a_mandate_are_recurring(alice, tmp_path, capsys):
    customer, docs = alice
    mandate = mandate_create(customer=customer, debtor_name="Alpha", iban="DE02120300000000202051")
    direct_debit_intent_create(customer=customer, documents=docs[:1], mandate=mandate, idempotency_key="1")
    _export(tmp_path, capsys)
    direct_debit_intent_create(customer=customer, documents=docs[1:2], mandate=mandate, idempotency_key="2")
    summary, _out = _export(tmp_path, capsys)
    assert [t["sequence"] for t in summary["items"]] == ["RCUR"]


def test_collect_when_due_mandates_pick_up_documents_falling_due(alice, tmp_path, capsys):
    customer, _docs = alice
    mandate_create(customer=customer, debtor_name="Alpha", iban="DE02120300000000202051", collect_when_due=True)
    summary, _out = _export(tmp_path, capsys)
    assert summary["transactions"] == 1
    assert summary["total"] == "1580.50"


def test_a_settled_direct_debit_is_posted_once(alice, tmp_path, capsys):
    customer, docs = alice
    mandate = mandate_create(customer=customer, debtor_name="Alpha", iban="DE02120300000000202051")
    intent = direct_debit_intent_create(customer=customer, documents=docs[:1], mandate=mandate, idempotency_key="1")
    _export(tmp_path, capsys)
    intent.refresh_from_db()
    first = direct_debit_settle(intent=intent, received_date=today())
    intent.refresh_from_db()
    assert first is not None
    assert direct_debit_settle(intent=intent, received_date=today()) is None
    assert Payment.objects.get().amount == D("1200.00")
    docs[0].refresh_from_db()
    assert docs[0].open_amount == 0


def test_a_past_collection_date_is_refused(alice, tmp_path):
    with pytest.raises(CommandError, match="in the past"):
        call_command("sepa", "export", "--collection-date", "2000-01-01", "--output", str(tmp_path / "x.xml"))
    with pytest.raises(CommandError, match="not a date"):
        call_command("sepa", "export", "--collection-date", "soon", "--output", str(tmp_path / "x.xml"))
