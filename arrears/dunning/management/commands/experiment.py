"""`arrears experiment --rule ID --from DATE --to DATE [--currency X] [--json]`: the champion/challenger
report of one segment rule (both arms, the significance tests and the verdict)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arrears.common.json import dumps
from arrears.dunning.errors import DunningError
from arrears.dunning.management.commands.run import parse_date
from arrears.dunning.services.experiments import experiment_get, experiment_report, experiment_rows


class Command(BaseCommand):
    help = "Compare the champion and challenger arms of a segment rule's split over a period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rule", type=int, required=True, help="segment rule id (one with a challenger)")
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--currency", default=None, help="reporting currency (default: the documents' "
                                                             "one currency, else ARREARS_REPORTING_CURRENCY)")
        parser.add_argument("--json", action="store_true", help="print the report as one JSON document")

    def handle(self, *args: Any, **opts: Any) -> None:
        start, end = parse_date(opts["start"], "--from"), parse_date(opts["end"], "--to")
        try:
            rule = experiment_get(rule_id=opts["rule"])
            report = experiment_report(rule=rule, start=start, end=end, currency=opts["currency"])
        except DunningError as exc:
            raise CommandError(exc.message) from exc
        if opts["json"]:
            self.stdout.write(dumps(report, indent=2))
            return
        out = self.stdout
        out.write(f"Experiment {rule.pk} {rule.name}: {report['period']['from']} to {report['period']['to']}, "
                  f"in {report['currency']}")
        rows = experiment_rows(report)
        for i, label in enumerate(rows[0]):
            out.write(f"  {label:<32} " + " ".join(f"{row[i]!s:>22}" for row in rows[1:]))
        for test in report["tests"].values():
            out.write(f"  {test['metric']}: {test['verdict']}")
        for warning in report["warnings"]:
            self.stderr.write(f"warning: {warning}")
