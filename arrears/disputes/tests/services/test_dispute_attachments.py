"""Attachments are stored under MEDIA_ROOT after their size, extension and first bytes are checked."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from arrears.disputes.errors import DisputeError, DisputeErrorCode
from arrears.disputes.models import DisputeAttachment
from arrears.disputes.services import dispute_attachment_add

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_pdf_is_stored_under_media_root_with_its_checksum(open_dispute, collector, media):
    dispute = open_dispute()
    attachment = dispute_attachment_add(
        dispute=dispute, upload=SimpleUploadedFile("../../Delivery note.PDF", PDF), uploaded_by=collector
    )
    assert (attachment.original_name, attachment.content_type, attachment.size) == ("Delivery note.PDF", "application/pdf", len(PDF))
    stored = media / attachment.file.name
    assert stored.read_bytes() == PDF
    assert attachment.file.name.startswith(f"disputes/{dispute.pk}/")
    assert stored.resolve().is_relative_to(media.resolve())


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("invoice.exe", b"MZ\x90\x00", DisputeErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED),
        ("invoice.pdf", b"MZ\x90\x00 not a pdf", DisputeErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED),
        ("notes.txt", b"\xff\xfe\x00bad", DisputeErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED),
        ("empty.pdf", b"", DisputeErrorCode.ATTACHMENT_EMPTY),
    ],
)
def test_files_of_the_wrong_type_or_empty_are_refused(open_dispute, name, content, code):
    with pytest.raises(DisputeError) as err:
        dispute_attachment_add(dispute=open_dispute(), upload=SimpleUploadedFile(name, content))
    assert err.value.code == code
    assert not DisputeAttachment.objects.exists()


def test_a_file_over_the_size_limit_is_refused(open_dispute, settings):
    settings.ARREARS_DISPUTE_ATTACHMENT_MAX_BYTES = 32
    with pytest.raises(DisputeError) as err:
        dispute_attachment_add(dispute=open_dispute(), upload=SimpleUploadedFile("big.pdf", PDF + b"x" * 32))
    assert err.value.code == DisputeErrorCode.ATTACHMENT_TOO_LARGE
