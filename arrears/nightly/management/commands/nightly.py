"""`arrears nightly --as-of DATE [--no-predict] [--json]`: the whole nightly collections cycle."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arrears.common.clock import today
from arrears.common.json import dumps
from arrears.nightly.services import nightly_cycle


class Command(BaseCommand):
    help = "Run the nightly collections cycle: promises, dunning, predictions, worklists, snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="business date YYYY-MM-DD (default: today)")
        parser.add_argument("--no-predict", action="store_true", help="skip refreshing predictions")
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            as_of = dt.date.fromisoformat(opts["as_of"]) if opts["as_of"] else today()
        except ValueError as exc:
            raise CommandError(f"--as-of: {opts['as_of']!r} is not a date in the form YYYY-MM-DD") from exc
        say = None if opts["json"] else self.stdout.write
        if say:
            say(f"Nightly cycle for {as_of.isoformat()}:")
        result = nightly_cycle(as_of=as_of, predict=not opts["no_predict"], say=say)
        if opts["json"]:
            self.stdout.write(dumps(result.as_dict()))
        else:
            dunning = result.steps.get("dunning", {})
            say(f"Done in {sum(result.durations_s.values()):.2f} s; dunning run {dunning.get('id')} "
                f"({dunning.get('status')}).")
