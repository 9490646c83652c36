"""PDFs with WeasyPrint: the open-items statement (email attachment) and letters for window envelopes.

Letter layout (DIN 5008 form B, fits DIN C5/6 = DL and C5 window envelopes, folded in three):
the address field sits 45 mm from the top and 20 mm from the left, 85 x 45 mm, with the return line in
its first 5 mm; fold marks at 105 mm and 210 mm. Page numbers run per letter ("Page 1 of 2") because
each letter is laid out on its own and the print file concatenates the pages.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from arrears.communications.rendering import locale_for, render_part
from arrears.communications.selectors import statement_for_template

_WORDS = {
    "en": {"page": "Page", "of": "of", "statement": "Statement of open items", "as_of": "as of",
           "number": "Invoice", "issued": "Issued", "due": "Due", "overdue": "Days overdue", "open": "Open amount",
           "total": "Total", "customer": "Customer no."},
    "de": {"page": "Seite", "of": "von", "statement": "Kontoauszug offene Posten", "as_of": "Stand",
           "number": "Rechnung", "issued": "Datum", "due": "Fällig", "overdue": "Tage überfällig",
           "open": "Offener Betrag", "total": "Summe", "customer": "Kundennr."},
}

FONT = '"DejaVu Sans", sans-serif'


def _words(language: str) -> dict[str, str]:
    return _WORDS.get((language or "en")[:2], _WORDS["en"])


def _css(words: dict[str, str]) -> str:
    # Margin boxes do not inherit the body font (STACK.md pitfall 15): set it on each of them.
    return f"""
@page {{ size: A4; margin: 20mm 20mm 22mm 20mm;
  @bottom-right {{ content: "{words['page']} " counter(page) " {words['of']} " counter(pages);
                   font-family: {FONT}; font-size: 8pt; color: #555 }} }}
body {{ font-family: {FONT}; font-size: 10pt; line-height: 1.35; margin: 0 }}
.letterhead {{ position: absolute; top: 0; right: 0; width: 75mm; text-align: right; font-size: 9pt;
               white-space: pre-line }}
.window {{ position: absolute; top: 25mm; left: 0; width: 85mm; height: 45mm; overflow: hidden }}
.window .return {{ font-size: 6.5pt; border-bottom: 0.3pt solid #333; height: 5mm; line-height: 5mm;
                   white-space: nowrap; overflow: hidden }}
.window .recipient {{ padding-top: 3mm; font-size: 10pt }}
.meta {{ position: absolute; top: 60mm; right: 0; width: 60mm; text-align: right; font-size: 9pt }}
.fold {{ position: absolute; left: -15mm; width: 5mm; border-top: 0.3pt solid #999 }}
.fold.one {{ top: 85mm }} .fold.two {{ top: 190mm }}
.content {{ padding-top: 82mm }}
h1 {{ font-size: 12pt; margin: 0 0 6mm }}
table.statement {{ border-collapse: collapse; width: 100%; margin: 4mm 0; font-size: 9pt }}
table.statement th, table.statement td {{ border-bottom: 0.4pt solid #bbb; padding: 1.5mm 1mm; text-align: left }}
table.statement .r {{ text-align: right }}
table.statement tfoot th {{ border-top: 0.8pt solid #333 }}
.disclosure {{ font-size: 8pt; color: #333 }}
"""


def _statement_table(statement: dict[str, Any], locale: str, words: dict[str, str]) -> str:
    template = (
        '<table class="statement"><thead><tr><th>{{ w.number }}</th><th>{{ w.issued }}</th><th>{{ w.due }}</th>'
        '<th class="r">{{ w.overdue }}</th><th class="r">{{ w.open }}</th></tr></thead><tbody>'
        "{% for d in documents %}<tr><td>{{ d.number }}</td><td>{{ d.issue_date|date }}</td><td>{{ d.due_date|date }}</td>"
        "<td class=\"r\">{{ d.days_past_due if d.days_past_due > 0 else '' }}</td>"
        '<td class="r">{{ d.open_amount|money(d.currency) }}</td></tr>{% endfor %}</tbody><tfoot>'
        '{% for t in totals %}<tr><th colspan="4">{{ w.total }} {{ t.currency }}</th>'
        '<th class="r">{{ t.amount|money(t.currency) }}</th></tr>{% endfor %}</tfoot></table>'
    )
    documents, totals = statement_for_template(statement)
    return render_part(template, {"locale": locale, "documents": documents, "totals": totals, "w": words},
                       html=True, part="statement")


def _lines(text: str) -> str:
    return "<br>".join(escape(line) for line in (text or "").splitlines() if line.strip())


def _frame(*, sender: dict[str, str], recipient_lines: list[str], locale: str, words: dict[str, str],
           date_text: str, customer_number: str, inner: str) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>{_css(words)}</style></head><body>
<div class="letterhead">{_lines(sender.get("letterhead", ""))}</div>
<div class="window"><div class="return">{escape(sender.get("return_address") or sender.get("from_name", ""))}</div>
<div class="recipient">{"<br>".join(escape(x) for x in recipient_lines if x)}</div></div>
<div class="meta">{escape(words["customer"])} {escape(customer_number)}<br>{escape(date_text)}</div>
<div class="fold one"></div><div class="fold two"></div>
<div class="content">{inner}</div>
</body></html>"""


def recipient_lines(*, customer_name: str, contact: dict[str, Any]) -> list[str]:
    lines = [customer_name]
    if contact.get("name") and contact.get("name") != customer_name:
        lines.append(contact["name"])
    return lines + list(contact.get("address_lines") or [])


def statement_html(*, customer: dict[str, Any], contact: dict[str, Any], sender: dict[str, str],
                   statement: dict[str, Any], language: str, country: str = "") -> str:
    from babel.dates import format_date

    locale = locale_for(language, country)
    words = _words(language)
    as_of = dt.date.fromisoformat(statement["as_of"])
    inner = (f"<h1>{escape(words['statement'])} {escape(words['as_of'])} {escape(format_date(as_of, 'long', locale=locale))}</h1>"
             + _statement_table(statement, locale, words))
    return _frame(sender=sender, recipient_lines=recipient_lines(customer_name=customer["name"], contact=contact),
                  locale=locale, words=words, date_text=format_date(as_of, "long", locale=locale),
                  customer_number=customer.get("number", ""), inner=inner)


def letter_html(*, customer: dict[str, Any], contact: dict[str, Any], sender: dict[str, str], subject: str,
                body_html: str, language: str, country: str, date: dt.date) -> str:
    """The letter around a rendered template body (which already holds the statement table)."""
    from babel.dates import format_date

    locale = locale_for(language, country)
    words = _words(language)
    inner = f"<h1>{escape(subject)}</h1>\n{body_html}"
    return _frame(sender=sender, recipient_lines=recipient_lines(customer_name=customer["name"], contact=contact),
                  locale=locale, words=words, date_text=format_date(date, "long", locale=locale),
                  customer_number=customer.get("number", ""), inner=inner)


def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def pdf_concatenate(htmls: list[str]) -> tuple[bytes, int]:
    """One PDF from many documents, each laid out on its own (own page numbering); (pdf, page count)."""
    from weasyprint import HTML

    if not htmls:
        raise ValueError("nothing to print")
    documents = [HTML(string=h).render() for h in htmls]
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf(), len(pages)
