import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from arrears.imports.models import ImportRun
from arrears.imports.tests.conftest import ledger_counts, native_csv
from arrears.ledger.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ARREARS_IMPORT_ERRORS_ON_SCREEN = 5
    return settings.MEDIA_ROOT


@pytest.fixture
def lead_client(client, make_user):
    client.force_login(make_user("lena", role="lead"))
    return client


def post_file(client, data: bytes, name: str = "documents.csv"):
    return client.post("/imports/", {"file": SimpleUploadedFile(name, data), "profile": "arrears-documents",
                                     "business_unit": "ACME-DE"})


def test_upload_preview_then_confirm_imports_the_file(unit, media, lead_client):
    page = lead_client.get("/imports/")
    assert page.status_code == 200
    assert b"ibm-late-payment" in page.content

    preview = post_file(lead_client, native_csv())

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "import-mapping" in html
    assert "document_id" in html
    assert "document.external_id" in html
    assert "INV-1" in html
    assert "Acme GmbH" in html
    assert "import-confirm" in html
    assert Document.objects.count() == 0
    run = ImportRun.objects.get()
    assert run.dry_run
    assert (media / run.stored_file).is_file()

    done = lead_client.post(f"/imports/runs/{run.pk}/confirm/", follow=True)

    assert done.status_code == 200
    assert Document.objects.count() == 4
    final = ImportRun.objects.get(dry_run=False)
    assert done.redirect_chain[-1][0] == f"/imports/runs/{final.pk}/"
    assert "import-counts" in done.content.decode()
    assert not (media / run.stored_file).exists()
    assert lead_client.post(f"/imports/runs/{run.pk}/confirm/").status_code == 302  # a preview is used once
    assert Document.objects.count() == 4


def test_rejected_preview_shows_first_errors_and_offers_all_as_csv(unit, media, lead_client):
    rows = [f"C1,X,DE,INV-{i},invoice,2026-01-12,2026-02-11,bad,EUR,,,," for i in range(8)]
    before = ledger_counts()

    preview = post_file(lead_client, native_csv(rows))

    assert preview.status_code == 400
    html = preview.content.decode()
    assert html.count("<code>not_a_number</code>") == 5  # ARREARS_IMPORT_ERRORS_ON_SCREEN
    assert "import-confirm" not in html
    run = ImportRun.objects.get()
    download = lead_client.get(f"/imports/runs/{run.pk}/errors.csv")
    assert download["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(download.content.decode())))
    assert lines[0] == ["row", "column", "code", "message"]
    assert [line[0] for line in lines[1:]] == [str(r) for r in range(2, 10)]
    assert ledger_counts() == before
    assert not list((media / "imports").iterdir())


def test_only_csv_and_xlsx_uploads_are_accepted(unit, media, lead_client):
    response = post_file(lead_client, b"%PDF-1.4", name="invoice.pdf")
    assert response.status_code == 400
    assert "only .csv and .xlsx" in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_upload_size_is_limited(unit, media, lead_client, settings):
    settings.ARREARS_IMPORT_MAX_UPLOAD_MB = 0
    response = post_file(lead_client, native_csv())
    assert response.status_code == 400
    assert "upload limit" in response.content.decode()


def test_collectors_cannot_use_the_import_pages(unit, media, client, make_user):
    client.force_login(make_user("cid", role="collector"))
    assert client.get("/imports/").status_code == 403
    assert post_file(client, native_csv()).status_code == 403


def test_another_user_cannot_confirm_someone_elses_preview(unit, media, lead_client, client, make_user):
    post_file(lead_client, native_csv())
    run = ImportRun.objects.get()
    client.force_login(make_user("hugo", role="head"))
    assert client.post(f"/imports/runs/{run.pk}/confirm/").status_code == 403
    assert Document.objects.count() == 0
