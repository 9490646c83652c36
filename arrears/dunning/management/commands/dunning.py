"""`arrears dunning seed` (the shipped strategies) and `arrears dunning diff --a ID --b ID --as-of DATE`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arrears.common.json import dumps
from arrears.dunning.errors import DunningError
from arrears.dunning.management.commands.run import parse_date
from arrears.dunning.models import StrategyVersion
from arrears.dunning.services.nightly_run import strategy_diff
from arrears.dunning.services.strategies import strategy_seed_defaults


class Command(BaseCommand):
    help = "Dunning strategies: seed the defaults, compare two versions on the portfolio."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        seed = sub.add_parser("seed", help="create the shipped strategies and segment rules")
        seed.add_argument("--json", action="store_true")
        diff = sub.add_parser("diff", help="plan the same portfolio under two strategy versions")
        diff.add_argument("--a", type=int, required=True, help="strategy version id")
        diff.add_argument("--b", type=int, required=True, help="strategy version id")
        diff.add_argument("--as-of", dest="as_of", required=True, help="YYYY-MM-DD")
        diff.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "seed":
            made = strategy_seed_defaults()
            names = [s.name for s in made]
            self.stdout.write(dumps({"created": names}) if opts["json"] else
                              (f"created: {', '.join(names)}" if names else "the default strategies exist already"))
            return
        versions = StrategyVersion.objects.select_related("strategy").in_bulk([opts["a"], opts["b"]])
        for option in ("a", "b"):
            if opts[option] not in versions:
                raise CommandError(f"--{option}: no strategy version with id {opts[option]}")
        try:
            diff = strategy_diff(version_a=versions[opts["a"]], version_b=versions[opts["b"]],
                                 as_of=parse_date(opts["as_of"]))
        except DunningError as exc:
            raise CommandError(exc.message) from exc
        if opts["json"]:
            self.stdout.write(dumps(diff, indent=2))
            return
        self.stdout.write(f"{diff['a']['version']['name']} vs {diff['b']['version']['name']} on {diff['as_of']}: "
                          f"{diff['population']} customers, {len(diff['customers_differing'])} treated differently")
        for label in ("a", "b"):
            self.stdout.write(f"  {label}: {diff[label]['action_count']} actions; by step {diff[label].get('step', {})}")
