"""PDFs with WeasyPrint: the open-items statement (email attachment) and letters for window envelopes.

Letter layout (DIN 5008 form B, fits DIN C5/6 = DL and C5 window envelopes, folded in three):
the address field sits 45 mm from the top and 20 mm from the left, 85 x 45 mm, with the return line in
its first 5 mm; fold marks at 105 mm and 210 mm. Page numbers run per letter ("Page 1 of 2"): the print
file lays out all letters in one document (`letters_pdf`) and lays a letter out on its own again only
when it needs more than one page. Every render uses `LocalResourceFetcher` (no network, own files only).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import mimetypes
import urllib.parse
import urllib.request
from collections.abc import Sequence
from html import escape
from pathlib import Path
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
{_BODY_CSS}"""


_BODY_CSS = f"""body {{ font-family: {FONT}; font-size: 10pt; line-height: 1.35; margin: 0 }}
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


def _letter_body(*, sender: dict[str, str], recipient_lines: list[str], words: dict[str, str], date_text: str,
                 customer_number: str, inner: str) -> str:
    """The markup inside <body> of one letter (the batch render puts many of these in one document)."""
    return f"""<div class="letterhead">{_lines(sender.get("letterhead", ""))}</div>
<div class="window"><div class="return">{escape(sender.get("return_address") or sender.get("from_name", ""))}</div>
<div class="recipient">{"<br>".join(escape(x) for x in recipient_lines if x)}</div></div>
<div class="meta">{escape(words["customer"])} {escape(customer_number)}<br>{escape(date_text)}</div>
<div class="fold one"></div><div class="fold two"></div>
<div class="content">{inner}</div>
"""


def _frame(*, sender: dict[str, str], recipient_lines: list[str], locale: str, words: dict[str, str],
           date_text: str, customer_number: str, inner: str) -> str:
    body = _letter_body(sender=sender, recipient_lines=recipient_lines, words=words, date_text=date_text,
                        customer_number=customer_number, inner=inner)
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>{_css(words)}</style></head><body>
{body}</body></html>"""


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


@dataclasses.dataclass(frozen=True, slots=True)
class LetterPart:
    """One letter ready for the batch render: its language's words and the markup inside <body>."""

    language: str  # the key of _WORDS the letter uses ("en", "de")
    body: str


def _letter_inner(*, customer: dict[str, Any], contact: dict[str, Any], sender: dict[str, str], subject: str,
                  body_html: str, language: str, country: str, date: dt.date) -> dict[str, Any]:
    from babel.dates import format_date

    locale = locale_for(language, country)
    return {"sender": sender, "recipient_lines": recipient_lines(customer_name=customer["name"], contact=contact),
            "words": _words(language), "date_text": format_date(date, "long", locale=locale),
            "customer_number": customer.get("number", ""), "inner": f"<h1>{escape(subject)}</h1>\n{body_html}",
            "locale": locale}


def letter_html(*, customer: dict[str, Any], contact: dict[str, Any], sender: dict[str, str], subject: str,
                body_html: str, language: str, country: str, date: dt.date) -> str:
    """The letter around a rendered template body (which already holds the statement table)."""
    return _frame(**_letter_inner(customer=customer, contact=contact, sender=sender, subject=subject,
                                  body_html=body_html, language=language, country=country, date=date))


def letter_part(*, customer: dict[str, Any], contact: dict[str, Any], sender: dict[str, str], subject: str,
                body_html: str, language: str, country: str, date: dt.date) -> LetterPart:
    """The same letter as `letter_html`, as a part of a batch document (`letters_pdf`)."""
    parts = _letter_inner(customer=customer, contact=contact, sender=sender, subject=subject, body_html=body_html,
                          language=language, country=country, date=date)
    parts.pop("locale")
    key = (language or "en")[:2]
    return LetterPart(language=key if key in _WORDS else "en", body=_letter_body(**parts))


# --- resources --------------------------------------------------------------------------------------


def resource_roots() -> tuple[Path, ...]:
    """Directories a PDF may read files from: the apps' static folders and STATIC_ROOT."""
    from django.apps import apps
    from django.conf import settings

    roots = [Path(app.path) / "static" for app in apps.get_app_configs() if app.name.startswith("arrears.")]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT))
    return tuple(r.resolve() for r in roots if r.is_dir())


class ResourceRefused(ValueError):
    """A PDF asked for a resource outside our own files (a remote URL, a path outside the static roots)."""


