"""`arrears worklist build|assign|rebalance [--as-of DATE] [--apply] [--team NAME] [--json]`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.common.clock import today
from arrears.common.json import dumps
from arrears.users.models import Team
from arrears.worklist.services import assignment_apply, worklist_build, worklist_rebalance


class Command(BaseCommand):
    help = "Build today's worklists, apply the assignment rules, or rebalance a team's absences."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["build", "assign", "rebalance"])
        parser.add_argument("--as-of", default=None, help="business date, YYYY-MM-DD (default: today)")
        parser.add_argument("--apply", action="store_true", help="assign: write the changes (default: a dry run)")
        parser.add_argument("--team", default=None, help="rebalance: the team's name")
        parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = dt.date.fromisoformat(options["as_of"]) if options["as_of"] else today()
        except ValueError as exc:
            raise CommandError(f"--as-of: {options['as_of']!r} is not a date (YYYY-MM-DD)") from exc
        action = options["action"]
        if action == "build":
            result = worklist_build(as_of=as_of).as_dict()
        elif action == "assign":
            result = assignment_apply(dry_run=not options["apply"]).as_dict()
        else:
            team = Team.objects.filter(name=options["team"] or "").first()
            if team is None:
                raise CommandError(f"--team: no team named {options['team']!r}")
            result = worklist_rebalance(team=team, as_of=as_of).as_dict()
        if options["json"]:
            self.stdout.write(dumps(result))
        else:
            self.stdout.write(", ".join(f"{k}: {v}" for k, v in result.items() if not isinstance(v, list)))
