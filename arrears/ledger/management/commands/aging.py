"""`arrears aging`: the aged balances as of a date, as a table, CSV, XLSX or one JSON document."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arrears.common.clock import today
from arrears.common.json import dumps
from arrears.common.money import MoneyError
from arrears.ledger.aging import BASES, GROUPINGS, aging_report, aging_report_table
from arrears.ledger.errors import LedgerError
from arrears.ledger.exports import table_to_csv, table_to_xlsx


def parse_as_of(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(f"--as-of: {value!r} is not a date; expected the format YYYY-MM-DD, e.g. 2025-06-30") from exc


class Command(BaseCommand):
    help = "Aged balances (current, 1-30 ... 120+) as of a date, by customer, collector, segment or business unit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--by", choices=GROUPINGS, default="customer")
        parser.add_argument("--basis", choices=BASES, default="due", help="age by due date (default) or invoice date")
        parser.add_argument("--currency", default=None, help="only documents in this currency")
        parser.add_argument("--reporting-currency", dest="reporting_currency", default=None,
                            help="convert every currency with the FX rate table")
        parser.add_argument("--format", choices=("table", "csv", "xlsx"), default="table")
        parser.add_argument("--output", default=None, help="write to this file instead of stdout")
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args: Any, **opts: Any) -> None:
        as_of = parse_as_of(opts["as_of"]) if opts["as_of"] is not None else today()
        try:
            report = aging_report(
                as_of=as_of, by=opts["by"], basis=opts["basis"],
                currency=opts["currency"], reporting_currency=opts["reporting_currency"],
            )
        except (LedgerError, MoneyError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

        if opts["json"]:
            self._emit(dumps(report.as_dict(), indent=2) + "\n", opts["output"])
            return
        header, rows = aging_report_table(report)
        if opts["format"] == "csv":
            data = table_to_csv(header, rows)
            # Files keep the BOM (spreadsheets need it to pick UTF-8); a pipe gets plain text.
            self._emit(data if opts["output"] else data.decode("utf-8-sig"), opts["output"])
        elif opts["format"] == "xlsx":
            if not opts["output"] and sys.stdout.isatty():
                raise CommandError("--format xlsx writes a binary file: give --output FILE")
            self._emit(table_to_xlsx(header, rows, title=f"Aging {report.as_of.isoformat()}"), opts["output"])
        else:
            title = (f"Aging as of {report.as_of.isoformat()} by {report.by}, "
                     f"{'due date' if report.basis == 'due' else 'invoice date'} basis, "
                     f"{report.currency or 'all currencies'}")
            self._emit(title + "\n" + _text_table(header, rows), opts["output"])

    def _emit(self, payload: str | bytes, output: str | None) -> None:
        if output:
            path = Path(output)
            if isinstance(payload, bytes):
                path.write_bytes(payload)
            else:
                path.write_text(payload, encoding="utf-8")
            self.stderr.write(f"wrote {path}")
        elif isinstance(payload, bytes):
            self.stdout.flush()
            sys.stdout.buffer.write(payload)
            sys.stdout.buffer.flush()
        else:
            self.stdout.write(payload, ending="")


def _text_table(header: list[str], rows: list[list[Any]]) -> str:
    cells = [header, *[["" if v is None else str(v) for v in row] for row in rows]]
    numeric = [all(isinstance(row[i], Decimal | int) for row in rows) for i in range(len(header))]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(row, widths, numeric, strict=True))

    lines = [fmt(cells[0]), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in cells[1:]]
    return "\n".join(line.rstrip() for line in lines) + "\n"
