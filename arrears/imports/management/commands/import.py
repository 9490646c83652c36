"""`arrears import FILE --profile NAME [--dry-run] [--json] [--business-unit CODE]`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.common.json import dumps
from arrears.imports.services import import_result_json, import_run_execute

PROGRESS_FROM_BYTES = 1_000_000  # smaller files finish before a bar is worth drawing


class Command(BaseCommand):
    help = "Import customers, documents and payments from a CSV or XLSX file through a column-mapping profile."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument("--profile", required=True, help="profile name, e.g. ibm-late-payment or arrears-documents")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        parser.add_argument("--business-unit", default=None, help="business unit code (default: the profile's)")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        bars: dict[str, Any] = {}
        show = not opts["json"] and opts["verbosity"] > 0 and len(data) >= PROGRESS_FROM_BYTES

        def progress(stage: str, done: int, total: int) -> None:
            from tqdm import tqdm

            bar = bars.get(stage)
            if bar is None:
                for old in bars.values():
                    old.close()
                bar = bars[stage] = tqdm(total=total, desc=stage, unit="row", file=sys.stderr, leave=False)
            bar.update(done - bar.n)

        outcome = import_run_execute(
            data=data, file_name=path.name, profile_name=opts["profile"], dry_run=opts["dry_run"],
            business_unit_code=opts["business_unit"], progress=progress if show else None,
        )
        for bar in bars.values():
            bar.close()
        result = import_result_json(outcome.run)
        if opts["json"]:
            self.stdout.write(dumps(result))
        else:
            self._print(result)
        if result["status"] != "ok":
            sys.exit(1)

    def _print(self, result: dict[str, Any]) -> None:
        verb = "would import" if result["dry_run"] else "imported"
        if result["status"] == "ok":
            self.stdout.write(f"{result['file']}: {verb} {result['rows']} rows with profile {result['profile']} "
                              f"into {result['business_unit']}")
            for kind, c in result["counts"].items():
                self.stdout.write(f"  {kind:<10} created {c['created']:>8}  updated {c['updated']:>8}  "
                                  f"unchanged {c['unchanged']:>8}")
            return
        self.stderr.write(f"{result['file']}: rejected, nothing imported ({result['error_count']} errors)")
        for e in result["errors"][:50]:
            where = ", ".join(p for p in (f"row {e['row']}" if e["row"] else "",
                                          f"column {e['column']!r}" if e["column"] else "") if p)
            self.stderr.write(f"  {where}: [{e['code']}] {e['message']}" if where else f"  [{e['code']}] {e['message']}")
        if result["error_count"] > 50:
            self.stderr.write(f"  ... and {result['error_count'] - 50} more (--json lists them all)")
