"""Every KPI of a period, per group, in one reporting currency: the ledger's figures fed to the pure
functions of `arrears.analytics.kpis` (which hold the formulas; nothing is restated here except the
amount-weighted day counts of §9, whose sums are taken in SQL).

Conventions (docs/analytics.md):
- the period is [start, end], both days included; balances at the end of `end`, the beginning
  balance at the end of the day before `start`;
- roll rates compare the month end before `end` (or the same day a month earlier) with `end`;
- countback DSO needs `end` to be a month end, CEI a period of whole months (else n/a with a reason).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from arrears.analytics import kpis as K
from arrears.analytics.errors import AnalyticsError, AnalyticsErrorCode
from arrears.analytics.kpis.core import KpiInputError, KpiResult, Reason, Unit
from arrears.analytics.kpis.roll_rates import PAID, WRITTEN_OFF, Snapshot, SnapshotItem
from arrears.analytics.selectors import activity
from arrears.analytics.selectors.fx import FxTable
from arrears.analytics.selectors.ledger import (
    BUCKETS,
    EVERYONE,
    WRITTEN_OFF_COL,
    Balance,
    CashFigures,
    Key,
    N,
    Scope,
    balances_at_many,
    balances_convert,
    balances_total,
    cash_applied_raw,
    cash_convert,
    cells_total,
    check_grouping,
    credit_sales_convert,
    credit_sales_raw,
    currencies_in_use,
    flows_total,
    migration_cells,
    migration_convert,
    open_items_many,
    snapshot_exists,
    write_offs_convert,
    write_offs_raw,
)
from arrears.common.money import MoneyError, check_currency, quantize

BUCKET_TITLES = {"current": "Current", "121+": "120+"}
# Undefined for a reason the pure package has no code for (a property of the request, not the data).
PERIOD_NOT_WHOLE_MONTHS = "PERIOD_NOT_WHOLE_MONTHS"
PERIOD_NOT_MONTH_END = "PERIOD_NOT_MONTH_END"
NOT_APPLICABLE = "NOT_APPLICABLE"
NO_TARGET = "NO_TARGET"


def bucket_title(label: str) -> str:
    return BUCKET_TITLES.get(label, label)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def is_month_end(day: dt.date) -> bool:
    return day == month_end(day)


def previous_snapshot_date(end: dt.date) -> dt.date:
    """The earlier of the two roll-rate snapshots: the previous month end, or the same day a month
    before (clamped to the month's length) when `end` is not a month end."""
    first = end.replace(day=1)
    prev_last = first - dt.timedelta(days=1)
    if is_month_end(end):
        return prev_last
    return prev_last.replace(day=min(end.day, prev_last.day))


def months_back(end: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """`count` calendar months ending with the month of `end`, most recent first."""
    return [(p.start, p.end) for p in K.months_ending(end, count)]


def _undefined(kpi: str, unit: Unit, reason: str, method: str | None = None) -> dict[str, Any]:
    return {"kpi": kpi, "unit": str(unit), "value": None, "display": None, "reason": reason, "flags": [], "method": method}


def _d(result: KpiResult | dict[str, Any]) -> dict[str, Any]:
    return result if isinstance(result, dict) else result.as_dict()


def _weighted(kpi: str, total: Decimal, amount: Decimal, method: str | None = None) -> KpiResult:
    if not amount:
        return KpiResult.undefined(kpi, Unit.DAYS, Reason.NO_PAYMENTS, method=method)
    return KpiResult.of(kpi, Unit.DAYS, Fraction(total) / Fraction(amount), method=method)


@dataclass
class GroupKpis:
    key: Key
    label: str
    kpis: dict[str, dict[str, Any]] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    matrix: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "kpis": self.kpis, "figures": self.figures}


@dataclass
class KpiReport:
    start: dt.date
    end: dt.date
    by: str | None
    currency: str
    groups: list[GroupKpis]
    total: GroupKpis | None
    roll_from: dt.date
    fx_rates: dict[str, list[tuple[dt.date, Decimal]]]

    def as_dict(self) -> dict[str, Any]:
        period = K.Period(self.start, self.end)
        try:
            months: int | None = period.months
        except KpiInputError:
            months = None
        return {
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat(), "days": period.days, "months": months},
            "by": self.by,
            "currency": self.currency,
            "roll_rates_between": [self.roll_from.isoformat(), self.end.isoformat()],
            "fx_rates": {c: [[d.isoformat(), str(r)] for d, r in rates] for c, rates in sorted(self.fx_rates.items())},
            "groups": [g.as_dict() for g in self.groups],
            "total": self.total.as_dict() if self.total else None,
        }


