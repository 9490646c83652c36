"""`arrears communications`: templates and the outbox from the command line.

    arrears communications load-defaults [--overwrite] [--json]   # the shipped templates (en, de)
    arrears communications send-due [--limit N] [--json]          # one outbox sweep (email, SMS)
    arrears communications print-letters [--run REF] [--json]     # queued letters -> one print file
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from arrears.common.json import dumps
from arrears.communications.services import letter_batch_print, outbox_send_due, template_load_defaults


class Command(BaseCommand):
    help = "Communications: load-defaults, send-due, print-letters."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{load-defaults,send-due,print-letters}")
        load = sub.add_parser("load-defaults", help="load the shipped templates (existing ones are kept)")
        load.add_argument("--overwrite", action="store_true", help="add the shipped text as a new version")
        load.add_argument("--json", action="store_true")
        send = sub.add_parser("send-due", help="send every due email and SMS once")
        send.add_argument("--limit", type=int, default=500)
        send.add_argument("--json", action="store_true")
        letters = sub.add_parser("print-letters", help="write queued letters into one PDF")
        letters.add_argument("--run", default="", help="only the letters of this run reference")
        letters.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        command = opts["subcommand"]
        if command == "load-defaults":
            result: dict[str, Any] = template_load_defaults(overwrite=opts["overwrite"])
        elif command == "send-due":
            result = outbox_send_due(limit=opts["limit"])
        else:
            out = letter_batch_print(run_reference=opts["run"])
            batch = out.pop("batch")
            result = {**out, "batch": None if batch is None else {"id": batch.pk, "file": batch.file,
                                                                  "letters": batch.letter_count, "pages": batch.page_count}}
        if opts["json"]:
            self.stdout.write(dumps(result))
        else:
            self.stdout.write(", ".join(f"{k}: {v}" for k, v in result.items()))
