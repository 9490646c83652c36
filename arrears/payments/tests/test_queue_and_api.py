"""A person clears the queue in a few clicks (pages with htmx, and the API); only the back office may."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from arrears.audit.models import AuditEvent
from arrears.ledger.models import Document, Payment
from arrears.payments.models import CustomerBankAccount, LineStatus, StatementLine
from arrears.payments.services import statement_import
from arrears.payments.tests.builders import Entry, camt053
from arrears.users.models import Team

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.payments.tests.urls")]


@pytest.fixture
def imported(ledger, mixed):
    return statement_import(file_name="mixed.xml", content=camt053([e for e, _ in mixed])).statement


def line_by_ref(ref: str) -> StatementLine:
    return StatementLine.objects.get(bank_reference=ref)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_the_queue_lists_suggested_and_unmatched_lines_with_their_candidates(client, head, imported):
    client.force_login(head)

    page = client.get("/payments/queue/")

    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-line="') == 3  # R11 and R12 suggested, R13 unmatched
    assert "Gamma Inc." in html
    assert "birthday present" in html
    assert "Acme GmbH" in html  # the amount-only suggestion


def test_a_person_matches_a_suggestion_in_two_clicks_with_amounts_prefilled(client, head, imported, ledger):
    client.force_login(head)
    line = line_by_ref("R11")  # fuzzy "Gama Inc", 100.00: Gamma's invoice has 100.00 left

    form = client.get(f"/payments/lines/{line.pk}/match/", HTTP_HX_REQUEST="true")
    gamma_doc = ledger["docs"]["INV-2026-0042"]
    assert f'name="doc_{gamma_doc.pk}" value="100.00"' in form.content.decode()
    confirm = client.post(f"/payments/lines/{line.pk}/match/",
                          {"customer_id": ledger["customers"]["Gamma Inc."].pk, f"doc_{gamma_doc.pk}": "100.00"},
                          HTTP_HX_REQUEST="true")

    assert confirm.status_code == 200
    assert "Matched" in confirm.content.decode()
    line.refresh_from_db()
    assert (line.status, line.match_method, line.matched_by) == (LineStatus.MATCHED, "manual", head)
    assert Document.objects.get(pk=gamma_doc.pk).status == "paid"
    event = AuditEvent.objects.get(action="cash_match", object_id=str(line.pk))
    assert event.actor == head
    assert event.after["allocations"] == [{"document": "INV-2026-0042", "amount": "100.00"}]


def test_an_unknown_payer_is_matched_to_a_customer_typed_in_and_the_iban_is_learned(client, head, imported, ledger):
    client.force_login(head)
    line = line_by_ref("R13")  # 33.33 from an unknown IBAN
    acme = ledger["customers"]["Acme GmbH"]

    form = client.get(f"/payments/lines/{line.pk}/match/?customer={acme.external_id}")
    assert "AC-0001004" in form.content.decode()
    client.post(f"/payments/lines/{line.pk}/match/", {"customer_id": acme.pk, f"doc_{ledger['docs']['AC-0001004'].pk}": "33.33"})

    doc = Document.objects.get(external_id="AC-0001004")
    assert (doc.open_amount, doc.status) == (Decimal("42.17"), "partially_paid")
    assert CustomerBankAccount.objects.filter(customer=acme, iban=line.counterparty_iban).exists()


def test_allocating_more_than_the_line_is_refused_and_nothing_is_posted(client, head, imported, ledger):
    client.force_login(head)
    line = line_by_ref("R13")
    acme = ledger["customers"]["Acme GmbH"]
    payments = Payment.objects.count()

    response = client.post(f"/payments/lines/{line.pk}/match/",
                           {"customer_id": acme.pk, f"doc_{ledger['docs']['AC-0001004'].pk}": "75.50"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert "exceeds the line" in response.content.decode()
    assert Payment.objects.count() == payments
    line.refresh_from_db()
    assert line.status == LineStatus.UNMATCHED


def test_ignoring_a_line_takes_it_off_the_queue_and_is_audited(client, head, imported):
    client.force_login(head)
    line = line_by_ref("R13")

    response = client.post(f"/payments/lines/{line.pk}/ignore/", {"reason": "private transfer"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    line.refresh_from_db()
    assert (line.status, line.ignore_reason) == (LineStatus.IGNORED, "private transfer")
    assert AuditEvent.objects.filter(action="cash_ignore", object_id=str(line.pk), actor=head).exists()
    assert f'data-line="{line.pk}"' not in client.get("/payments/queue/").content.decode()


def test_collectors_may_not_see_or_use_the_queue_and_auditors_only_look(client, make_user, imported):
    line = line_by_ref("R13")
    client.force_login(make_user("cora", role="collector"))
    assert client.get("/payments/queue/").status_code == 403
    assert client.get(f"/payments/statements/{imported.pk}/").status_code == 403
    client.force_login(make_user("otto", role="auditor"))
    assert client.get("/payments/queue/").status_code == 200
    assert client.post(f"/payments/lines/{line.pk}/ignore/").status_code == 403


def test_a_lead_matches_only_to_customers_of_the_team(client, lead, make_user, imported, ledger):
    member = make_user("mia", role="collector", team=Team.objects.create(name="North", lead=lead))
    acme, beta = ledger["customers"]["Acme GmbH"], ledger["customers"]["Beta Ltd"]
    acme.collector = member
    acme.save(update_fields=["collector"])
    line = line_by_ref("R13")
    client.force_login(lead)

    refused = client.post(f"/payments/lines/{line.pk}/match/", {"customer_id": beta.pk})
    allowed = client.post(f"/payments/lines/{line.pk}/match/", {"customer_id": acme.pk})

    assert refused.status_code == 404
    assert allowed.status_code == 302
    line.refresh_from_db()
    assert line.matched_customer == acme
    assert line.payment.unapplied_amount == Decimal("33.33")  # nothing ticked: all on account


def test_the_statement_page_shows_the_match_rate_report(client, head, imported):
    client.force_login(head)

    html = client.get(f"/payments/statements/{imported.pk}/").content.decode()

    assert "data-match-rate>77%" in html
    assert "3680.00 EUR" in html


def test_uploading_a_file_on_the_statements_page_imports_it(client, head, ledger):
    client.force_login(head)
    upload = SimpleUploadedFile("s.xml", camt053([Entry("100.00", "AC-0001001", bank_ref="U1")]))

    response = client.post("/payments/statements/", {"file": upload})

    assert response.status_code == 302
    assert Document.objects.get(external_id="AC-0001001").status == "paid"
    bad = client.post("/payments/statements/", {"file": SimpleUploadedFile("s.xml", b"<Document/>")})
    assert "not camt.053" in bad.content.decode()


# ------------------------------------------------------------------------------------------ API


def test_the_api_uploads_lists_and_reports(head, ledger, mixed):
    client = api(head)

    created = client.post("/api/statements/", {"file": SimpleUploadedFile("m.xml", camt053([e for e, _ in mixed]))},
                          format="multipart")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["report"]["auto_matched"] == 10
    statement_id = body["statement"]["id"]
    detail = client.get(f"/api/statements/{statement_id}/").json()
    assert detail["counts"]["suggested"] == 2
    lines = client.get(f"/api/statement-lines/?statement={statement_id}&status=unmatched").json()
    assert [row["bank_reference"] for row in lines["results"]] == ["R13"]
    again = client.post("/api/statements/", {"file": SimpleUploadedFile("m.xml", camt053([e for e, _ in mixed]))},
                        format="multipart")
    assert (again.status_code, again.json()["code"]) == (400, "duplicate_file")


def test_the_api_matches_with_explicit_amounts_and_ignores(head, imported, ledger):
    client = api(head)
    line = line_by_ref("R12")  # 75.50, amount-only suggestion for AC-0001004
    doc = ledger["docs"]["AC-0001004"]

    matched = client.post(f"/api/statement-lines/{line.pk}/match/",
                          {"customer": ledger["customers"]["Acme GmbH"].pk, "allocations": [{"document": doc.pk, "amount": "75.50"}]},
                          format="json")
    twice = client.post(f"/api/statement-lines/{line.pk}/match/", {"customer": ledger["customers"]["Acme GmbH"].pk}, format="json")
    ignored = client.post(f"/api/statement-lines/{line_by_ref('R13').pk}/ignore/", {"reason": "refund"}, format="json")

    assert matched.status_code == 200, matched.json()
    assert matched.json()["status"] == "matched"
    assert Document.objects.get(pk=doc.pk).status == "paid"
    assert (twice.status_code, twice.json()["code"]) == (400, "line_not_open")
    assert ignored.json()["status"] == "ignored"


def test_the_api_refuses_collectors_and_auditor_writes(make_user, imported):
    line = line_by_ref("R13")
    assert api(make_user("cora", role="collector")).get("/api/statements/").status_code == 403
    auditor = api(make_user("otto", role="auditor"))
    assert auditor.get("/api/statement-lines/").status_code == 200
    assert auditor.post(f"/api/statement-lines/{line.pk}/ignore/", {}, format="json").status_code == 403


def test_the_payments_schema_generates_without_warnings_and_validates():
    patterns = [path("api/", include("arrears.payments.api_urls")), path("api/", include("arrears.ledger.urls"))]
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    assert warnings == {}
    validate_schema(schema)
    assert "/api/statement-lines/{id}/match/" in schema["paths"]
