"""Build the worklists each morning, keep them live during the day, rebalance them for absences.

`worklist_build(as_of=...)` and `worklist_refresh_customer(customer=...)` are the same sync over a
different scope: the candidates (what should be on a worklist, `selectors.worklist_candidates`) are
matched with the day's items by (source, source id); new ones are inserted, open ones get the
account's current expected value, and open items whose reason has gone (a call logged, a task done, a
dispute resolved, a follow-up done) are marked done: they drop off. One sync of a day runs at a time,
so a second run finds the first one's items and inserts nothing.

The sync works on plain columns: expected values come as numpy arrays (`selectors.risk`), the day's
items are read as tuples, compared with what they should be, and only the differences are written
(new rows by COPY on PostgreSQL, by one prepared INSERT on SQLite). See docs/worklist.md, "Benchmark".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction

from arrears.audit.services import audit_record
from arrears.common.clock import now, today
from arrears.ledger.models import Customer
from arrears.users.models import Role, Team
from arrears.worklist.errors import WorklistError, WorklistErrorCode
from arrears.worklist.models import Absence, ItemSource, ItemStatus, WorklistItem
from arrears.worklist.selectors import (
    Candidate,
    absent_user_ids,
    team_load,
    team_members,
    worklist_candidates,
)
from arrears.worklist.selectors.risk import P_DIGITS, W_DIGITS, RiskColumns, account_risk_columns
from arrears.worklist.selectors.worklist import iso, raw_rows

# Reasons that only matter while something is overdue: a payment that clears the account drops them.
NEEDS_OVERDUE = frozenset({
    ItemSource.CALL_TASK, ItemSource.STRATEGY_ACTION, ItemSource.PROMISE_BROKEN, ItemSource.INSTALMENT_MISSED,
})
ACCOUNT_FIELDS = (
    "currency", "amount_at_risk", "days_past_due", "probability", "probability_source", "age_weight", "score",
    "risk_text", "likelihood_text",
)
RISK_FIELDS = (*ACCOUNT_FIELDS, "reason", "due_date")
INSERT_FIELDS = ("user", "customer", "as_of", "source", "source_id", "status", "created_at", "updated_at", "done_note",
                 *RISK_FIELDS)
BATCH = 1000
LOCK_NAMESPACE = 0x574B4C53  # "WKLS": pg_advisory_xact_lock(namespace, day) serialises syncs of one day


@dataclass
class SyncResult:
    as_of: dt.date
    created: int = 0
    updated: int = 0
    closed: int = 0
    open: int = 0
    moved: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "created": self.created, "updated": self.updated,
                "closed": self.closed, "open": self.open, "moved": self.moved}


class _Driver:
    """Decimals as the database driver reads them back, so that the build compares plain values without
    Django's per-value conversions: floats on SQLite (Django stores decimals so too: NUMERIC affinity),
    Decimals on PostgreSQL. Dates are read as ISO text (`selectors.worklist.iso`) on both."""

    def __init__(self) -> None:
        self.sqlite = connection.vendor == "sqlite"

    def decimals(self, units: np.ndarray, places: int) -> list[Any]:
        """Integers in 10**-places as the column's values."""
        if self.sqlite:
            return (np.asarray(units, dtype=np.float64) / 10**places).tolist()
        return [Decimal(u).scaleb(-places) for u in units.tolist()]


def _account_values(risks: RiskColumns, driver: _Driver) -> list[tuple[Any, ...]]:
    """Each account's ACCOUNT_FIELDS, in the driver's representation."""
    n = len(risks.customer_ids)
    return list(zip(
        [risks.currency] * n,
        driver.decimals(risks.amount_at_risk, risks.exponent),
        risks.days_past_due.tolist(),
        driver.decimals(risks.probability, P_DIGITS),
        ["model" if m else "heuristic" for m in risks.from_model.tolist()],
        driver.decimals(risks.age_weight, W_DIGITS),
        driver.decimals(risks.score, risks.exponent),
        [t[:300] for t in risks.risk_text],
        [t[:300] for t in risks.likelihood_text],
        strict=True,
    ))


def _names() -> tuple[str, dict[str, str]]:
    """The items' table and its columns (by field name), quoted."""
    meta, quote = WorklistItem._meta, connection.ops.quote_name
    return quote(meta.db_table), {f.name: quote(f.column) for f in meta.concrete_fields}


