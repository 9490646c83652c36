"""`arrears run --as-of DATE [--dry-run] [--json]`: the nightly collections run (cron-friendly)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arrears.common.clock import today
from arrears.common.json import dumps
from arrears.dunning.errors import DunningError
from arrears.dunning.services.nightly_run import dunning_run, run_preview, run_record


def parse_date(value: str, option: str = "--as-of") -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(f"{option}: {value!r} is not a date; expected YYYY-MM-DD, e.g. 2026-03-02") from exc


class Command(BaseCommand):
    help = "Run the dunning night for a date: plan, gate and record every customer's next step."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--dry-run", action="store_true", help="show what the run would do; write nothing")
        parser.add_argument("--partitions", type=int, default=None, help="customer partitions (Celery tasks)")
        parser.add_argument("--json", action="store_true", help="print the run record as one JSON document")

    def handle(self, *args: Any, **opts: Any) -> None:
        as_of = parse_date(opts["as_of"]) if opts["as_of"] else today()
        try:
            if opts["dry_run"]:
                record = run_preview(as_of=as_of)
            else:
                run, already = dunning_run(as_of=as_of, partitions=opts["partitions"])
                record = run_record(run, already_ran=already)
        except DunningError as exc:
            raise CommandError(exc.message) from exc
        if opts["json"]:
            self.stdout.write(dumps(record, indent=2))
            return
        self._text(record)

    def _text(self, record: dict[str, Any]) -> None:
        out = self.stdout
        if record.get("dry_run"):
            out.write(f"Dry run for {record['as_of']}: {record['action_count']} actions would be planned (nothing written)")
        elif record["already_ran"]:
            out.write(f"The run for {record['as_of']} already ran ({record['action_count']} actions); nothing to do")
        else:
            out.write(f"Run {record['as_of']}: {record['status']}, {record['action_count']} actions "
                      f"in {record['durations'].get('total', 0):.2f} s (attempt {record['attempts']})")
        counts = record.get("counts", {})
        for group in ("strategy", "step", "channel", "outcome"):
            for key, n in counts.get(group, {}).items():
                out.write(f"  {group:<9} {key:<50} {n:>8}")
        for rule, n in record.get("blocked", {}).items():
            out.write(f"  blocked   {rule:<50} {n:>8}")
        for phase, seconds in record.get("durations", {}).items():
            out.write(f"  phase     {phase:<50} {seconds:>8.3f} s")
        if record.get("alert"):
            self.stderr.write(f"ALERT: {record['alert']}")
