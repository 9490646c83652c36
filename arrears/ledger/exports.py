"""CSV and XLSX writers any report can use: a header row plus rows of str, int, Decimal or date cells.

Amounts stay exact: CSV writes a Decimal as its plain string ("1234.50"), XLSX as a number cell
with a two-decimal format. Both go row by row: `table_to_csv_chunks` yields the CSV in pieces (for a
streaming response), and the XLSX is written by openpyxl's write-only (streaming) worksheet, so
50,000 rows never sit in memory as cell objects. Text cells that a spreadsheet would run as a formula (=, +, -, @, tab,
carriage return first) get a leading apostrophe, so a customer named "=HYPERLINK(...)" stays text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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


def table_to_csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Cell]], *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The UTF-8 CSV of `table_to_csv` in pieces of a few hundred rows, the BOM first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write("\ufeff")
    writer.writerow([_safe_text(h) for h in header])
    for i, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(v) for v in row])
        if i % rows_per_chunk == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def table_to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 CSV (with a BOM, so spreadsheet programs pick the encoding) of one table."""
    return b"".join(table_to_csv_chunks(header, rows))


def table_to_xlsx(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], *, title: str = "Report", number_format: str = "#,##0.00"
) -> bytes:
    """One-sheet XLSX; numbers are numbers (Decimals keep their value), the header is bold and frozen."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    for i, h in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(h) + 4))
    ws.freeze_panes = "A2"
    bold = Font(bold=True)

    def head(h: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=_safe_text(h))
        cell.font = bold
        return cell

    ws.append([head(h) for h in header])
    for row in rows:
        out: list[Any] = []
        for value in row:
            if isinstance(value, Decimal):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = number_format
                out.append(cell)
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            else:
                out.append(_safe_text(value) if isinstance(value, str) else value)
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