def default_currency() -> str:
    """The reporting currency when none is given: the ledger's only currency."""
    used = currencies_in_use()
    if len(used) > 1:
        raise AnalyticsError(
            AnalyticsErrorCode.CURRENCY_REQUIRED,
            f"the ledger holds several currencies ({', '.join(used)}): choose a reporting currency with --currency",
        )
    return used[0] if used else "EUR"


def _money(amount: Decimal, currency: str) -> str:
    return str(quantize(amount, currency))


def _matrix_snapshots(cells: dict[tuple[int, int], Decimal], prev: dt.date, curr: dt.date) -> tuple[Snapshot, Snapshot]:
    """Two item snapshots whose items are the matrix cells: each cell's t-1 balance moves as one item,
    so `migration_matrix`/`roll_rates` (cohort) give exactly the rates of the documents behind it."""
    before, after = [], []
    for (bp, sc), balance in sorted(cells.items()):
        ref = f"{bp}->{sc}"
        before.append(SnapshotItem(ref, BUCKETS[bp], balance))
        state = BUCKETS[sc] if sc < N else (WRITTEN_OFF if sc == WRITTEN_OFF_COL else PAID)
        after.append(SnapshotItem(ref, state, Decimal(0) if sc >= N else balance))
    return Snapshot(prev, tuple(before)), Snapshot(curr, tuple(after))


def _cei(begin: Decimal, sales: Decimal, end_total: Decimal, end_current: Decimal, period: K.Period) -> KpiResult | dict[str, Any]:
    try:
        months = period.months
    except KpiInputError:
        return _undefined("cei", Unit.PERCENT, PERIOD_NOT_WHOLE_MONTHS)
    return K.cei(begin, sales, end_total, end_current, months=months)


