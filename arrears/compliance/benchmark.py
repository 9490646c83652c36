"""Micro-benchmark of the compliance gate: `python -m arrears.compliance.benchmark [rows]`.

Prints decisions per second for the vectorised kernel (time window in every candidate zone, 7-in-7,
post-conversation, static holds) over `rows` planned contacts, and for the scalar `evaluate`.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import numpy as np

from arrears.compliance.rules import Channel, ContactContext, PlannedContact, Profile, evaluate, policy_for
from arrears.compliance.rules.batch import GateColumns, gate_batch
from arrears.compliance.rules.model import Address, ContactRecord, Location
from arrears.compliance.rules.policy import US_ZONES


def main(rows: int = 1_000_000) -> None:
    rng = np.random.default_rng(42)
    zone_sets = (
        ("America/New_York",),
        ("America/Chicago",),
        ("America/Los_Angeles",),
        ("America/Denver", "America/Phoenix"),
        ("America/New_York", "America/Chicago"),
        US_ZONES,
    )
    start = int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp())
    columns = GateColumns(
        at_s=rng.integers(start, start + 365 * 86400, rows, dtype=np.int64),
        zone_set=rng.integers(0, len(zone_sets), rows, dtype=np.int32),
        zone_sets=zone_sets,
        is_call=rng.random(rows) < 0.6,
        calls_in_window=rng.integers(0, 9, rows, dtype=np.int32),
        days_since_conversation=rng.integers(-1, 14, rows, dtype=np.int32),
        hold=rng.random(rows) < 0.02,
    )
    policy = policy_for(Profile.US_CONSUMER)
    gate_batch(columns, policy)  # warm the transition tables
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        reasons = gate_batch(columns, policy)
        best = min(best, time.perf_counter() - began)
    sys.stdout.write(f"vectorised: {rows:,} decisions in {best:.3f} s = {rows / best:,.0f} decisions/s "
          f"({(reasons == 0).mean():.1%} allowed)\n")

    history = tuple(
        ContactRecord(at=dt.datetime(2025, 6, d, 16, tzinfo=dt.UTC), channel=Channel.PHONE, debt_ids=("D1",))
        for d in range(2, 8)
    )
    ctx = ContactContext(
        profile=Profile.US_CONSUMER,
        location=Location(addresses=(Address("US", "CA"),), phones=("+12125550143",)),
        history=history,
    )
    n = 2_000
    contacts = [
        PlannedContact(at=dt.datetime(2025, 6, 8, tzinfo=dt.UTC) + dt.timedelta(minutes=7 * i),
                       debt_ids=("D1",), channel=Channel.PHONE)
        for i in range(n)
    ]
    began = time.perf_counter()
    blocked = sum(not evaluate(c, ctx).allowed for c in contacts)
    elapsed = time.perf_counter() - began
    sys.stdout.write(f"scalar evaluate: {n:,} decisions in {elapsed:.3f} s = {n / elapsed:,.0f} decisions/s "
          f"({blocked} blocked, next_allowed_at computed for each)\n")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
