"""Render and queue N emails from one run, and run the vectorised compliance gate over 1,000,000 planned contacts.

    .venv/bin/python benchmarks/comms_bench.py --messages 100000 [--json]
    .venv/bin/python benchmarks/comms_bench.py --messages 100000 \
        --database-url postgresql://arapp:arapp@127.0.0.1:5432/arapp [--json] [--keep]

A scratch database: a temporary SQLite file by default; with --database-url (PostgreSQL) a private
database `arrears_comms_bench` beside the one in the URL (CREATE DATABASE needs CREATEDB), dropped
at the end unless --keep. It is migrated (which loads the shipped templates) and filled with N
synthetic customers in four business units (DE, AT, GB, US; en/de; 20 % US consumers, whose
emails carry the opt-out link and the disclosure), one contact each and 1-6 open invoices each.

Timed:

1. `messages_queue_many` for N `reminder_1` emails, one call, as the nightly dispatch makes it: wall
   and CPU seconds, split into rendering (Jinja + content flags), the INSERTs (`bulk_create`) and the
   rest (loading customers, contacts, documents, building contexts). Reported: rendered per second
   (N / rendering time) and queued per second (N / the whole call), on wall and CPU clocks.
2. The same call again: every key exists, so nothing is rendered or written (the idempotent re-run).
3. `compliance.rules.batch.gate_batch` over 1,000,000 planned contacts built from the scratch
   customers (their profiles, candidate zones from address and phone, planned times through the day,
   40 % calls with call counts and conversations): decisions per second for the kernel (best of 3),
   and, separately, the seconds to build the columns.

Portal links: by default the placeholder signed link (the portal's per-customer token factory is
switched off: it writes a token and an audit row per link); --portal-links portal keeps it, to
measure that cost. --workers W (PostgreSQL) queues in W processes side by side, each a share of
the customers, the way partitions of the nightly run would. Progress goes to stderr;
--json prints one JSON document on stdout. /proc/loadavg is read before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 18)
NOW = dt.datetime(2026, 3, 18, 5, 0, tzinfo=dt.UTC)
SCRATCH_DB = "arrears_comms_bench"
UNITS = (  # code, country, currency, zone, language, jurisdiction, share of customers
    ("CB-DE", "DE", "EUR", "Europe/Berlin", "de", "eu_b2b"),
    ("CB-AT", "AT", "EUR", "Europe/Vienna", "de", "eu_b2b"),
    ("CB-GB", "GB", "GBP", "Europe/London", "en", "uk"),
    ("CB-US", "US", "USD", "America/New_York", "en", "us_consumer"),
    ("CB-DE2", "DE", "EUR", "Europe/Berlin", "en", "eu_b2b"),
)
US_STATES = ("NY", "CA", "TX", "IL", "AZ", "FL", "WA", "CO")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return ""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=10_000, help="emails to render and queue (N)")
    p.add_argument("--gate-rows", type=int, default=1_000_000, help="planned contacts for the gate")
    p.add_argument("--database-url", default="", help="PostgreSQL URL; a scratch database is made beside it")
    p.add_argument("--workers", type=int, default=1,
                   help="processes queueing side by side, each a share of the customers (PostgreSQL only)")
    p.add_argument("--portal-links", choices=("placeholder", "portal"), default="placeholder",
                   help="portal: keep the portal's per-customer token factory (a token and an audit row per link)")
    p.add_argument("--chunk-size", type=int, default=5000)
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = p.parse_args(argv)
    if args.messages < 1 or args.gate_rows < 1 or args.workers < 1:
        p.error("--messages, --gate-rows and --workers must be at least 1")
    if args.workers > 1 and not args.database_url:
        p.error("--workers: SQLite has one writer at a time (each call is one transaction); use --database-url")
    return args


def scratch_url(url: str) -> str:
    if not url.startswith("postgres"):
        raise SystemExit("--database-url: expected postgresql://user:pass@host:port/db")
    return urlunsplit(urlsplit(url)._replace(path=f"/{SCRATCH_DB}"))


def pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def django_setup(url: str) -> None:
    sys.path.insert(0, str(REPO))
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    import django

    django.setup()


def populate(n: int) -> dict[str, int]:
    """N customers, one contact each, 1-6 open invoices each; bulk inserts in one transaction."""
    from django.db import transaction

    from arrears.communications.models import SenderProfile
    from arrears.ledger.models import BusinessUnit, Contact, Customer, Document

    with transaction.atomic():
        units = []
        for code, country, currency, zone, _, _ in UNITS:
            unit = BusinessUnit.objects.create(code=code, name=f"Bench {code}", home_currency=currency,
                                               country=country, timezone=zone)
            SenderProfile.objects.create(business_unit=unit, from_name=f"Bench {code}",
                                         from_email=f"ar@{code.lower()}.example",
                                         reply_to=f"collections@{code.lower()}.example",
                                         letterhead=f"Bench {code}\nMain Street 1")
            units.append(unit)
        customers = []
        for i in range(n):
            u = i % len(UNITS)
            code, country, _, _, language, jurisdiction = UNITS[u]
            customers.append(Customer(
                business_unit=units[u], external_id=f"K{i:07d}", name=f"Customer {i} {code}", language=language,
                country=country, jurisdiction=jurisdiction,
                kind="consumer" if jurisdiction == "us_consumer" else "commercial", segment="bench",
            ))
        Customer.objects.bulk_create(customers, batch_size=2000)
        ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
        contacts, documents = [], []
        for i, pk in enumerate(ids):
            u = i % len(UNITS)
            country = UNITS[u][1]
            phone = {"US": f"+1212555{i % 10000:04d}", "GB": f"+4420794{i % 100000:05d}"}.get(
                country, f"+49309{i % 1000000:06d}")
            contacts.append(Contact(customer_id=pk, name=f"Contact {i}", email=f"c{i}@bench.example", phone=phone,
                                    address_line1=f"Street {i}", postal_code=f"{10000 + i % 89999}", city="City",
                                    region=US_STATES[i % len(US_STATES)] if country == "US" else "",
                                    country=country, is_primary=True))
            for k in range(1 + i % 6):
                amount = Decimal(100 + (i * 7 + k * 13) % 5000) + Decimal(k * 11 % 100) / 100
                issue = AS_OF - dt.timedelta(days=30 + (i + 17 * k) % 90)
                # open_amount = amount: no allocations exist in this scratch data
                documents.append(Document(business_unit_id=units[u].pk, customer_id=pk, external_id=f"INV{i:07d}-{k}",
                                          issue_date=issue, due_date=issue + dt.timedelta(days=30), amount=amount,
                                          currency=UNITS[u][2], open_amount=amount))
        Contact.objects.bulk_create(contacts, batch_size=2000)
        Document.objects.bulk_create(documents, batch_size=2000)
    return {"customers": len(ids), "contacts": len(contacts), "documents": len(documents)}


class Timer:
    """Wraps a function and adds up its wall and CPU seconds."""

    def __init__(self, fn: Any):
        self.fn, self.wall, self.cpu, self.calls = fn, 0.0, 0.0, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu
            self.calls += 1


def queue_slice(customer_ids: list[int], *, chunk_size: int, batch_size: int, portal: bool = False) -> dict[str, Any]:
    """One process's share: messages_queue_many for these customers, then the same call again."""
    from arrears.communications import links
    from arrears.communications.models import OutboundMessage
    from arrears.communications.services import QueueRequest, bulk, messages_queue_many

    if not portal:
        links.portal_link_factory_register(None)  # the signed placeholder (see the module docstring)
    requests = [QueueRequest(customer_id=cid, channel="email", step_key="reminder_1") for cid in customer_ids]
    render = Timer(bulk.render_compiled)
    bulk.render_compiled = render
    manager = OutboundMessage.objects
    insert = Timer(manager.bulk_create)
    manager.bulk_create = insert  # type: ignore[method-assign]
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        first = messages_queue_many(requests=requests, as_of=AS_OF, run_reference="bench", now=NOW,
                                    chunk_size=chunk_size, batch_size=batch_size)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        again_wall, again_cpu = time.perf_counter(), time.process_time()
        again = messages_queue_many(requests=requests, as_of=AS_OF, run_reference="bench", now=NOW,
                                    chunk_size=chunk_size, batch_size=batch_size)
        again_wall, again_cpu = time.perf_counter() - again_wall, time.process_time() - again_cpu
    finally:
        bulk.render_compiled = render.fn
        manager.bulk_create = insert.fn  # type: ignore[method-assign]
    return {"messages": len(requests), "new": first.new, "failed": first.failed, "wall_s": wall, "cpu_s": cpu,
            "render_wall_s": render.wall, "render_cpu_s": render.cpu, "insert_wall_s": insert.wall,
            "insert_cpu_s": insert.cpu, "rerun_existing": again.existing, "rerun_new": again.new,
            "rerun_wall_s": again_wall, "rerun_cpu_s": again_cpu}