class LocalResourceFetcher:
    """WeasyPrint's url_fetcher for our PDFs: `data:` URLs and files under `resource_roots()`, nothing else.

    WeasyPrint's default fetcher is a urllib opener that builds an SSL context for every document
    (most of the cost of a small PDF) and would fetch any http(s)/ftp/file URL a template names, so a
    template could make the server read local files or call internal hosts. This one never opens a
    socket: remote URLs and files outside the roots raise ResourceRefused, which WeasyPrint logs and
    skips (the PDF is made without that resource)."""

    _fail_on_errors = False  # read by weasyprint.urls.fetch

    def __init__(self, roots: Sequence[Path] | None = None) -> None:
        self._roots = tuple(Path(r).resolve() for r in roots) if roots is not None else None

    @property
    def roots(self) -> tuple[Path, ...]:
        if self._roots is None:
            self._roots = resource_roots()
        return self._roots

    def fetch(self, url: str, headers: Any = None) -> Any:
        from weasyprint.urls import URLFetcherResponse

        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            response = urllib.request.DataHandler().data_open(urllib.request.Request(url))
            return URLFetcherResponse(url, response.read(), dict(response.headers))
        if scheme == "file":
            path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in self.roots):
                raise ResourceRefused(f"{url}: not under the PDF resource folders")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
        raise ResourceRefused(f"{url}: PDFs load no remote or {scheme or 'relative'} resources")

    def __call__(self, url: str) -> Any:
        return self.fetch(url)


_FETCHER = LocalResourceFetcher()


def url_fetcher() -> LocalResourceFetcher:
    return _FETCHER


# --- rendering --------------------------------------------------------------------------------------


def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_FETCHER).write_pdf()


def pdf_concatenate(htmls: list[str]) -> tuple[bytes, int]:
    """One PDF from many documents, each laid out on its own (own page numbering); (pdf, page count).

    The reference path for `letters_pdf`, which gives the same pages from one render."""
    from weasyprint import HTML

    if not htmls:
        raise ValueError("nothing to print")
    documents = [HTML(string=h, url_fetcher=_FETCHER).render() for h in htmls]
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf(), len(pages)


def _batch_html(parts: Sequence[LetterPart]) -> str:
    """All letters in one document, each in a <section> that starts a new page. The footer reads the
    letter's "Page 1 of 1" from a named string its section sets (no named pages: WeasyPrint keeps the
    top margin after every break on a named page, so continuation pages would shift)."""
    footers = "\n".join(f'section.lang-{k} {{ string-set: letter-footer "{w["page"]} 1 {w["of"]} 1" }}'
                         for k, w in _WORDS.items())
    css = f"""@page {{ size: A4; margin: 20mm 20mm 22mm 20mm;
  @bottom-right {{ content: string(letter-footer); font-family: {FONT}; font-size: 8pt; color: #555 }} }}
{_BODY_CSS}section.letter {{ position: relative; break-before: page }}
section.letter:first-child {{ break-before: auto }}
{footers}"""
    sections = "".join(f'<section class="letter lang-{p.language}" id="letter-{i}">\n{p.body}</section>'
                       for i, p in enumerate(parts))
    return f'<!doctype html><html><head><meta charset="utf-8"><style>{css}</style></head><body>{sections}</body></html>'


def letters_pdf(parts: Sequence[LetterPart]) -> tuple[bytes, list[int]]:
    """One print file from many letters, laid out in one render; (pdf, page count of each letter).

    Gives the same pages as laying out each letter on its own and concatenating (`pdf_concatenate`):
    every letter starts on a new page and numbers its own pages. The batch render prints "Page 1 of
    1" on each letter; a letter's first page is laid out exactly as on its own, so a letter that needs
    more than one page is found there, and only those letters are laid out again on their own (their
    own page numbers and totals), their pages replacing the batch's."""
    from weasyprint import HTML

    if not parts:
        raise ValueError("nothing to print")
    document = HTML(string=_batch_html(parts), url_fetcher=_FETCHER).render()
    starts = [-1] * len(parts)
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("letter-") and starts[index := int(anchor[7:])] < 0:
                starts[index] = number
    if any(s < 0 for s in starts) or starts != sorted(starts):
        raise RuntimeError("the batch render lost the first page of a letter")
    ends = [*starts[1:], len(document.pages)]
    pages = [document.pages[s:e] for s, e in zip(starts, ends, strict=True)]
    for i, letter_pages in enumerate(pages):
        if len(letter_pages) != 1:
            pages[i] = HTML(string=_letter_document(parts[i]), url_fetcher=_FETCHER).render().pages
    return document.copy([page for letter in pages for page in letter]).write_pdf(), [len(p) for p in pages]


def _letter_document(part: LetterPart) -> str:
    words = _WORDS[part.language]
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>{_css(words)}</style></head><body>
{part.body}</body></html>"""
