"""`arrears mail fetch`: read replies to the collections mailbox (a .eml drop folder or IMAP).

    arrears mail fetch --dir var/inbox [--keep] [--json]
    arrears mail fetch --imap [--mailbox INBOX] [--json]     # settings ARREARS_IMAP_HOST/_PORT/_USER/_PASSWORD/_SSL

Each mail is a bounce (marks the message bounced), an unsubscribe mail, or a reply (attached to the
customer and classified). Handled .eml files move to <dir>/processed/ unless --keep.
Exit status 0, or 2 on bad input (missing folder, IMAP not configured), with {"error": ...} under --json.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from arrears.common.json import dumps
from arrears.communications.services import mail_fetch_dir, mail_fetch_imap


class Command(BaseCommand):
    help = "Collections mailbox tools. `fetch`: read replies and bounces from a .eml folder or IMAP."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{fetch}")
        fetch = sub.add_parser("fetch", help="read new mail")
        source = fetch.add_mutually_exclusive_group(required=True)
        source.add_argument("--dir", help="a folder of .eml files")
        source.add_argument("--imap", action="store_true", help="the IMAP mailbox from settings")
        fetch.add_argument("--mailbox", default="INBOX")
        fetch.add_argument("--keep", action="store_true", help="leave handled .eml files where they are")
        fetch.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["dir"]:
                result = mail_fetch_dir(path=Path(opts["dir"]), move=not opts["keep"])
            else:
                result = mail_fetch_imap(mailbox=opts["mailbox"])
        except (FileNotFoundError, ValueError, OSError) as exc:
            if opts["json"]:
                self.stdout.write(dumps({"error": {"message": str(exc)}}))
            else:
                self.stderr.write(f"error: {exc}")
            sys.exit(2)
        if opts["json"]:
            self.stdout.write(dumps(result))
            return
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(result["by_kind"].items())) or "nothing new"
        self.stdout.write(f"{result['processed']} mail(s) handled ({kinds}).")
        for item in result["items"]:
            if item["kind"] == "reply" and not item.get("duplicate"):
                who = f"customer {item['customer_id']} by {item['matched_by']}" if item["customer_id"] else "unmatched"
                self.stdout.write(f"  {item['source']}: {item['label']} ({who})")
        for error in result["errors"]:
            self.stderr.write(f"  {error.get('file') or error.get('uid')}: {error['error']}")
