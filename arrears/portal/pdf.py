"""PDF copies for the customer: one document (invoice copy) and the statement of open items (WeasyPrint)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string


def pdf_render(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported late: it is heavy and only the PDF views need it

    return HTML(string=render_to_string(template, context)).write_pdf()
