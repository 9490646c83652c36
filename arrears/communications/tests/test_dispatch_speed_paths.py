"""The batched paths of the night's dispatch: one render for the print file, a fetcher that serves only
our own files, one compliance gate call for all letters, a fixed number of queries per print run."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.communications.models import MessageStatus, OutboundMessage
from arrears.communications.services import letter_batch_print, message_queue
from arrears.communications.services import letters as letters_module
from arrears.communications.services.letters import letter_batch_path
from arrears.communications.services.pdf import (
    LocalResourceFetcher,
    ResourceRefused,
    letter_html,
    letter_part,
    letters_pdf,
    pdf_concatenate,
    pdf_from_html,
    url_fetcher,
)
from arrears.communications.tests.conftest import AS_OF, NOW
from arrears.compliance.models import ComplianceDecision, ContactAttempt
from arrears.compliance.services import compliance_gate
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory

SENDER = {"letterhead": "Acme GmbH\nHauptstraße 1\n10115 Berlin", "return_address": "Acme GmbH · Hauptstraße 1",
          "from_name": "Acme GmbH"}


def _page_texts(pdf: bytes) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return text.decode().replace("\xa0", " ").split("\f")[:-1]


def _letter(i: int, paragraphs: int, language: str) -> dict:
    body = "".join(f"<p>Absatz {j} des Briefs {i}: " + "offene Posten bitte begleichen " * 9 + "</p>"
                   for j in range(paragraphs))
    return {"customer": {"name": f"Kunde {i}", "number": f"K-{i}"},
            "contact": {"name": f"Kontakt {i}", "address_lines": [f"Weg {i}", "10115 Berlin", "DE"]},
            "sender": SENDER, "subject": f"Mahnung {i}", "body_html": body, "language": language,
            "country": "DE" if language == "de" else "GB", "date": dt.date(2026, 3, 17)}


def test_one_render_of_the_batch_gives_the_pages_of_rendering_each_letter_on_its_own():
    # one-page and multi-page letters, German and English, in an order that mixes them
    specs = [(0, 2, "de"), (1, 35, "de"), (2, 3, "en"), (3, 80, "en"), (4, 1, "de"), (5, 35, "en")]
    letters = [_letter(*spec) for spec in specs]

    reference, reference_pages = pdf_concatenate([letter_html(**kw) for kw in letters])
    batch, counts = letters_pdf([letter_part(**kw) for kw in letters])

    assert counts[0] == counts[2] == counts[4] == 1
    assert counts[1] > 1
    assert counts[3] > counts[1]
    assert counts[5] > 1
    assert sum(counts) == reference_pages
    assert _page_texts(batch) == _page_texts(reference)
    # each letter numbers its own pages
    pages = _page_texts(batch)
    start = sum(counts[:3])
    assert [("Page" in p and f"of {counts[3]}" in p) for p in pages[start:start + counts[3]]] == [True] * counts[3]
    assert "Seite 1 von 1" in pages[sum(counts[:4])]


def test_a_letter_of_exactly_one_page_keeps_its_footer_in_the_batch():
    part = letter_part(**_letter(9, 1, "de"))
    pdf, counts = letters_pdf([part])
    assert counts == [1]
    assert "Seite 1 von 1" in _page_texts(pdf)[0]
    with pytest.raises(ValueError, match="nothing to print"):
        letters_pdf([])


def test_the_url_fetcher_refuses_remote_urls_and_files_outside_the_static_folders(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    (tmp_path / "secret.txt").write_text("do not print")
    fetcher = LocalResourceFetcher(roots=[static])

    for url in ("https://example.com/logo.png", "http://169.254.169.254/latest/meta-data/", "ftp://example.com/x",
                (tmp_path / "secret.txt").as_uri(), (static / ".." / "secret.txt").as_uri(), "logo.svg"):
        with pytest.raises(ResourceRefused):
            fetcher.fetch(url)
    served = fetcher.fetch((static / "logo.svg").as_uri())
    assert served.read().startswith(b"<svg")
    assert served.content_type == "image/svg+xml"
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_the_default_fetcher_serves_the_apps_static_files():
    css = Path(__file__).resolve().parents[2] / "web" / "static" / "web" / "app.css"
    assert url_fetcher().fetch(css.as_uri()).read() == css.read_bytes()


def test_a_pdf_naming_a_remote_image_is_made_without_opening_a_socket(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the PDF renderer opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    html = ('<html><body><p>Hello</p><img src="https://tracker.example/pixel.png">'
            '<link rel="stylesheet" href="http://example.com/x.css"></body></html>')
    pdf = pdf_from_html(html)
    assert "Hello" in _page_texts(pdf)[0]


def _customers(unit, n: int) -> list:
    customers = []
    for i in range(n):
        customer = CustomerFactory(business_unit=unit, name=f"Kunde {i:02d}", language="de", country="DE",
                                   jurisdiction="eu_b2b")
        ContactFactory(customer=customer, name=f"Kontakt {i}", address_line1=f"Weg {i}", postal_code="10115",
                       city="Berlin", country="DE")
        DocumentFactory(customer=customer, external_id=f"RE-{i}")
        customers.append(customer)
    return customers


@pytest.mark.django_db
def test_letters_are_gated_in_one_call_with_the_decisions_of_one_call_each(de_customer, settings, tmp_path,
                                                                             monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    customers = [de_customer, *_customers(de_customer.business_unit, 3)]
    customers[2].cease_communication = True
    customers[2].save(update_fields=["cease_communication"])
    messages = [message_queue(customer=c, channel="letter", step_key="reminder_1", as_of=AS_OF, run_reference="g",
                              now=NOW) for c in customers]
    expected = {m.pk: compliance_gate(customer=m.customer, channel="letter", when=NOW, contact=m.contact,
                                      debt_ids=list(m.debt_ids) or None, content_flags=m.content_flags,
                                      source="outbox letter", record=False) for m in messages}
    calls = []
    real = letters_module.compliance_gate_many

    def counting(**kwargs):
        calls.append(len(kwargs["items"]))
        return real(**kwargs)

    monkeypatch.setattr(letters_module, "compliance_gate_many", counting)

    result = letter_batch_print(run_reference="g", now=NOW)

    assert calls == [4]
    assert (result["printed"], result["blocked"]) == (3, 1)
    for message in messages:
        message.refresh_from_db()
        recorded = ComplianceDecision.objects.get(customer=message.customer, channel="letter")
        assert (recorded.allowed, recorded.outcome, recorded.reasons) == (
            expected[message.pk].allowed, expected[message.pk].outcome, expected[message.pk].reasons)
        assert message.decision_id == recorded.pk
        assert message.status == (MessageStatus.BLOCKED if message.customer == customers[2] else MessageStatus.SENT)


@pytest.mark.django_db
def test_a_letter_the_batched_gate_refuses_fails_alone(de_customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customers = [de_customer, *_customers(de_customer.business_unit, 2)]
    messages = [message_queue(customer=c, channel="letter", step_key="reminder_1", as_of=AS_OF, run_reference="f",
                              now=NOW) for c in customers]
    stranger = DocumentFactory(customer=customers[2])
    bad = messages[1]
    OutboundMessage.objects.filter(pk=bad.pk).update(debt_ids=[stranger.pk])  # a document of another customer

    result = letter_batch_print(run_reference="f", now=NOW)

    assert (result["printed"], result["failed"]) == (2, 1)
    bad.refresh_from_db()
    assert bad.status == MessageStatus.FAILED
    assert "compliance gate refused the input" in bad.last_error
    assert str(stranger.pk) in bad.last_error
    assert result["batch"].letter_count == 2


@pytest.mark.django_db
def test_printing_takes_the_same_number_of_queries_for_three_letters_as_for_nine(de_customer, settings, tmp_path,
                                                                                  monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(letters_module, "letters_pdf", lambda parts: (b"%PDF-1.7 test", [1] * len(parts)))
    customers = _customers(de_customer.business_unit, 12)
    for c in customers[:3]:
        message_queue(customer=c, channel="letter", step_key="reminder_1", as_of=AS_OF, run_reference="q3", now=NOW)
    for c in customers[3:]:
        message_queue(customer=c, channel="letter", step_key="reminder_1", as_of=AS_OF, run_reference="q9", now=NOW)

    with CaptureQueriesContext(connection) as three:
        assert letter_batch_print(run_reference="q3", now=NOW)["printed"] == 3
    with CaptureQueriesContext(connection) as nine:
        assert letter_batch_print(run_reference="q9", now=NOW)["printed"] == 9

    assert len(nine) == len(three) < 40
    # one contact attempt per letter, linked to the letter's decision; printing again adds none
    attempts = ContactAttempt.objects.filter(channel="letter", source="outbox")
    assert attempts.count() == 12
    for message in OutboundMessage.objects.filter(channel="letter"):
        attempt = attempts.get(reference=f"outbox:{message.pk}")
        assert attempt.decision_id == message.decision_id
        assert attempt.customer_id == message.customer_id
        assert attempt.contact_id == message.contact_id
        assert attempt.outcome == "attempted"
        assert message.status == MessageStatus.SENT
        assert message.lease_until is None
    assert letter_batch_print(run_reference="q9", now=NOW)["batch"] is None
    assert attempts.count() == 12


@pytest.mark.django_db
def test_the_print_file_of_a_run_reads_back_like_the_letters_rendered_one_by_one(de_customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customers = [de_customer, *_customers(de_customer.business_unit, 3)]
    for i in range(30):  # a long statement: a letter over more than one page
        DocumentFactory(customer=customers[1], external_id=f"RE-LONG-{i:02d}")
    messages = [message_queue(customer=c, channel="letter", step_key="reminder_2", as_of=AS_OF, run_reference="p",
                              now=NOW) for c in customers]
    ordered = sorted(messages, key=lambda m: (m.customer.name, m.pk))
    reference, reference_pages = pdf_concatenate([letters_module.letter_html_for(m) for m in ordered])

    batch = letter_batch_print(run_reference="p", now=NOW)["batch"]

    pdf = letter_batch_path(batch).read_bytes()
    assert batch.page_count == reference_pages > len(messages)
    assert _page_texts(pdf) == _page_texts(reference)
