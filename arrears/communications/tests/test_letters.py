"""Letters: a PDF for a window envelope, and one print file per run with every letter in it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from arrears.communications.models import LetterBatch, MessageStatus
from arrears.communications.services import letter_batch_print, message_queue
from arrears.communications.services.letters import letter_batch_path, letter_html_for
from arrears.communications.services.pdf import pdf_from_html
from arrears.communications.tests.conftest import AS_OF, NOW
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode().replace("\xa0", " ")


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


def test_a_letter_shows_the_address_in_the_window_the_items_and_the_total(de_customer, screenshot_dir, tmp_path):
    message = message_queue(customer=de_customer, channel="letter", step_key="reminder_2", as_of=AS_OF,
                            run_reference="r", now=NOW)
    pdf = pdf_from_html(letter_html_for(message))

    text = _text(pdf)
    assert "Müller Maschinenbau GmbH" in text
    assert "Industriestraße 5" in text
    assert "80331 München" in text
    assert "2. Mahnung" in text
    assert "RE-2026-0001" in text
    assert "1.234,56 €" in text
    assert "Seite 1 von 1" in text
    # The address sits in the window: crop the DIN 5008 window area (20 mm, 45 mm, 85 x 45 mm) at 72 dpi.
    mm = 72 / 25.4
    window = subprocess.run(
        ["pdftotext", "-x", str(int(20 * mm)), "-y", str(int(45 * mm)), "-W", str(int(85 * mm)), "-H",
         str(int(45 * mm)), "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Müller Maschinenbau GmbH" in window
    assert "80331 München" in window
    assert "Mahnung" not in window
    # A PNG for a person to look at.
    (tmp_path / "letter.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(tmp_path / "letter.pdf"),
                    str(screenshot_dir / "communications-letter")], check=True)
    assert (screenshot_dir / "communications-letter.png").stat().st_size > 5000


def test_one_print_file_holds_every_letter_of_the_run(de_customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customers = [de_customer]
    for i in range(2):
        customer = CustomerFactory(business_unit=de_customer.business_unit, name=f"Kunde {i}", language="de",
                                   country="DE", jurisdiction="eu_b2b")
        ContactFactory(customer=customer, name=f"Kontakt {i}", address_line1=f"Weg {i}", postal_code="10115",
                       city="Berlin", country="DE")
        DocumentFactory(customer=customer, external_id=f"RE-X-{i}")
        customers.append(customer)
    messages = [message_queue(customer=c, channel="letter", step_key="final_notice", as_of=AS_OF,
                              run_reference="run-7", now=NOW) for c in customers]

    result = letter_batch_print(run_reference="run-7", now=NOW)

    batch = result["batch"]
    assert result["printed"] == 3
    assert batch.letter_count == 3
    path = letter_batch_path(batch)
    assert _pages(path) == batch.page_count == 3
    text = _text(path.read_bytes())
    assert all(c.name in text for c in customers)
    assert text.count("Seite 1 von 1") == 3
    for message in messages:
        message.refresh_from_db()
        assert message.status == MessageStatus.SENT
        assert message.letter_batch == batch
    # Printing again finds nothing queued: no second print file.
    assert letter_batch_print(run_reference="run-7", now=NOW)["batch"] is None
    assert LetterBatch.objects.count() == 1


def test_a_blocked_letter_stays_out_of_the_print_file(de_customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    de_customer.cease_communication = True
    de_customer.save(update_fields=["cease_communication"])
    message = message_queue(customer=de_customer, channel="letter", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r", now=NOW)
    result = letter_batch_print(run_reference="r", now=NOW)
    message.refresh_from_db()
    assert result["batch"] is None
    assert result["blocked"] == 1
    assert message.status == MessageStatus.BLOCKED
