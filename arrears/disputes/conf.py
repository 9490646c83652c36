"""Tunable rules for disputes: defaults here, overridable in Django settings (read at call time).

| Setting                               | Default              | Meaning                                        |
|---------------------------------------|----------------------|------------------------------------------------|
| ARREARS_DISPUTE_SLA_DAYS              | SLA_DAYS below       | calendar days to resolve, per reason code       |
| ARREARS_DISPUTE_ATTACHMENT_MAX_BYTES  | 10 MiB               | largest attachment accepted                     |
| ARREARS_DISPUTE_ATTACHMENT_TYPES      | ATTACHMENT_TYPES     | extension -> (content type, magic-bytes prefixes) |
"""

from __future__ import annotations

from django.conf import settings

from arrears.disputes.models import DisputeReason

SLA_DAYS: dict[str, int] = {
    DisputeReason.PRICING: 10,
    DisputeReason.QUANTITY: 10,
    DisputeReason.QUALITY: 15,
    DisputeReason.NOT_RECEIVED: 7,
    DisputeReason.DUPLICATE: 5,
    DisputeReason.ALREADY_PAID: 5,
    DisputeReason.OTHER: 14,
}

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024

# Extension -> (content type stored, accepted leading bytes; empty = text, must decode as UTF-8).
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".txt": ("text/plain", ()),
    ".csv": ("text/csv", ()),
    ".eml": ("message/rfc822", ()),
}


def sla_days(reason: str) -> int:
    table = {**SLA_DAYS, **getattr(settings, "ARREARS_DISPUTE_SLA_DAYS", {})}
    return int(table.get(reason, table[DisputeReason.OTHER]))


def attachment_max_bytes() -> int:
    return int(getattr(settings, "ARREARS_DISPUTE_ATTACHMENT_MAX_BYTES", ATTACHMENT_MAX_BYTES))


def attachment_types() -> dict[str, tuple[str, tuple[bytes, ...]]]:
    return getattr(settings, "ARREARS_DISPUTE_ATTACHMENT_TYPES", ATTACHMENT_TYPES)