def _group_kpis(
    g: GroupKpis,
    *,
    period: K.Period,
    currency: str,
    begin: Balance,
    end: Balance,
    sales: Decimal,
    monthly: list[Decimal] | None,
    cash: CashFigures,
    written_off: Decimal,
    promises: list[Any],
    disputes: list[Any],
    calls: dict[str, int] | None,
    target: Decimal | None,
    attainment_applies: bool,
    cells: dict[tuple[int, int], Decimal],
    roll_from: dt.date,
) -> None:
    days = period.days
    out: dict[str, KpiResult | dict[str, Any]] = {}
    dso = K.dso(end.total_ar, sales, days)
    bpdso = K.best_possible_dso(end.current, sales, days)
    out["dso"] = dso
    out["dso_average_ar"] = K.dso(end.total_ar, sales, days, method="average_ar", beginning_ar=begin.total_ar)
    out["bpdso"] = bpdso
    out["add"] = K.average_days_delinquent(dso, bpdso)
    if monthly is not None:
        months = [(m, p.days) for m, p in zip(monthly, K.months_ending(period.end, len(monthly)), strict=True)]
        cb = K.countback_dso(end.total_ar, months)
        cb_best = K.countback_best_possible_dso(end.current, months)
        out["dso_countback"], out["bpdso_countback"] = cb, cb_best
        out["add_countback"] = K.average_days_delinquent(cb, cb_best)
    else:
        for name in ("dso_countback", "bpdso_countback", "add_countback"):
            out[name] = _undefined(name, Unit.DAYS, PERIOD_NOT_MONTH_END, method="countback")
    out["cei"] = _cei(begin.total_ar, sales, end.total_ar, end.current, period)
    out["percent_current"] = K.percent_current(end.current, end.total_ar)
    out["percent_over_90"] = K.percent_over_90(end.buckets[4] + end.buckets[5], end.total_ar)
    out["adp_w"] = _weighted("adp_w", cash.days_to_pay, cash.amount)
    out["terms_w"] = _weighted("terms_w", cash.terms, cash.amount)
    out["dbt_w"] = _weighted("dbt_w", cash.beyond, cash.amount, method="signed")
    out["dbt_late_w"] = _weighted("dbt_w", cash.late_only, cash.amount, method="late_only")
    ptp = K.ptp_kept_rate(promises, as_of=period.end)
    out["ptp_kept_rate_count"], out["ptp_kept_rate_amount"] = ptp.count_rate, ptp.amount_rate
    stats = K.dispute_resolution_stats(disputes, period.end, period=period)
    out["dispute_resolution_mean"] = stats.mean
    out["dispute_resolution_median"] = stats.median
    out["oldest_open_dispute_age"] = stats.oldest_open_age
    c = calls or {"attempts": 0, "connects": 0, "rpcs": 0, "promises": 0}
    rpc = K.rpc_rates(c["attempts"], c["connects"], c["rpcs"], promises=c["promises"])
    out["rpc_rate_per_attempt"], out["rpc_rate_per_connect"], out["ptp_per_rpc"] = rpc.per_attempt, rpc.per_connect, rpc.ptp_per_rpc
    if not attainment_applies:
        out["collector_attainment"] = _undefined("collector_attainment", Unit.PERCENT, NOT_APPLICABLE)
    elif target is None:
        out["collector_attainment"] = _undefined("collector_attainment", Unit.PERCENT, NO_TARGET)
    else:
        out["collector_attainment"] = K.collector_attainment(cash.amount, target)
    ratio = K.write_off_ratio(written_off, sales)
    out["write_off_ratio_gross"], out["write_off_ratio_net"] = ratio.gross, ratio.net
    prev_snap, curr_snap = _matrix_snapshots(cells, roll_from, period.end)
    rolls = K.roll_rates(prev_snap, curr_snap)
    for (a, b), r in rolls.items():
        out[f"roll_rate:{a}->{b}"] = r
    out["chained_roll_rate"] = K.chained_roll_rate(rolls)
    g.kpis = {name: _d(r) for name, r in out.items()}
    matrix = K.migration_matrix(prev_snap, curr_snap)
    g.matrix = {row: {col: Decimal(matrix.cells[row, col].numerator) / Decimal(matrix.cells[row, col].denominator)
                      for col in matrix.columns} for row in matrix.rows}
    g.figures = {
        "credit_sales": _money(sales, currency),
        "ar_begin": _money(begin.total_ar, currency),
        "ar_end": _money(end.total_ar, currency),
        "current_end": _money(end.current, currency),
        "past_due_end": _money(end.open_total - end.current, currency),
        "unapplied_end": _money(end.unapplied, currency),
        "disputed_end": _money(end.disputed, currency),
        "buckets_end": {label: _money(v, currency) for label, v in end.bucket_map().items()},
        "open_documents_end": end.documents,
        "cash_collected": _money(cash.amount, currency),
        "write_offs": _money(written_off, currency),
        "target": None if target is None else _money(target, currency),
        "promises": {"kept": ptp.kept, "broken": ptp.broken, "pending": ptp.pending, "cancelled": ptp.cancelled},
        "disputes": {"closed": stats.closed_count, "open": stats.open_count},
        "calls": c,
        "monthly_sales": None if monthly is None else [_money(m, currency) for m in monthly],
    }


def _parallel_reads() -> bool:
    """Independent reads may run at once: PostgreSQL, setting on, and no transaction of the caller's
    (other connections would not see its uncommitted rows)."""
    return (connection.vendor == "postgresql" and bool(getattr(settings, "ANALYTICS_PARALLEL_READS", True))
            and not connection.in_atomic_block)


