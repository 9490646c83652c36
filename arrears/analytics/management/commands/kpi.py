"""`arrears kpi`: every KPI of a period (table or one JSON document), and balance snapshots.

    arrears kpi --from 2026-07-01 --to 2026-09-30 [--by collector] [--currency EUR] [--json]
    arrears kpi snapshot --as-of 2026-10-31 [--json]
    arrears kpi snapshot --from 2025-01-01 --to 2026-10-31 --monthly [--json]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arrears.analytics.errors import AnalyticsError
from arrears.analytics.exports import kpi_report_table
from arrears.analytics.kpis.core import KpiInputError
from arrears.analytics.selectors import GROUPINGS, kpi_report
from arrears.analytics.services import snapshot_backfill, snapshot_take
from arrears.common.clock import today
from arrears.common.json import dumps


def parse_date(option: str, value: str | None) -> dt.date:
    if value is None:
        raise CommandError(f"{option} is required (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(f"{option}: {value!r} is not a date; expected YYYY-MM-DD, e.g. 2026-09-30") from exc


class Command(BaseCommand):
    help = "Every KPI of a period by group and currency (KPIS.md), or take balance snapshots for history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", choices=("report", "snapshot"), default="report",
                            help="report (default): the KPIs of a period; snapshot: store balances for history")
        parser.add_argument("--from", dest="start", default=None, help="first day of the period, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", default=None, help="last day of the period, YYYY-MM-DD")
        parser.add_argument("--by", choices=GROUPINGS, default=None, help="one row per group (default: the portfolio)")
        parser.add_argument("--currency", default=None, help="reporting currency (converted with the FX rate table)")
        parser.add_argument("--as-of", dest="as_of", default=None, help="snapshot: the day (default today)")
        parser.add_argument("--monthly", action="store_true", help="snapshot --from/--to: every month end (backfill)")
        parser.add_argument("--daily", action="store_true", help="snapshot --from/--to: every day")
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "snapshot":
            self._snapshot(opts)
            return
        start, end = parse_date("--from", opts["start"]), parse_date("--to", opts["end"])
        if end < start:
            raise CommandError(f"--to ({end}) is before --from ({start})")
        try:
            report = kpi_report(start=start, end=end, by=opts["by"], currency=opts["currency"])
        except (AnalyticsError, KpiInputError) as exc:
            raise CommandError(str(exc)) from exc
        if opts["json"]:
            self.stdout.write(dumps(report.as_dict(), indent=2))
            return
        header, rows = kpi_report_table(report)
        self.stdout.write(f"KPIs {start}..{end} in {report.currency}" + (f" by {report.by}" if report.by else ""))
        self.stdout.write(_text_table(header, rows))

    def _snapshot(self, opts: dict[str, Any]) -> None:
        if opts["start"] or opts["end"]:
            if opts["as_of"]:
                raise CommandError("give either --as-of or --from/--to, not both")
            if not (opts["monthly"] or opts["daily"]):
                raise CommandError("a backfill over --from/--to needs --monthly (month ends) or --daily (every day)")
            start, end = parse_date("--from", opts["start"]), parse_date("--to", opts["end"])
            if end < start:
                raise CommandError(f"--to ({end}) is before --from ({start})")
            results = snapshot_backfill(start=start, end=end, monthly=opts["monthly"])
        else:
            as_of = parse_date("--as-of", opts["as_of"]) if opts["as_of"] else today()
            results = [snapshot_take(as_of=as_of)]
        if opts["json"]:
            self.stdout.write(dumps({"snapshots": [r.as_dict() for r in results]}, indent=2))
            return
        for r in results:
            self.stdout.write(f"{r.as_of}: {r.balances} customer balances, {r.forecast_weeks} forecast weeks")


def _text_table(header: list[str], rows: list[list[Any]]) -> str:
    cells = [header, *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