def _copy_to_temp(cursor: Any, name: str, fields: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY rows into a temporary table `name` with the items' columns `fields` (dropped at commit)."""
    table, col = _names()
    columns = ", ".join(col[f] for f in fields)
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
    cursor.execute(f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA")
    with cursor.cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert(rows: list[tuple[Any, ...]]) -> None:
    """Insert new items (INSERT_FIELDS). PostgreSQL: one COPY; SQLite: one prepared INSERT executed for
    every row. `_sync` holds the day's lock and has read the day's items, so none of them exists yet (on
    SQLite ON CONFLICT DO NOTHING would skip one anyway)."""
    if not rows:
        return
    table, col = _names()
    columns = ", ".join(col[name] for name in INSERT_FIELDS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(INSERT_FIELDS))
        for i in range(0, len(rows), BATCH):
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows[i:i + BATCH])


def _update(rows: list[tuple[Any, ...]]) -> None:
    """Set RISK_FIELDS and updated_at of items: rows of (*values, updated_at, pk). PostgreSQL: COPY into a
    temporary table, then one UPDATE ... FROM; SQLite: one prepared UPDATE executed for every row."""
    if not rows:
        return
    table, col = _names()
    fields = (*RISK_FIELDS, "updated_at")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_to_temp(cursor, "worklist_changed", (*fields, "id"), rows)
            sets = ", ".join(f"{col[name]} = c.{col[name]}" for name in fields)
            cursor.execute(f"UPDATE {table} AS w SET {sets} FROM worklist_changed AS c WHERE w.{col['id']} = c.{col['id']}")
            return
        sets = ", ".join(f"{col[name]} = %s" for name in fields)
        for i in range(0, len(rows), BATCH):
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE {col['id']} = %s", rows[i:i + BATCH])


def _close(pks: list[int], *, at: Any, note: str) -> None:
    """Mark items done (their reason has gone)."""
    table, col = _names()
    sets = f"{col['status']} = %s, {col['done_at']} = %s, {col['done_note']} = %s, {col['updated_at']} = %s"
    with connection.cursor() as cursor:
        for i in range(0, len(pks), BATCH):
            chunk = pks[i:i + BATCH]
            cursor.execute(f"UPDATE {table} SET {sets} WHERE {col['id']} IN ({', '.join(['%s'] * len(chunk))})",
                           [ItemStatus.DONE, at, note[:200], at, *chunk])


def _lock_day(as_of: dt.date) -> None:
    """Let one sync of a day's items run at a time (a build and a customer's refresh, or two builds): the
    second waits, then reads what the first wrote. PostgreSQL: a transaction-level advisory lock; SQLite:
    the write lock that settings' IMMEDIATE transactions take at BEGIN."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, as_of.toordinal()])


def _sync(*, as_of: dt.date, candidates: list[Candidate], customer_id: int | None, reason_gone: str) -> SyncResult:
    """Match the candidates with the day's items by (source, source id): insert the new ones, bring the
    open ones' values up to date, close the open ones whose reason has gone."""
    result = SyncResult(as_of=as_of)
    risks = account_risk_columns(customer_ids={c.customer_id for c in candidates}, as_of=as_of)
    index = risks.index()
    accounts = _account_values(risks, _Driver())
    has_overdue = risks.has_overdue.tolist()
    at = connection.ops.adapt_datetimefield_value(now())
    iso_dates: dict[dt.date | None, str | None] = {None: None}
    iso_dates.update((d, d.isoformat()) for d in {c.due_date for c in candidates} | {as_of} if d is not None)
    day_ = iso_dates[as_of]
    day_items = WorklistItem.objects.filter(as_of=as_of)
    if customer_id is not None:
        day_items = day_items.filter(customer_id=customer_id)
    with transaction.atomic():
        _lock_day(as_of)
        existing = {
            (row[1], row[2]): row
            for row in raw_rows(day_items.values_list("pk", "source", "source_id", "status", *ACCOUNT_FIELDS, "reason", iso("due_date")))
        }
        new: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        for user_id, cust, source, source_id, reason, due in candidates:
            i = index[cust]
            if source in NEEDS_OVERDUE and not has_overdue[i]:
                continue  # paid up: nothing left to chase for this reason
            values = (*accounts[i], reason, iso_dates[due])
            row = existing.pop((source, source_id), None)
            if row is None:
                new.append((user_id, cust, day_, source, source_id, ItemStatus.OPEN, at, at, "", *values))
            elif row[3] == ItemStatus.OPEN and values != row[4:]:
                changed.append((*values, at, row[0]))
        gone = [row[0] for row in existing.values() if row[3] == ItemStatus.OPEN]
        _insert(new)
        _update(changed)
        _close(gone, at=at, note=reason_gone)
    result.created, result.updated, result.closed = len(new), len(changed), len(gone)
    return result


def worklist_build(*, as_of: dt.date) -> SyncResult:
    """The morning build of every collector's worklist for `as_of`. Safe to run again (and during the day).

    Then the open items of collectors absent that day go to their team mates (`worklist_rebalance`)."""
    result = _sync(as_of=as_of, candidates=worklist_candidates(as_of=as_of), customer_id=None, reason_gone="resolved")
    absent = absent_user_ids(as_of=as_of)
    for team in Team.objects.filter(members__in=absent).distinct():
        result.moved += worklist_rebalance(team=team, as_of=as_of).moved
    result.open = WorklistItem.objects.filter(as_of=as_of, status=ItemStatus.OPEN).count()
    return result


def worklist_refresh_customer(*, customer: Customer, as_of: dt.date | None = None, reason_gone: str = "resolved") -> SyncResult:
    """Bring one customer's items of the day up to date: after a call, a promise, a payment."""
    as_of = as_of or today()
    candidates = worklist_candidates(as_of=as_of, customer_ids=[customer.pk])
    result = _sync(as_of=as_of, candidates=candidates, customer_id=customer.pk, reason_gone=reason_gone)
    result.open = WorklistItem.objects.filter(as_of=as_of, customer_id=customer.pk, status=ItemStatus.OPEN).count()
    return result


def _may_lead(actor: Any, team: Team) -> bool:
    return actor is None or actor.is_superuser or actor.role in (Role.HEAD, Role.ADMIN) or (
        actor.role == Role.LEAD and team.lead_id == actor.pk
    )


@transaction.atomic
def worklist_rebalance(*, team: Team, as_of: dt.date, actor: Any = None) -> SyncResult:
    """Move the open items of the team's members absent on `as_of` to the present members, one account
    at a time (highest expected value first) to whoever has the fewest open items. Audited per account."""
    if not _may_lead(actor, team):
        raise WorklistError(WorklistErrorCode.REBALANCE_FORBIDDEN, f"only the lead of {team} or the head of collections may rebalance it")
    result = SyncResult(as_of=as_of)
    members = team_members(team=team)
    absent = absent_user_ids(as_of=as_of, user_ids=[m.pk for m in members])
    present = [m for m in members if m.pk not in absent and m.role in (Role.COLLECTOR, Role.LEAD)]
    if not absent or not present:
        return result
    load = team_load(user_ids=[m.pk for m in present], as_of=as_of)
    names = {m.pk: m.username for m in members}
    by_account: dict[tuple[int, int], list[WorklistItem]] = defaultdict(list)
    for item in WorklistItem.objects.select_for_update().filter(user_id__in=absent, as_of=as_of, status=ItemStatus.OPEN):
        by_account[(item.user_id, item.customer_id)].append(item)
    accounts = sorted(by_account.items(), key=lambda kv: (-max(i.score for i in kv[1]), kv[0][1]))
    moved: list[WorklistItem] = []
    for (from_id, customer_id), items in accounts:
        to_id = min(load, key=lambda pk: (load[pk], names[pk]))
        for item in items:
            item.moved_from_id = item.moved_from_id or from_id
            item.user_id = to_id
            moved.append(item)
        load[to_id] += len(items)
        audit_record(
            action="rebalance", object_type="worklist.worklistitem", object_id=",".join(str(i.pk) for i in items),
            customer_id=customer_id, before={"user": names[from_id]}, after={"user": names[to_id]},
            note=f"absence on {as_of.isoformat()}", actor=actor,
        )
    WorklistItem.objects.bulk_update(moved, ["user", "moved_from"], batch_size=2000)
    result.moved = len(moved)
    return result


@transaction.atomic
def absence_create(*, user: Any, start: dt.date, end: dt.date, actor: Any = None, note: str = "") -> Absence:
    """Record an absence (a team lead for their members, the head for anyone, anyone for themselves)."""
    if end < start:
        raise WorklistError(WorklistErrorCode.BAD_ABSENCE, f"end: {end} is before start {start}")
    if actor is not None and actor.pk != user.pk and not (
        (user.team_id is not None and _may_lead(actor, user.team)) or actor.is_superuser or actor.role in (Role.HEAD, Role.ADMIN)
    ):
        raise WorklistError(WorklistErrorCode.REBALANCE_FORBIDDEN, f"you may not record absences for {user}")
    absence = Absence.objects.create(user=user, start=start, end=end, note=note, created_by=actor)
    audit_record(action="create", obj=absence, after={"user": user.username, "start": start.isoformat(), "end": end.isoformat()},
                 actor=actor)
    return absence
