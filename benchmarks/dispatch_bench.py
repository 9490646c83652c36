"""Time the night's dispatch: letters (one print file), emails, SMS, call tasks.

Two measurements:

  render   N synthetic letters (German and English, some over several pages) through the print
           file's renderer: the batch render (`letters_pdf`) and, with --compare, the per-letter
           render + concatenation (`pdf_concatenate`). No database. Reports letters/s, wall and CPU.

  night    a copy of a populated PostgreSQL database (--template, e.g. nb_pop: the 100,000-document
           ledger with strategies seeded): `dunning_run(as_of, dispatch=False)` decides the night, then
           `dispatch_actions(run)` is timed (wall, CPU, SQL queries, letters/s of the whole dispatch).
           The template is only read (CREATE DATABASE ... TEMPLATE); the copy is dropped afterwards
           unless --keep.

    .venv/bin/python benchmarks/dispatch_bench.py render --letters 200 --compare --json
    .venv/bin/python benchmarks/dispatch_bench.py night --template nb_pop --as-of 2026-03-17 --json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PG = "postgresql://arrears:arrears@127.0.0.1:5432/"


def _setup(url: str) -> None:
    sys.path.insert(0, str(REPO))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.conf import settings

    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="dispatch-bench-"))


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> dict[str, float]:
    return {"wall_s": round(time.perf_counter() - start[0], 3), "cpu_s": round(time.process_time() - start[1], 3)}


def _letter(i: int) -> dict[str, Any]:
    language = "de" if i % 3 else "en"
    rows = 3 + (40 if i % 25 == 0 else i % 6)  # every 25th letter has a statement over two pages
    table = "".join(f"<tr><td>RE-{i}-{j:03d}</td><td>3 Feb 2026</td><td>3 Mar 2026</td><td class=\"r\">{j + 4}</td>"
                    f"<td class=\"r\">€{(i * 37 + j * 11) % 9000 + 10:,}.{j % 100:02d}</td></tr>" for j in range(rows))
    body = (f"<p>Dear customer {i},</p><p>The invoices below remain unpaid. Please settle the open amount.</p>"
            f'<table class="statement"><thead><tr><th>Invoice</th><th>Issued</th><th>Due</th><th class="r">Days</th>'
            f'<th class="r">Open</th></tr></thead><tbody>{table}</tbody></table><p>Kind regards</p>')
    return {"customer": {"name": f"Customer {i:05d}", "number": f"C{i:05d}"},
            "contact": {"name": f"AP {i}", "address_lines": [f"Street {i}", "10115 Berlin", "DE"]},
            "sender": {"letterhead": "Bench GmbH\nMain street 1", "return_address": "Bench GmbH · Main street 1",
                       "from_name": "Bench GmbH"},
            "subject": f"Reminder {i}", "body_html": body, "language": language,
            "country": "DE" if language == "de" else "GB", "date": dt.date(2026, 3, 17)}


def bench_render(letters: int, compare: bool) -> dict[str, Any]:
    _setup("sqlite:///:memory:")
    from arrears.communications.services.pdf import letter_html, letter_part, letters_pdf, pdf_concatenate

    specs = [_letter(i) for i in range(letters)]
    out: dict[str, Any] = {"letters": letters, "loadavg_before": os.getloadavg()}
    parts = [letter_part(**s) for s in specs]
    start = _clock()
    pdf, counts = letters_pdf(parts)
    out["batch"] = {**_since(start), "pages": sum(counts), "bytes": len(pdf)}
    out["batch"]["letters_per_s"] = round(letters / out["batch"]["wall_s"], 1)
    if compare:
        start = _clock()
        pdf, pages = pdf_concatenate([letter_html(**s) for s in specs])
        out["per_letter"] = {**_since(start), "pages": pages, "bytes": len(pdf)}
        out["per_letter"]["letters_per_s"] = round(letters / out["per_letter"]["wall_s"], 1)
    out["loadavg_after"] = os.getloadavg()
    return out


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(sql)


def bench_night(template: str, as_of: dt.date, keep: bool) -> dict[str, Any]:
    name = f"dispatch_bench_{os.getpid()}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        _setup(PG + name)
        from django.db import connection

        from arrears.communications.models import LetterBatch, OutboundMessage
        from arrears.dunning.services.nightly_run import dispatch_actions, dunning_run

        start = _clock()
        run, _ = dunning_run(as_of=as_of, dispatch=False)
        decide = _since(start)
        queries = [0]

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            queries[0] += 1
            return execute(sql, params, many, context)

        load = os.getloadavg()
        with connection.execute_wrapper(count):
            start = _clock()
            dispatched = dispatch_actions(run)
            timing = _since(start)
        run.refresh_from_db()
        letters = OutboundMessage.objects.filter(channel="letter", letter_batch__isnull=False).count()
        batch = LetterBatch.objects.order_by("-pk").first()
        out = {"database": name, "template": template, "as_of": as_of.isoformat(), "decide": decide,
               "dispatch": {**timing, "queries": queries[0], "actions": dispatched, "letters_printed": letters,
                            "letters_per_s": round(letters / timing["wall_s"], 1) if timing["wall_s"] else None,
                            "print_pages": batch.page_count if batch else 0},
               "counts": run.counts.get("dispatch"), "loadavg_before": load, "loadavg_after": os.getloadavg()}
        connection.close()
        return out
    finally:
        if not keep:
            from django.db import connections

            connections.close_all()
            _admin(f'DROP DATABASE IF EXISTS "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    render = sub.add_parser("render")
    render.add_argument("--letters", type=int, default=200)
    render.add_argument("--compare", action="store_true", help="also time the per-letter render")
    render.add_argument("--json", action="store_true")
    night = sub.add_parser("night")
    night.add_argument("--template", default="nb_pop")
    night.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 3, 17))
    night.add_argument("--keep", action="store_true", help="keep the database copy")
    night.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out = (bench_render(args.letters, args.compare) if args.mode == "render"
           else bench_night(args.template, args.as_of, args.keep))
    if args.json:
        print(json.dumps(out, default=str))
    else:
        for key, value in out.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
