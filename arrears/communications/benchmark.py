"""Rendering throughput: `python -m arrears.communications.benchmark [messages]`.

Renders the shipped reminder_1 email (subject, HTML, text and the content flags the gate reads) for
`messages` synthetic customers with 1-6 open items each, alternating en/de locales, in one process.
No database: this measures the template path of a run; queueing one row per message through
`message_queue` adds its queries (see docs/communications.md for that figure).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from decimal import Decimal

from arrears.communications.defaults import default_templates
from arrears.communications.rendering import locale_for, render_message


def _contexts(n: int):
    as_of = dt.date(2026, 3, 10)
    for i in range(n):
        de = i % 2 == 0
        docs = [{"number": f"RE-{i}-{k}", "issue_date": dt.date(2026, 1, 1 + k), "due_date": dt.date(2026, 2, 1 + k),
                 "days_past_due": 37 - k, "open_amount": Decimal(f"{100 + i % 900}.{k}5"), "currency": "EUR"}
                for k in range(1 + i % 6)]
        total = sum((d["open_amount"] for d in docs), Decimal(0))
        yield {
            "locale": locale_for("de" if de else "en", "DE" if de else "GB"), "today": as_of, "step": "reminder_1",
            "customer": {"name": f"Kunde {i}", "number": f"K{i}"}, "contact": {"name": f"Kontakt {i}"},
            "sender": {"from_name": "Acme GmbH"}, "documents": docs, "totals": [{"currency": "EUR", "amount": total}],
            "total": {"currency": "EUR", "amount": total}, "oldest_due_date": docs[0]["due_date"],
            "portal_link": f"https://ar.example/portal/{i}", "opt_out_required": False, "opt_out_url": "",
            "disclosure_required": False, "disclosure": "",
        }


def main(n: int = 100_000) -> None:
    specs = {(t["key"], t["channel"], t["language"]): t for t in default_templates()}
    contexts = list(_contexts(n))
    wall, cpu = time.perf_counter(), time.process_time()
    size = 0
    for ctx in contexts:
        t = specs[("reminder_1", "email", ctx["locale"][:2])]
        r = render_message(subject=t["subject"], html_body=t["html_body"], text_body=t["text_body"], context=ctx,
                           channel="email", step_key="reminder_1")
        size += len(r.html) + len(r.text)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    sys.stdout.write(f"rendered {n} emails (html+text+flags) in {wall:.2f}s wall / {cpu:.2f}s CPU: "
                     f"{n / wall:,.0f} per second wall, {n / cpu:,.0f} per CPU second; {size / n:,.0f} chars each; "
                     f"load {load:.2f}\n")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
