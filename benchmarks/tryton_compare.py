"""Tryton's dunning generate against our nightly run, at the same N, one right after the other.

    .venv/bin/python benchmarks/tryton_compare.py [--invoices 100000] [--tryton-python /tmp/tryton-venv/bin/python]
        [--database-url postgresql://arapp:arapp@127.0.0.1:5432/arapp] [--json]

Tryton runs from its own virtualenv OUTSIDE this repository (install it as ../shared/peers/TRYTON.md
§1 says, e.g. into /tmp/tryton-venv; never commit it). Its harness (../shared/peers/tryton_dunning_bench.py)
is run with ``python -O`` (Tryton at its best: without -O its ORM is quadratic, see TRYTON.md §5);
``--repeat 1`` by default to keep the comparison within minutes. The Tryton database is built once
(``--setup-only``, about 10 minutes at 100k) and reused when its files exist (``--db-dir``).

Then ``benchmarks/nightly_run.py --invoices N`` runs (its scratch PostgreSQL database, COPY load, first
night, nightly run). The ratio printed is Tryton's ``generate`` time over our nightly run's
``end_to_end_s`` and over our first night (every document new, like Tryton's generate, which creates
one dunning per overdue line). The goal is at least 100.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HARNESS = REPO.parent / "shared" / "peers" / "tryton_dunning_bench.py"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--invoices", type=int, default=100_000)
    p.add_argument("--tryton-python", default=os.environ.get("TRYTON_PYTHON", "/tmp/tryton-venv/bin/python"))
    p.add_argument("--db-dir", default=os.environ.get("TRYTON_DB_DIR", "/tmp/tryton-peer/db"))
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--harness", default=str(HARNESS))
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL",
                                                             "postgresql://arapp:arapp@127.0.0.1:5432/arapp"))
    p.add_argument("--json", action="store_true")
    p.add_argument("--celery-workers", type=int, default=0, metavar="W",
                   help="run our nights on W Celery worker processes (see benchmarks/nightly_run.py)")
    args = p.parse_args(argv)
    if not Path(args.tryton_python).exists():
        raise SystemExit(f"--tryton-python: {args.tryton_python} not found; install Tryton as "
                         "../shared/peers/TRYTON.md §1 says (into a virtualenv outside the repository)")
    harness_dir = str(Path(args.harness).parent)
    env = {**os.environ, "PEER": str(Path(args.db_dir).parent)}
    base = [args.tryton_python, "-O", args.harness, "-n", str(args.invoices), "--db-dir", args.db_dir]
    meta = Path(args.db_dir) / f"bench_{args.invoices}_{args.invoices}.meta.json"  # written when setup finished
    if not meta.exists():
        log(f"Tryton: building its database for N={args.invoices:,} (setup only; minutes)")
        subprocess.run([*base, "--setup-only"], check=True, cwd=harness_dir, env=env, stdout=subprocess.DEVNULL)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    try:
        log("Tryton: generate (python -O)")
        subprocess.run([*base, "--skip-setup", "--repeat", str(args.repeat), "--no-process", "--json", out],
                       check=True, cwd=harness_dir, env=env, stdout=subprocess.DEVNULL)
        with open(out) as fh:
            tryton = json.load(fh)
    finally:
        os.remove(out)
    log(f"Tryton: generate {tryton['generate_s_median']:.2f} s for {tryton['dunnings_created']:,} dunnings")

    log("ours: benchmarks/nightly_run.py")
    ours = json.loads(subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "nightly_run.py"), "--invoices", str(args.invoices), "--json",
         "--database-url", args.database_url, "--celery-workers", str(args.celery_workers)],
        check=True, stdout=subprocess.PIPE, cwd=REPO,
    ).stdout)["runs"][0]
    generate = float(tryton["generate_s_median"])
    result = {
        "invoices": args.invoices,
        "tryton": {"generate_s": generate, "dunnings_created": tryton["dunnings_created"],
                   "overdue_lines": tryton.get("overdue_lines"), "python_optimize": tryton.get("python_optimize"),
                   "repeats": tryton.get("generate_s_all")},
        "ours": {"nightly_end_to_end_s": ours["nightly"]["end_to_end_s"], "nightly_actions": ours["nightly"]["actions"],
                 "first_night_end_to_end_s": ours["first_night"]["end_to_end_s"],
                 "first_night_actions": ours["first_night"]["actions"],
                 "celery_workers": args.celery_workers,
                 "nightly_phases_s": ours["nightly"]["phases_s"]},
        "ratio_vs_nightly": round(generate / ours["nightly"]["end_to_end_s"], 1),
        "ratio_vs_first_night": round(generate / ours["first_night"]["end_to_end_s"], 1),
        "goal": 100,
    }
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        print(f"N={args.invoices:,}: Tryton generate {generate:.2f} s; ours nightly {ours['nightly']['end_to_end_s']:.2f} s "
              f"(ratio {result['ratio_vs_nightly']}), first night {ours['first_night']['end_to_end_s']:.2f} s "
              f"(ratio {result['ratio_vs_first_night']}); goal >= 100")


if __name__ == "__main__":
    main()
