"""`arrears statement import FILE`: import a bank statement, post what matches, report the match rate.

    arrears statement import statement.xml                      # format detected from the content
    arrears statement import day.sta --format mt940 --json      # one JSON document on stdout
    arrears statement import export.csv --csv-mapping '{"date": "Buchungstag", "amount": "Betrag"}' --dry-run

Exit status: 0 imported (or dry run done), 2 the file was refused (the message names the file, the
line and the field; nothing was written). With --json, stdout carries the report, or {"error": {...}}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from arrears.common.json import dumps
from arrears.payments.errors import StatementError
from arrears.payments.parsers import FORMATS, CsvProfile
from arrears.payments.services import statement_import

EXIT_OK, EXIT_REFUSED = 0, 2


class Command(BaseCommand):
    help = "Bank statements. `import FILE`: import camt.053, MT940 or CSV, match and post, report the match rate."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{import}")
        imp = sub.add_parser("import", help="import one statement file")
        imp.add_argument("file", help="path of the statement file")
        imp.add_argument("--format", choices=FORMATS, help="default: detected from the content")
        imp.add_argument("--dry-run", action="store_true", help="match and report; write nothing")
        imp.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        imp.add_argument("--csv-mapping", help='CSV columns as JSON, e.g. {"date": "Buchungstag", "amount": "Betrag"}')

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        try:
            profile = CsvProfile.from_mapping(json.loads(opts["csv_mapping"])) if opts["csv_mapping"] else None
        except (ValueError, TypeError) as exc:
            self._fail(opts, "invalid", f"--csv-mapping: {exc}")
            return
        try:
            content = path.read_bytes()
        except OSError as exc:
            self._fail(opts, "unreadable", f"{path}: {exc.strerror}")
            return
        try:
            result = statement_import(file_name=path.name, content=content, format=opts["format"],
                                      csv_profile=profile, dry_run=opts["dry_run"])
        except StatementError as exc:
            self._fail(opts, str(exc.code), exc.message, line=exc.line, field=exc.field)
            return
        report = result.report
        if opts["json"]:
            self.stdout.write(dumps(report))
            return
        rate = "–" if report["match_rate"] is None else f"{report['match_rate']:.1%}"
        amounts = ", ".join(f"{a} {c}" for c, a in report["auto_matched_amount"].items()) or "nothing"
        self.stdout.write(
            f"{'Dry run: ' if report['dry_run'] else ''}{report['file_name']} ({report['format']}): "
            f"{report['lines']} lines, {report['credits']} credits, {report['duplicates']} already imported\n"
            f"  matched automatically: {report['auto_matched']} ({amounts})\n"
            f"  suggested: {report['suggested']}, unmatched: {report['unmatched']}\n"
            f"  automatic match rate: {rate}"
        )
        if result.statement is not None:
            self.stdout.write(f"  statement {result.statement.pk}: /payments/statements/{result.statement.pk}/")

    def _fail(self, opts: dict[str, Any], code: str, message: str, **extra: Any) -> None:
        if opts["json"]:
            self.stdout.write(dumps({"error": {"code": code, "detail": message, **{k: v for k, v in extra.items() if v}}}))
        else:
            self.stderr.write(message)
        sys.exit(EXIT_REFUSED)
