"""`arrears sepa export --collection-date 2026-05-04 --output dd.xml [--business-unit CODE] [--json]`:
the pain.008 direct-debit file for every collection due (docs/portal.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arrears.audit.context import acting_as
from arrears.common.json import dumps
from arrears.portal.errors import PortalError
from arrears.portal.services.sepa import sepa_collection_export


class Command(BaseCommand):
    help = "SEPA direct debit: export the pain.008 collection file for the mandates due."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the pain.008 file for a collection date")
        export.add_argument("--collection-date", required=True, help="YYYY-MM-DD, the day the banks debit")
        export.add_argument("--output", required=True, help="file to write (not written when nothing is due)")
        export.add_argument("--business-unit", default=None, help="business unit code (needed when several have collections)")
        export.add_argument("--json", action="store_true", help="print one JSON summary on stdout")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            collection_date = dt.date.fromisoformat(opts["collection_date"])
        except ValueError as exc:
            raise CommandError(f"--collection-date: {opts['collection_date']!r} is not a date (YYYY-MM-DD)") from exc
        output = Path(opts["output"])
        if not output.parent.exists():
            raise CommandError(f"--output: the folder {output.parent} does not exist")
        try:
            with acting_as(None, label="cli:sepa"):
                export = sepa_collection_export(collection_date=collection_date, business_unit_code=opts["business_unit"])
        except PortalError as exc:
            raise CommandError(exc.message) from exc
        if export.xml:
            tmp = output.with_suffix(output.suffix + ".part")
            tmp.write_bytes(export.xml)
            tmp.replace(output)
        summary = {
            "collection_date": collection_date.isoformat(), "business_unit": export.business_unit,
            "message_id": export.message_id, "transactions": len(export.transactions), "total": str(export.total),
            "currency": export.currency, "output": str(output) if export.xml else None, "items": export.transactions,
        }
        if opts["json"]:
            self.stdout.write(dumps(summary))
        elif export.xml:
            self.stdout.write(f"{len(export.transactions)} collections, {export.total} EUR, written to {output}")
        else:
            self.stdout.write("Nothing is due for collection; no file written.")
