"""Bytes in, a table of strings out: every cell is read as text, typing happens later, column-wise.

The reader only knows file formats. Row numbers are the file's lines (the header is row 1): for
CSV the record index + 2 (a quoted cell spanning lines shifts later rows), for XLSX the sheet row.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import PurePath

import polars as pl

from arrears.imports.errors import ImportErrorCode, reject
from arrears.imports.spec import ProfileSpec

ROW = "_row"
BOM = b"\xef\xbb\xbf"


def file_format(file_name: str) -> str:
    suffix = PurePath(file_name).suffix.lower()
    if suffix in {".csv", ".txt"}:
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise reject(
        ImportErrorCode.UNSUPPORTED_FILE_TYPE,
        f"{file_name!r}: only .csv and .xlsx files can be imported (got {suffix or 'no extension'})",
    )


def read_table(data: bytes, *, file_name: str, spec: ProfileSpec) -> pl.DataFrame:
    """All cells as stripped-or-null strings, plus the `_row` column."""
    kind = file_format(file_name)
    blank = BOM + b" \t\r\n"
    if not data[:4096].strip(blank) and not data.strip(blank):  # (a whole-file strip copies the file)
        raise reject(ImportErrorCode.EMPTY_FILE, f"{file_name!r} is empty: expected a header row and at least one data row")
    table = _read_xlsx(data, file_name, spec) if kind == "xlsx" else _read_csv(data, file_name, spec)
    if table.height == 0:
        raise reject(ImportErrorCode.NO_ROWS, f"{file_name!r} has a header row but no data rows", row=1)
    return table


def _read_csv(data: bytes, file_name: str, spec: ProfileSpec) -> pl.DataFrame:
    if data.startswith(b"PK\x03\x04"):
        raise reject(ImportErrorCode.UNSUPPORTED_FILE_TYPE, f"{file_name!r} looks like an XLSX workbook: name it .xlsx")
    encoding = spec.encoding.lower().replace("_", "-")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise reject(
            ImportErrorCode.WRONG_ENCODING,
            f"{file_name!r} is not valid {spec.encoding}: byte 0x{data[exc.start]:02x} on line {line} cannot be decoded. "
            f"Expected encoding: {spec.encoding}. Save the file as UTF-8, or set format.encoding in profile {spec.name!r} "
            "(e.g. cp1252 or latin-1).",
            row=line,
        ) from exc
    except LookupError as exc:
        raise reject(ImportErrorCode.BAD_PROFILE, f"profile {spec.name!r}: unknown encoding {spec.encoding!r}") from exc
    if encoding not in {"utf-8", "utf8"}:
        data = text.encode("utf-8")
    del text
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        table = pl.read_csv(
            io.BytesIO(data), infer_schema=False, separator=spec.delimiter, has_header=True,
            truncate_ragged_lines=False, raise_if_empty=True,
        )
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise reject(ImportErrorCode.MALFORMED_CSV, f"{file_name!r} is not a well-formed CSV file: {exc}".splitlines()[0]) from exc
    table = table.rename({c: c.strip() for c in table.columns})
    return _tidy(table.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64)))


def _read_xlsx(data: bytes, file_name: str, spec: ProfileSpec) -> pl.DataFrame:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
        raise reject(
            ImportErrorCode.NOT_XLSX,
            f"{file_name!r} is not a valid XLSX workbook ({type(exc).__name__}); save it from your spreadsheet as .xlsx or CSV",
        ) from exc
    try:
        if spec.sheet:
            if spec.sheet not in book.sheetnames:
                raise reject(ImportErrorCode.NOT_XLSX, f"{file_name!r} has no sheet {spec.sheet!r} (it has {book.sheetnames})")
            sheet = book[spec.sheet]
        else:
            sheet = book.worksheets[0]
        header: list[str] | None = None
        rows: list[list[str | None]] = []
        numbers: list[int] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if not any(c is not None for c in cells):
                continue
            if header is None:
                header = [c or f"column_{i + 1}" for i, c in enumerate(cells)]
                continue
            rows.append(cells)
            numbers.append(number)
    finally:
        book.close()
    if header is None:
        raise reject(ImportErrorCode.EMPTY_FILE, f"{file_name!r} has no rows in its first sheet")
    width = len(header)
    columns = {name: [(r[i] if i < len(r) else None) for r in rows] for i, name in enumerate(header)}
    table = pl.DataFrame({ROW: numbers, **columns}, schema={ROW: pl.Int64, **dict.fromkeys(columns, pl.String)})
    del width
    return _tidy(table)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _tidy(table: pl.DataFrame) -> pl.DataFrame:
    """Strip every cell; an empty cell is null.

    One cheap pass finds the columns that have anything to strip or blank out; only those are
    rewritten (most files have none, and rewriting a million strings per column is not free).
    """
    cols = [c for c in table.columns if c != ROW]
    if not cols:
        return table
    untidy = table.select(
        (pl.col(c).str.contains(r"^\s|\s$") | (pl.col(c) == "")).any().alias(c) for c in cols
    ).row(0)
    todo = [c for c, needed in zip(cols, untidy, strict=True) if needed]
    if not todo:
        return table
    return table.with_columns(
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c).str.strip_chars()).alias(c) for c in todo
    )
