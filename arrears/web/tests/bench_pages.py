"""Time the list pages and the customer page over a large ledger (not collected by pytest).

    .venv/bin/python arrears/web/tests/bench_pages.py --database-url postgresql://arapp:arapp@127.0.0.1:5432/arapp
    .venv/bin/python arrears/web/tests/bench_pages.py --database-url ... --reuse --keep   # reuse a loaded database

Creates the scratch PostgreSQL database `arrears_web_bench` beside the one in the URL, loads it with
the generator of benchmarks/aging_bench.py (1,000,000 documents, 50,000 customers by default), then
requests each page with Django's test client as a head of collections, a team lead and a collector,
and reports the median wall time and the number of SQL queries per page.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[3]
DB_NAME = "arrears_web_bench"


def load_aging_bench():
    spec = importlib.util.spec_from_file_location("aging_bench", REPO / "benchmarks" / "aging_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True)
    p.add_argument("--documents", type=int, default=1_000_000)
    p.add_argument("--customers", type=int, default=50_000)
    p.add_argument("--collectors", type=int, default=60)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--seed", type=int, default=20260331)
    p.add_argument("--reuse", action="store_true")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()

    bench = load_aging_bench()
    url = urlunsplit(urlsplit(args.database_url)._replace(path=f"/{DB_NAME}"))
    if not args.reuse:
        bench.pg_admin(args.database_url, f"DROP DATABASE IF EXISTS {DB_NAME}")
        bench.pg_admin(args.database_url, f"CREATE DATABASE {DB_NAME}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    bench.django_setup(url)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from arrears.ledger.models import Customer, Document
    from arrears.users.models import Team, User
    from arrears.users.services import user_create

    try:
        if not args.reuse:
            call_command("migrate", verbosity=0)
            t0 = time.perf_counter()
            counts = bench.populate(args)
            bench.log(f"loaded {counts} in {time.perf_counter() - t0:.0f}s")
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
            head = user_create(username="bench-head", password="x", role="head")
            lead = user_create(username="bench-lead", password="x", role="lead")
            team = Team.objects.create(name="Bench team", lead=lead)
            User.objects.filter(username__in=[f"collector{i:03d}" for i in range(5)]).update(team=team)
        head = User.objects.get(username="bench-head")
        lead = User.objects.get(username="bench-lead")
        collector = User.objects.get(username="collector001")
        big = (
            Customer.objects.filter(collector=collector)
            .order_by("-id")
            .first()
        )
        doc = Document.objects.filter(customer__collector=collector).order_by("-id").first()
        pages = [
            ("home", "/"),
            ("customers", "/customers/"),
            ("customers overdue, oldest first", "/customers/?overdue=on&sort=oldest_due"),
            ("customers search", "/customers/?q=Customer+00012"),
            ("customers page 100", "/customers/?page=100"),
            ("documents", "/documents/"),
            ("documents overdue", "/documents/?overdue=on"),
            ("documents open, newest issue", "/documents/?status=open&sort=-issue_date"),
            ("documents search number", "/documents/?q=D0000123"),
            ("documents due range", "/documents/?due_from=2026-01-01&due_to=2026-01-31"),
            ("documents page 200", "/documents/?page=200"),
            ("customer page", f"/customers/{big.pk}/"),
            ("customer all documents tab", f"/customers/{big.pk}/tabs/documents/"),
            ("customer payments tab", f"/customers/{big.pk}/tabs/payments/"),
            ("document page", f"/documents/{doc.pk}/"),
            ("audit", "/audit/"),
        ]
        rows = []
        for who in (head, lead, collector):
            client = Client(headers={"HX-Request": "false"})
            client.force_login(who)
            for name, path in pages:
                if path == "/audit/" and not who.can_read_audit:
                    continue
                headers = {"HX-Request": "true"} if "/tabs/" in path else {}
                client.get(path, headers=headers)  # warm-up
                times = []
                for _ in range(args.repeat):
                    with CaptureQueriesContext(connection) as ctx:
                        t = time.perf_counter()
                        response = client.get(path, headers=headers)
                        times.append(time.perf_counter() - t)
                    assert response.status_code == 200, (who, path, response.status_code)
                rows.append((who.role, name, statistics.median(times) * 1000, len(ctx.captured_queries)))
                bench.log(f"{who.role:9} {name:34} {rows[-1][2]:8.1f} ms  {rows[-1][3]:2} queries")
        print(f"{'role':9} {'page':34} {'median ms':>9} {'queries':>7}")
        for role, name, ms, q in rows:
            print(f"{role:9} {name:34} {ms:9.1f} {q:7}")
    finally:
        connection.close()
        if not args.keep:
            bench.pg_admin(args.database_url, f"DROP DATABASE IF EXISTS {DB_NAME}")


if __name__ == "__main__":
    sys.exit(main())