def reads_together(reads: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run independent reads of the ledger at once, each on its own connection, all in the same
    snapshot of the database (exported by this connection, imported by the others: REPEATABLE READ),
    so the figures are those a single read would give. Elsewhere (SQLite, inside a transaction) one
    after the other. The reads are separate scans of different tables: on two cores the report then
    takes about as long as its longest read, not the sum."""
    if len(reads) < 2 or not _parallel_reads():
        return {name: read() for name, read in reads.items()}
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cur.fetchone()

        def in_snapshot(read: Callable[[], Any]) -> Any:
            try:
                with transaction.atomic(), connection.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    cur.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                    return read()
            finally:
                connection.close()  # a connection of this worker thread

        first, *others = reads.items()
        with ThreadPoolExecutor(max_workers=len(others)) as pool:
            futures = {name: pool.submit(in_snapshot, read) for name, read in others}
            out = {first[0]: first[1]()}  # this connection reads too, in its own (exporting) transaction
            out.update({name: future.result() for name, future in futures.items()})
    return out


def kpi_report(
    *,
    start: dt.date,
    end: dt.date,
    by: str | None = None,
    currency: str | None = None,
    scope: Scope = EVERYONE,
    balance_source: str = "live",
) -> KpiReport:
    """Every KPI of [start, end] per group (`by`) and for the whole scope, in `currency`."""
    check_grouping(by)
    if end < start:
        raise AnalyticsError(AnalyticsErrorCode.BAD_PERIOD, f"the period ends ({end}) before it starts ({start})")
    try:
        target = check_currency(currency) if currency else default_currency()
    except MoneyError as exc:
        raise AnalyticsError(AnalyticsErrorCode.BAD_CURRENCY, str(exc)) from exc
    fx = FxTable(target)
    period = K.Period(start, end)
    before = start - dt.timedelta(days=1)
    roll_from = previous_snapshot_date(end)
    countback = is_month_end(end)
    ranges = [(start, end)] + (months_back(end, 12) if countback else [])

    def raw_feeds(group_by: str | None) -> dict[str, Any]:
        """The ledger's sums, still in integer thousandths per (group, currency[, day])."""
        live = balance_source == "live" or (
            balance_source == "auto" and not (snapshot_exists(as_of=end) or snapshot_exists(as_of=before))
        )
        reads: dict[str, Callable[[], Any]] = {
            "sales": lambda: credit_sales_raw(ranges=ranges, by=group_by, scope=scope, target=target),
            "cash": lambda: cash_applied_raw(period=(start, end), by=group_by, scope=scope, target=target),
            "write_offs": lambda: write_offs_raw(period=(start, end), by=group_by, scope=scope, target=target),
        }
        if live:  # balances of both days and the roll-rate cells share their passes over the ledger
            reads["open"] = lambda: open_items_many(as_ofs=[end, before], cells=(roll_from, end), by=group_by,
                                                    scope=scope)
        else:
            reads["balances"] = lambda: balances_at_many(as_ofs=[end, before], by=group_by, scope=scope,
                                                         source=balance_source)
            reads["cells"] = lambda: migration_cells(prev=roll_from, curr=end, by=group_by, scope=scope)
        got = reads_together(reads)
        (at_end, at_begin), cells = got["open"] if live else (got["balances"], got["cells"])
        return {"end": at_end, "begin": at_begin, "sales": got["sales"], "cash": got["cash"],
                "write_offs": got["write_offs"], "cells": cells}

    def feeds(raw: dict[str, Any], group_by: str | None) -> dict[str, Any]:
        return {
            "end": balances_convert(raw["end"], as_of=end, fx=fx),
            "begin": balances_convert(raw["begin"], as_of=before, fx=fx),
            "sales": credit_sales_convert(raw["sales"], ranges=len(ranges), fx=fx),
            "cash": cash_convert(raw["cash"], fx=fx),
            "write_offs": write_offs_convert(raw["write_offs"], fx=fx),
            "promises": activity.promise_rows(period=(start, end), by=group_by, scope=scope, fx=fx),
            "disputes": activity.dispute_rows(period=(start, end), by=group_by, scope=scope),
            "calls": activity.call_counts(period=(start, end), by=group_by, scope=scope),
            "cells": migration_convert(raw["cells"], as_of=roll_from, fx=fx),
        }

    targets = activity.collector_targets(period=(start, end), scope=scope, fx=fx)

    def build(f: dict[str, Any], key: Key, label: str, *, target_amount: Decimal | None, applies: bool) -> GroupKpis:
        g = GroupKpis(key=key, label=label)
        sales_ranges = f["sales"].get(key)
        _group_kpis(
            g, period=period, currency=target,
            begin=f["begin"].get(key, Balance()), end=f["end"].get(key, Balance()),
            sales=sales_ranges[0] if sales_ranges else Decimal(0),
            monthly=(sales_ranges[1:] if sales_ranges else [Decimal(0)] * 12) if countback else None,
            cash=f["cash"].get(key, CashFigures()), written_off=f["write_offs"].get(key, Decimal(0)),
            promises=f["promises"].get(key, []), disputes=f["disputes"].get(key, []), calls=f["calls"].get(key),
            target=target_amount, attainment_applies=applies, cells=f["cells"].get(key, {}), roll_from=roll_from,
        )
        return g

    # The ledger is read once, grouped as asked; the total adds the groups up (exact integer sums per
    # currency and day, so it is the very figure an ungrouped read gives: every grouping partitions the scope).
    grouped = raw_feeds(by)
    total_raw = grouped if by is None else {
        "end": balances_total(grouped["end"]), "begin": balances_total(grouped["begin"]),
        "sales": flows_total(grouped["sales"]), "cash": flows_total(grouped["cash"]),
        "write_offs": flows_total(grouped["write_offs"]), "cells": cells_total(grouped["cells"]),
    }
    total_feeds = feeds(total_raw, None)
    if targets:
        # The portfolio's attainment: cash on the accounts of the collectors who have a target.
        by_collector = cash_convert(
            grouped["cash"] if by == "collector"
            else cash_applied_raw(period=(start, end), by="collector", scope=scope, target=target),
            fx=fx,
        )
        collected = sum((by_collector.get(c, CashFigures()).amount for c in targets), Decimal(0))
        total = build(total_feeds, None, "Total", target_amount=None, applies=False)
        total.kpis["collector_attainment"] = _d(K.collector_attainment(collected, sum(targets.values(), Decimal(0))))
        total.figures["target"] = _money(sum(targets.values(), Decimal(0)), target)
        total.figures["cash_collected_targeted"] = _money(collected, target)
    else:
        total = build(total_feeds, None, "Total", target_amount=None, applies=True)
    groups: list[GroupKpis] = []
    if by is not None:
        f = feeds(grouped, by)
        keys: set[Any] = set()
        for name in ("end", "begin", "sales", "cash", "write_offs", "promises", "disputes", "calls", "cells"):
            keys |= set(f[name])
        if by == "collector":
            keys |= set(targets)
        labels = activity.labels_for(by, keys)
        for key in keys:
            groups.append(build(
                f, key, labels.get(key, str(key)),
                target_amount=targets.get(key) if by == "collector" else None, applies=by == "collector",
            ))
        groups.sort(key=lambda g: (g.label.casefold(), str(g.key)))
    rates = {c: sorted(v) for c, v in fx.used.items()}
    return KpiReport(start=start, end=end, by=by, currency=target, groups=groups, total=total, roll_from=roll_from, fx_rates=rates)


def display(kpi: dict[str, Any]) -> str:
    """A KPI figure as text: "41.67", "≥ 69.33" (countback lower bound) or "n/a (REASON)"."""
    if kpi["value"] is None:
        return f"n/a ({kpi['reason']})"
    shown = kpi["display"]
    return f"≥ {shown}" if "HISTORY_EXHAUSTED" in kpi["flags"] else shown


def round2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
