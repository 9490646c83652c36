"""Upload rules shared by the web page and the API: which files, how large."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings

ALLOWED_SUFFIXES = (".csv", ".xlsx")
DEFAULT_LIMIT_MB = 100


def upload_limit_bytes() -> int:
    return int(getattr(settings, "ARREARS_IMPORT_MAX_UPLOAD_MB", DEFAULT_LIMIT_MB)) * 1024 * 1024


def upload_problem(name: str, size: int, *, limit: int) -> str | None:
    """Why this upload is refused, or None."""
    if PurePath(name).suffix.lower() not in ALLOWED_SUFFIXES:
        return f"{name!r}: only .csv and .xlsx files can be imported"
    if size > limit:
        return f"{name!r} is {size / 1e6:.1f} MB; the upload limit is {limit / 1e6:.0f} MB"
    return None
