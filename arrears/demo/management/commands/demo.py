"""`arrears demo`: migrate, load the demo portfolio, run the nightly cycle, print the logins, serve."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from arrears.common.clock import today
from arrears.common.json import dumps
from arrears.demo.services import demo_build, demo_run_nightly_cycle


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of: {text!r} is not a date (expected YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Build the demo portfolio (deterministic from --seed), run the nightly collections cycle, "
        "print the demo logins and serve the app."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument("--customers", type=int, default=3000, help="number of customers (default 3000)")
        parser.add_argument("--as-of", dest="as_of", default=None, help="business date YYYY-MM-DD (default today)")
        parser.add_argument("--no-serve", action="store_true", help="load the data and stop")
        parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000)")
        parser.add_argument("--json", action="store_true", help="print one JSON summary and nothing else on stdout")

    def handle(self, *args: Any, **opts: Any) -> None:
        as_of = _date(opts["as_of"]) if opts["as_of"] else today()
        if opts["customers"] < 4:
            raise CommandError("--customers must be at least 4 (one per business unit)")
        quiet = opts["json"]
        say = self.stderr.write if quiet else self.stdout.write

        if self._migrations_pending():
            say("Migrating the database...")
            call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())

        say(f"Building the demo portfolio: seed {opts['seed']}, {opts['customers']} customers, as of {as_of}...")
        summary = demo_build(seed=opts["seed"], customers=opts["customers"], as_of=as_of)
        if not quiet:
            self._print_summary(summary)
        say("Running the nightly collections cycle...")
        demo_run_nightly_cycle(as_of, write=say)
        if quiet:
            self.stdout.write(dumps(summary))
        else:
            say("")
            self._print_logins(summary, opts)

        if not opts["no_serve"]:
            out = self.stderr if quiet else self.stdout
            call_command("serve", host=opts["host"], port=opts["port"], stdout=out, stderr=self.stderr)

    @staticmethod
    def _migrations_pending() -> bool:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))

    def _print_summary(self, s: dict[str, Any]) -> None:
        w = self.stdout.write
        w(
            f"Loaded in {s['duration_s']} s: {s['business_units']} business units, {s['customers']} customers, "
            f"{s['documents']} documents ({s['credit_notes']} credit notes), {s['payments']} payments, "
            f"{s['allocations']} allocations, {s['write_offs']} write-offs."
        )
        w("Open receivables: " + ", ".join(f"{amount} {ccy}" for ccy, amount in s["open_balance"].items()))

    def _print_logins(self, s: dict[str, Any], opts: dict[str, Any]) -> None:
        w = self.stdout.write
        host = "localhost" if opts["host"] in {"127.0.0.1", "0.0.0.0"} else opts["host"]
        w(f"Log in at http://{host}:{opts['port']}/login/ with password '{s['password']}' as:")
        for user in s["users"]:
            w(f"  {user['username']:<16} {user['role']}")
        if opts["no_serve"]:
            w("Start the web app with: arrears serve")