def _worker(args: tuple[list[int], int, int, bool]) -> dict[str, Any]:
    from django.db import connections

    connections.close_all()  # the parent's connection is not shared across the fork
    try:
        return queue_slice(args[0], chunk_size=args[1], batch_size=args[2], portal=args[3])
    finally:
        connections.close_all()


def bench_queue(n: int, *, workers: int, chunk_size: int, batch_size: int, portal: bool = False) -> dict[str, Any]:
    import multiprocessing

    from django.db import connections

    from arrears.communications.models import OutboundMessage
    from arrears.ledger.models import Customer

    customer_ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:n])
    began = time.perf_counter()
    if workers == 1:
        parts = [queue_slice(customer_ids, chunk_size=chunk_size, batch_size=batch_size, portal=portal)]
    else:
        connections.close_all()
        slices = [customer_ids[w::workers] for w in range(workers)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_worker, [(ids, chunk_size, batch_size, portal) for ids in slices])
    wall = time.perf_counter() - began
    total = {k: sum(p[k] for p in parts) for k in parts[0]}
    stored = OutboundMessage.objects.filter(run_reference="bench").count()
    sample = OutboundMessage.objects.filter(run_reference="bench").order_by("pk").first()
    cpu = total["cpu_s"]
    render_wall = max(p["render_wall_s"] for p in parts)  # the workers render side by side
    log(f"queued {total['new']:,} in {wall:.1f} s wall / {cpu:.1f} s CPU with {workers} process(es)")
    return {
        "messages": n, "workers": workers, "portal_links": "portal" if portal else "placeholder", "new": total["new"], "failed": total["failed"], "stored": stored,
        "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "queued_per_s_wall": round(n / wall), "queued_per_cpu_s": round(n / cpu),
        "render_cpu_s": round(total["render_cpu_s"], 2), "render_wall_s": round(render_wall, 2),
        "rendered_per_s_wall": round(n / render_wall), "rendered_per_cpu_s": round(n / total["render_cpu_s"]),
        "insert_cpu_s": round(total["insert_cpu_s"], 2),
        "load_and_context_cpu_s": round(cpu - total["render_cpu_s"] - total["insert_cpu_s"], 2),
        "rerun": {"existing": total["rerun_existing"], "new": total["rerun_new"],
                  "wall_s": round(max(p["rerun_wall_s"] for p in parts), 2), "cpu_s": round(total["rerun_cpu_s"], 2)},
        "chars_per_message": (len(sample.html_body) + len(sample.text_body)) if sample else 0,
    }


