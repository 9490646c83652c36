"""Cash-application benchmark: 100,000 statement lines against 1,000,000 open documents.

    .venv/bin/python benchmarks/matching_bench.py                      # the pure core (default sizes)
    .venv/bin/python benchmarks/matching_bench.py --json
    .venv/bin/python benchmarks/matching_bench.py --e2e                # + end to end on a scratch SQLite file
    .venv/bin/python benchmarks/matching_bench.py --e2e --e2e-documents 1000000 --e2e-lines 100000

Core: a synthetic ledger (1M open documents of 100k customers, numbers in two series "INV-0001234"
and "RE-0001234" whose digits collide on purpose, 20k known payer IBANs) and 100k lines with a known
answer: messy document numbers, RF references, known IBAN + amount, name + amount, fuzzy names,
split payments and noise. It times building the index (`MatchIndex`) and `match_lines`, and checks
every automatic match against the answer (precision) - the target is under 10 s for the matching.

End to end (--e2e): migrates a scratch SQLite database, loads documents with executemany, writes a
CSV statement and runs `statement_import` (load the open documents in one query, match in memory,
post in bulk: lines, payments, allocations, document balances). Reported per phase.

Figures: wall-clock, CPU time of this process, peak RSS, load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Company names from a vocabulary of ~2,400 word forms (common words plus syllable pairs): real
# ledgers have thousands of distinct words in names; 60 words would make every name a near twin.
BASE = ["alpha", "beta", "gamma", "delta", "nord", "sued", "ost", "west", "blue", "green", "red", "solar", "lunar", "river", "stone", "iron", "oak", "pine", "bright", "swift", "prime", "metro", "urban", "royal", "global", "union", "atlas", "orbit", "vector", "pixel", "cargo", "harbor", "summit", "falcon", "eagle", "tiger", "lion", "bear", "wolf", "fox", "hawk", "maple", "cedar", "birch", "willow", "coral", "pearl", "amber", "ivory", "jade"]
SYLLABLES = ["ka", "lo", "mi", "ner", "sa", "tor", "vel", "qui", "bran", "dor", "fen", "gal", "hol", "jun", "kes", "lum", "mor", "nax", "pel", "ron", "sil", "tam", "ur", "wex", "zan"]
WORDS = BASE + [a + b + c for a in SYLLABLES for b in SYLLABLES for c in ("", "ia", "on")
                if a != b][:2400 - len(BASE)]
FORMS = ("GmbH", "Ltd", "Inc.", "AG", "SA", "BV", "LLC", "Oy", "S.r.l.", "plc")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def done(self) -> dict[str, float]:
        return {"wall_s": round(time.perf_counter() - self.wall, 3), "cpu_s": round(time.process_time() - self.cpu, 3)}


def iban_for(n: int) -> str:
    from stdnum.iban import calc_check_digits

    bban = f"37040044{n:010d}"
    return f"DE{calc_check_digits('DE00' + bban)}{bban}"


def synth_ledger(n_docs: int, n_customers: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n_docs + 1, dtype=np.int64)
    customers = rng.integers(1, n_customers + 1, n_docs).astype(np.int64)
    amounts = (rng.lognormal(9.5, 1.2, n_docs).astype(np.int64) + 100)  # minor units, ~130 EUR median
    due = (dt.date(2026, 1, 1).toordinal() + rng.integers(0, 120, n_docs)).astype(np.int64)
    series = np.where(ids % 2 == 0, "INV", "RE")
    numbers = (ids + 1) // 2  # INV-0000001 and RE-0000001 share their digits
    external = [f"{s}-{n:07d}" for s, n in zip(series.tolist(), numbers.tolist(), strict=True)]
    pyrng = random.Random(seed)
    names = [" ".join(pyrng.choice(WORDS).title() for _ in range(pyrng.choice((2, 3, 3, 4)))) + " " + pyrng.choice(FORMS)
             for _ in range(n_customers)]
    ibans = {iban_for(c): {c} for c in range(1, n_customers + 1, n_customers // 20000 or 1)}
    return {"ids": ids, "customers": customers, "amounts": amounts, "due": due, "external": external,
            "names": names, "ibans": ibans, "currency": "EUR"}


def synth_lines(led: dict[str, Any], n_lines: int, seed: int) -> tuple[list[dict[str, Any]], list[tuple[int, set[int]]]]:
    """Lines and their answers: (customer id or 0, document ids it should pay)."""
    from arrears.payments.references import creditor_reference

    rng = random.Random(seed)
    n_docs = len(led["ids"])
    cust_docs: dict[int, list[int]] = {}
    picked = rng.sample(range(n_docs), min(n_docs, n_lines * 2))
    for p in picked:
        cust_docs.setdefault(int(led["customers"][p]), []).append(p)
    iban_of = {next(iter(c)): iban for iban, c in led["ibans"].items()}
    used: set[int] = set()
    lines, truth = [], []

    def fresh() -> int:
        while True:
            p = picked[rng.randrange(len(picked))]
            if p not in used:
                used.add(p)
                return p

    for _i in range(n_lines):
        kind = rng.random()
        p = fresh()
        cust = int(led["customers"][p])
        amount = int(led["amounts"][p])
        ext = led["external"][p]
        series, digits = ext.split("-")
        line = {"amount": amount, "name": "", "iban": "", "text": "", "ref": ""}
        if kind < 0.25:  # clean number
            line["text"] = f"Invoice {ext}"
        elif kind < 0.40:  # messy: lower case, no dash, no zeros
            line["text"] = rng.choice([f"{series.lower()} {int(digits)}", f"{series}{int(digits)} thx", f"ref: {series}.{digits}"])
        elif kind < 0.48:  # two documents of one customer in one payment
            others = [q for q in cust_docs.get(cust, []) if q != p and q not in used]
            if others:
                q = others[0]
                used.add(q)
                line["amount"] += int(led["amounts"][q])
                line["text"] = f"{ext}, {led['external'][q]}"
                lines.append(line)
                truth.append((cust, {int(led["ids"][p]), int(led["ids"][q])}))
                continue
            line["text"] = ext
        elif kind < 0.58:  # RF creditor reference
            line["ref"] = creditor_reference(f"D{int(led['ids'][p])}")
        elif kind < 0.70 and cust in iban_of:  # known IBAN, exact amount
            line["iban"] = iban_of[cust]
        elif kind < 0.80:  # name and exact amount
            line["name"] = led["names"][cust - 1].upper().replace(",", "")
        elif kind < 0.85:  # short payment with the number
            line["amount"] = amount // 2 or 1
            line["text"] = f"part payment {ext}"
        elif kind < 0.90:  # fuzzy name
            name = led["names"][cust - 1]
            k = rng.randrange(3, max(4, len(name) - 1))
            line["name"] = name[:k] + name[k + 1:]
        else:  # noise: unknown payer
            line.update(amount=rng.randrange(100, 10_000_00), name="Unknown Payer", text=rng.choice(["", "gift", "refund 12"]))
            lines.append(line)
            truth.append((0, set()))
            continue
        lines.append(line)
        truth.append((cust, {int(led["ids"][p])}))
    return lines, truth


def bench_core(args: argparse.Namespace) -> dict[str, Any]:
    from arrears.payments.matching import Lines, MatchIndex, OpenDocuments, Payers, match_lines

    log(f"generating {args.documents:,} documents, {args.customers:,} customers, {args.lines:,} lines")
    led = synth_ledger(args.documents, args.customers, args.seed)
    lines, truth = synth_lines(led, args.lines, args.seed)
    docs = OpenDocuments(led["ids"], led["customers"], led["external"], ["EUR"] * len(led["ids"]), led["amounts"], led["due"])
    payers = Payers(list(range(1, args.customers + 1)), led["names"], led["ibans"])
    batch = Lines([ln["amount"] for ln in lines], ["EUR"] * len(lines), [True] * len(lines), [ln["name"] for ln in lines],
                  [ln["iban"] for ln in lines], [ln["text"] for ln in lines], [ln["ref"] for ln in lines])
    load_before = os.getloadavg()
    t = Timer()
    index = MatchIndex(docs, payers, exponents={"EUR": 2})
    build = t.done()
    log(f"index built: {build}")
    t = Timer()
    matches = match_lines(batch, index)
    match = t.done()
    log(f"matched: {match}")
    auto = [(m, tr) for m, tr in zip(matches, truth, strict=True) if m.status == "matched"]
    correct = sum(1 for m, (cust, docs_) in auto if m.customer_id == cust and {d for d, _ in m.allocations} <= docs_)
    statuses = {s: sum(1 for m in matches if m.status == s) for s in ("matched", "suggested", "unmatched")}
    return {
        "documents": args.documents, "customers": args.customers, "lines": args.lines,
        "index_build": build, "match": match,
        "total_wall_s": round(build["wall_s"] + match["wall_s"], 3),
        "lines_per_s": round(args.lines / match["wall_s"]),
        "statuses": statuses, "auto_match_rate": round(statuses["matched"] / len(matches), 4),
        "auto_precision": round(correct / len(auto), 4) if auto else None,
        "peak_rss_mb": round(rss_mb(), 1), "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
    }


# ------------------------------------------------------------------------------------------ end to end


def bench_e2e(args: argparse.Namespace) -> dict[str, Any]:
    path = args.sqlite_path or os.path.join(tempfile.gettempdir(), f"arrears_matching_bench_{os.getpid()}.sqlite3")
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.conf import settings

    if "arrears.payments" not in settings.INSTALLED_APPS:
        raise SystemExit("arrears.payments is not in INSTALLED_APPS yet")
    from django.core.management import call_command
    from django.db import connection

    from arrears.payments import selectors, services
    from arrears.payments.matching import match_lines
    from arrears.payments.tests.builders import Entry, csv_text

    out: dict[str, Any] = {"database": "sqlite", "documents": args.e2e_documents, "lines": args.e2e_lines}
    try:
        t = Timer()
        call_command("migrate", verbosity=0)
        led = synth_ledger(args.e2e_documents, max(1000, args.e2e_documents // 10), args.seed)
        n_cust = len(led["names"])
        now = "2026-03-01 00:00:00"
        with connection.cursor() as cur:
            cur.execute("INSERT INTO ledger_businessunit (created_at, updated_at, code, name, home_currency, country, subdivision, timezone) "
                        "VALUES (%s, %s, 'BENCH', 'Bench', 'EUR', 'DE', '', 'UTC')", [now, now])
            cur.executemany(
                "INSERT INTO ledger_customer (id, created_at, updated_at, business_unit_id, external_id, name, kind, jurisdiction, country, segment, "
                "timezone, language, preferred_channel, payment_terms_days, paused, cease_communication, do_not_contact, bankruptcy, "
                "attorney_represented, attributes, credit_currency) VALUES (%s, %s, %s, 1, %s, %s, 'commercial', 'other', 'DE', '', '', 'en', 'email', 30, "
                "0, 0, 0, 0, 0, '{}', '')",
                [(c, now, now, f"C{c:07d}", led["names"][c - 1]) for c in range(1, n_cust + 1)])
            rows = ((int(i), now, now, int(c), e, "invoice", dt.date.fromordinal(int(d) - 30).isoformat(),
                     dt.date.fromordinal(int(d)).isoformat(), f"{a / 100:.2f}", "EUR", "", f"{a / 100:.2f}", "open", "{}")
                    for i, c, e, a, d in zip(led["ids"], led["customers"], led["external"], led["amounts"], led["due"], strict=True))
            cur.executemany(
                "INSERT INTO ledger_document (id, created_at, updated_at, customer_id, external_id, kind, issue_date, due_date, amount, "
                "currency, reference, open_amount, status, attributes, business_unit_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1)",
                rows)
            cur.executemany("INSERT INTO payments_customerbankaccount (created_at, updated_at, customer_id, iban, holder_name) VALUES (%s, %s, %s, %s, '')",
                            [(now, now, next(iter(c)), iban) for iban, c in led["ibans"].items()])
        out["setup"] = t.done()
        log(f"scratch ledger loaded: {out['setup']}")
        lines, _ = synth_lines(led, args.e2e_lines, args.seed)
        entries = [Entry(f"{ln['amount'] / 100:.2f}", ln["text"] or ln["ref"], ln["name"], ln["iban"], bank_ref=f"B{k}")
                   for k, ln in enumerate(lines)]
        content = csv_text(entries).encode()
        load_before = os.getloadavg()
        t = Timer()
        index = selectors.match_index_load()
        out["load_index"] = t.done()
        t = Timer()
        parsed_lines = services._lines(services.statement_parse("bench.csv", content).lines)
        out["parse"] = t.done()
        t = Timer()
        match_lines(parsed_lines, index)
        out["match_only"] = t.done()
        log(f"load {out['load_index']}, parse {out['parse']}, match {out['match_only']}")
        # Time the "payments allocated" listeners of the apps above (promises, plans) apart: they
        # are not part of cash application, and they run inside the same transaction.
        from arrears.ledger import events

        spent = {"wall_s": 0.0, "cpu_s": 0.0}

        def timed(listener: Any) -> Any:
            def run(ids: list[int]) -> None:
                t0, c0 = time.perf_counter(), time.process_time()
                listener(ids)
                spent["wall_s"] += time.perf_counter() - t0
                spent["cpu_s"] += time.process_time() - c0
            return run

        events._listeners[:] = [timed(listener) for listener in events._listeners]
        t = Timer()
        result = services.statement_import(file_name="bench.csv", content=content)
        out["statement_import_total"] = t.done()
        out["of_which_payment_listeners"] = {k: round(v, 3) for k, v in spent.items()}
        out["report"] = {k: result.report[k] for k in ("lines", "credits", "auto_matched", "suggested", "unmatched", "match_rate")}
        out["peak_rss_mb"] = round(rss_mb(), 1)
        out["loadavg_before"], out["loadavg_after"] = load_before, os.getloadavg()
        log(f"statement_import: {out['statement_import_total']}")
    finally:
        if not args.keep:
            connection.close()
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--documents", type=int, default=1_000_000)
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--lines", type=int, default=100_000)
    p.add_argument("--e2e", action="store_true", help="also run statement_import on a scratch SQLite database")
    p.add_argument("--e2e-documents", type=int, default=200_000)
    p.add_argument("--e2e-lines", type=int, default=20_000)
    p.add_argument("--sqlite-path")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--seed", type=int, default=20260302)
    args = p.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    result: dict[str, Any] = {"core": bench_core(args)}
    if args.e2e:
        result["e2e"] = bench_e2e(args)
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
