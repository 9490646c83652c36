"""Build the worklists each morning, keep them live during the day, rebalance them for absences.

`worklist_build(as_of=...)` and `worklist_refresh_customer(customer=...)` are the same sync over a
different scope: the candidates (what should be on a worklist, `selectors.worklist_candidates`) are
matched with the day's items by (source, source id); new ones are inserted (the database's unique
(user, as_of, source, source_id) makes a second run insert nothing), open ones get the account's
current expected value, and open items whose reason has gone (a call logged, a task done, a dispute
resolved, a follow-up done) are marked done: they drop off.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from arrears.audit.services import audit_record
from arrears.common.clock import now, today
from arrears.ledger.models import Customer
from arrears.users.models import Role, Team
from arrears.worklist.errors import WorklistError, WorklistErrorCode
from arrears.worklist.models import Absence, ItemSource, ItemStatus, WorklistItem
from arrears.worklist.selectors import (
    Candidate,
    absent_user_ids,
    account_risk_for_customers,
    team_load,
    team_members,
    worklist_candidates,
)

# Reasons that only matter while something is overdue: a payment that clears the account drops them.
NEEDS_OVERDUE = frozenset({
    ItemSource.CALL_TASK, ItemSource.STRATEGY_ACTION, ItemSource.PROMISE_BROKEN, ItemSource.INSTALMENT_MISSED,
})
RISK_FIELDS = (
    "currency", "amount_at_risk", "days_past_due", "probability", "probability_source", "age_weight", "score",
    "risk_text", "likelihood_text", "reason", "due_date",
)


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


def _insert(rows: list[dict[str, Any]], stamp: dt.datetime) -> None:
    """Insert new items with one executemany (the ORM's bulk_create spends most of a 20,000-account
    build preparing values); a row that already exists is skipped (ON CONFLICT DO NOTHING). Values are
    ints, strings, Decimals and dates, which both drivers adapt; the timestamp is adapted once."""
    if not rows:
        return
    names = list(rows[0])
    fields = [WorklistItem._meta.get_field(name) for name in names]
    table = connection.ops.quote_name(WorklistItem._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    at = connection.ops.adapt_datetimefield_value(stamp)
    params = [[at if v is stamp else v for v in row.values()] for row in rows]
    with connection.cursor() as cursor:
        for i in range(0, len(params), 5000):
            cursor.executemany(sql, params[i:i + 5000])


def _sync(*, as_of: dt.date, candidates: list[Candidate], scope: Q, reason_gone: str) -> SyncResult:
    result = SyncResult(as_of=as_of)
    existing = {
        (row[1], row[2]): row
        for row in WorklistItem.objects.filter(scope, as_of=as_of).values_list("pk", "source", "source_id", "status", *RISK_FIELDS)
    }
    risks = account_risk_for_customers(customer_ids={c.customer_id for c in candidates}, as_of=as_of)
    accounts: dict[int, dict[str, Any]] = {}
    stamp = now()
    new: list[dict[str, Any]] = []
    changed: list[WorklistItem] = []
    for c in candidates:
        risk = risks[c.customer_id]
        if c.source in NEEDS_OVERDUE and not any(a > 0 for a in risk.overdue.values()):
            continue  # paid up: nothing left to chase for this reason
        account = accounts.get(c.customer_id)
        if account is None:
            account = accounts[c.customer_id] = {
                "currency": risk.currency, "amount_at_risk": risk.amount_at_risk, "days_past_due": risk.days_past_due,
                "probability": risk.probability, "probability_source": risk.probability_source,
                "age_weight": risk.age_weight, "score": risk.score, "risk_text": risk.risk_text[:300],
                "likelihood_text": risk.likelihood_text[:300],
            }
        values = {**account, "reason": c.reason, "due_date": c.due_date}
        row = existing.pop((c.source, c.source_id), None)
        if row is None:
            new.append({"user": c.user_id, "customer": c.customer_id, "as_of": as_of, "source": c.source,
                        "source_id": c.source_id, "status": ItemStatus.OPEN, "created_at": stamp, "updated_at": stamp,
                        "done_at": None, "done_note": "", "moved_from": None, **values})
        elif row[3] == ItemStatus.OPEN and tuple(values[k] for k in RISK_FIELDS) != row[4:]:
            changed.append(WorklistItem(pk=row[0], updated_at=stamp, **values))
    gone = [WorklistItem(pk=row[0], status=ItemStatus.DONE, done_at=stamp, done_note=reason_gone[:200], updated_at=stamp)
            for row in existing.values() if row[3] == ItemStatus.OPEN]
    with transaction.atomic():
        _insert(new, stamp)
        WorklistItem.objects.bulk_update(changed, [*RISK_FIELDS, "updated_at"], batch_size=1000)
        WorklistItem.objects.bulk_update(gone, ["status", "done_at", "done_note", "updated_at"], batch_size=1000)
    result.created, result.updated, result.closed = len(new), len(changed), len(gone)
    return result


def worklist_build(*, as_of: dt.date) -> SyncResult:
    """The morning build of every collector's worklist for `as_of`. Safe to run again (and during the day).

    Then the open items of collectors absent that day go to their team mates (`worklist_rebalance`)."""
    result = _sync(as_of=as_of, candidates=worklist_candidates(as_of=as_of), scope=Q(), reason_gone="resolved")
    absent = absent_user_ids(as_of=as_of)
    for team in Team.objects.filter(members__in=absent).distinct():
        result.moved += worklist_rebalance(team=team, as_of=as_of).moved
    result.open = WorklistItem.objects.filter(as_of=as_of, status=ItemStatus.OPEN).count()
    return result


def worklist_refresh_customer(*, customer: Customer, as_of: dt.date | None = None, reason_gone: str = "resolved") -> SyncResult:
    """Bring one customer's items of the day up to date: after a call, a promise, a payment."""
    as_of = as_of or today()
    candidates = worklist_candidates(as_of=as_of, customer_ids=[customer.pk])
    result = _sync(as_of=as_of, candidates=candidates, scope=Q(customer_id=customer.pk), reason_gone=reason_gone)
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
