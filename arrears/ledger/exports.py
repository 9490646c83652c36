"""CSV and XLSX writers any report can use: a header row plus rows of str, int, Decimal or date cells.

Amounts stay exact: CSV writes a Decimal as its plain string ("1234.50"), XLSX as a number cell
with a two-decimal format. Text cells that a spreadsheet would run as a formula (=, +, -, @, tab,
carriage return first) get a leading apostrophe, so a customer named "=HYPERLINK(...)" stays text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | Decimal | dt.date | None


def _safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return _safe_text(str(value))


def table_to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 CSV (with a BOM, so spreadsheet programs pick the encoding) of one table."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([_safe_text(h) for h in header])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def table_to_xlsx(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], *, title: str = "Report", number_format: str = "#,##0.00"
) -> bytes:
    """One-sheet XLSX; numbers are numbers (Decimals keep their value), the header is bold and frozen."""
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = title[:31]
    ws.append([_safe_text(h) for h in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append([_safe_text(v) if isinstance(v, str) else v for v in row])
        for cell, value in zip(ws[ws.max_row], row, strict=True):
            if isinstance(value, Decimal):
                cell.number_format = number_format
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for i, h in enumerate(header, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(10, min(40, len(h) + 4))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