def bench_gate(rows: int) -> dict[str, Any]:
    """1,000,000 planned contacts from the scratch customers, gated per profile by the vectorised kernel."""
    import numpy as np

    from arrears.compliance.rules import policy_for
    from arrears.compliance.rules.batch import GateColumns, gate_batch
    from arrears.compliance.rules.model import Address, Location, Profile
    from arrears.compliance.rules.zones import candidate_zones
    from arrears.ledger.models import Contact

    build = time.perf_counter()
    profile_of = {"us_consumer": Profile.US_CONSUMER, "uk": Profile.UK, "eu_b2b": Profile.EU_B2B}
    people = list(Contact.objects.filter(is_primary=True).order_by("customer_id")
                  .values_list("customer__jurisdiction", "country", "region", "phone"))
    zone_cache: dict[tuple[Any, ...], tuple[str, ...]] = {}
    per_profile: dict[Profile, list[tuple[str, ...]]] = {}
    for jurisdiction, country, region, phone in people:
        profile = profile_of.get(jurisdiction, Profile.EU_B2B)
        key = (profile, country, region, phone[:6])
        if key not in zone_cache:
            location = Location(addresses=(Address(country, region),), phones=(phone,))
            zone_cache[key] = candidate_zones(location, policy_for(profile).default_zones)[0]
        per_profile.setdefault(profile, []).append(zone_cache[key])
    rng = np.random.default_rng(20260318)
    start = int(dt.datetime.combine(AS_OF, dt.time(), tzinfo=dt.UTC).timestamp())
    batches = []
    for profile, zones in per_profile.items():
        share = round(rows * len(zones) / len(people))
        sets: dict[tuple[str, ...], int] = {}
        per_customer = np.asarray([sets.setdefault(z, len(sets)) for z in zones], dtype=np.int32)
        columns = GateColumns(
            at_s=start + rng.integers(0, 86400, share, dtype=np.int64),  # planned times through the day
            zone_set=per_customer[np.arange(share) % len(per_customer)],
            zone_sets=tuple(sets),
            is_call=rng.random(share) < 0.4,
            calls_in_window=rng.integers(0, 9, share, dtype=np.int32),
            days_since_conversation=rng.integers(-1, 14, share, dtype=np.int32),
            hold=rng.random(share) < 0.02,
        )
        batches.append((profile, policy_for(profile), columns))
    build = time.perf_counter() - build
    total = sum(len(c.at_s) for _, _, c in batches)
    for _, policy, columns in batches:  # warm the zones' transition tables
        gate_batch(columns, policy)
    best = float("inf")
    allowed = 0
    for _ in range(3):
        began = time.perf_counter()
        results = [gate_batch(columns, policy) for _, policy, columns in batches]
        best = min(best, time.perf_counter() - began)
        allowed = int(sum(int((r == 0).sum()) for r in results))
    return {
        "planned_contacts": total, "profiles": {str(p): len(c.at_s) for p, _, c in batches},
        "zone_sets": sum(len(c.zone_sets) for _, _, c in batches),
        "kernel_s": round(best, 4), "decisions_per_s": round(total / best), "allowed_share": round(allowed / total, 4),
        "build_columns_s": round(build, 2),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    tmpdir = ""
    if args.database_url:
        url = scratch_url(args.database_url)
        pg_admin(args.database_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
        pg_admin(args.database_url, f"CREATE DATABASE {SCRATCH_DB}")
        backend = "postgresql"
    else:
        tmpdir = tempfile.mkdtemp(prefix="comms_bench_")
        url = f"sqlite:///{tmpdir}/bench.sqlite3"
        backend = "sqlite"
    report: dict[str, Any] = {"backend": backend, "cpus": os.cpu_count(), "loadavg_before": loadavg()}
    try:
        django_setup(url)
        from django.core.management import call_command

        began = time.perf_counter()
        call_command("migrate", verbosity=0)
        log(f"migrated {backend} scratch database in {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        report["data"] = populate(args.messages)
        report["data"]["populate_s"] = round(time.perf_counter() - began, 1)
        log(f"populated {report['data']}")
        report["queue"] = bench_queue(args.messages, workers=args.workers, chunk_size=args.chunk_size,
                                      batch_size=args.batch_size, portal=args.portal_links == "portal")
        report["loadavg_after_queue"] = loadavg()
        report["gate"] = bench_gate(args.gate_rows)
        log(f"gate: {report['gate']['decisions_per_s']:,} decisions/s over {report['gate']['planned_contacts']:,}")
    finally:
        from django.db import connections

        connections.close_all()
        if args.database_url and not args.keep:
            with contextlib.suppress(Exception):
                pg_admin(args.database_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
        if tmpdir and not args.keep:
            shutil.rmtree(tmpdir, ignore_errors=True)
        elif tmpdir:
            log(f"kept {tmpdir}")
    report["loadavg_after"] = loadavg()
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return
    q, g = report["queue"], report["gate"]
    sys.stdout.write(
        f"{backend}: {q['messages']:,} emails rendered and queued in {q['wall_s']} s wall / {q['cpu_s']} s CPU"
        f" ({q['workers']} process(es))\n"
        f"  rendered: {q['rendered_per_s_wall']:,}/s wall, {q['rendered_per_cpu_s']:,}/CPU s "
        f"({q['render_cpu_s']} s CPU in Jinja + content flags)\n"
        f"  queued:   {q['queued_per_s_wall']:,}/s wall, {q['queued_per_cpu_s']:,}/CPU s "
        f"(CPU: inserts {q['insert_cpu_s']} s, loading + contexts {q['load_and_context_cpu_s']} s)\n"
        f"  re-run:   {q['rerun']['existing']:,} already queued, {q['rerun']['new']} new, {q['rerun']['wall_s']} s\n"
        f"gate: {g['planned_contacts']:,} planned contacts in {g['kernel_s']} s = {g['decisions_per_s']:,} decisions/s "
        f"({g['allowed_share']:.1%} allowed; columns built in {g['build_columns_s']} s)\n"
        f"load: before {report['loadavg_before']} | after {report['loadavg_after']}\n"
    )


if __name__ == "__main__":
    main()
