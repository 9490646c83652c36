"""Writes of the analytics app: balance snapshots (and the cash forecast as it stood) for a date.

`snapshot_take(as_of=...)` replaces the snapshot rows of that date in one transaction, so running it
twice leaves the same rows; the unique (date, customer, currency) enforces it. The balances are
reconstructed from the allocation history, so a past month end can be taken (backfilled) later and
gives the figures the ledger had at that date.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction

from arrears.analytics.models import BUCKET_FIELDS, BalanceSnapshot, ForecastSnapshot
from arrears.analytics.selectors.ledger import N, balances_live, to_amount

BATCH = 5000


@dataclass(frozen=True, slots=True)
class SnapshotResult:
    as_of: dt.date
    balances: int
    forecast_weeks: int

    def as_dict(self) -> dict[str, object]:
        return {"as_of": self.as_of.isoformat(), "balances": self.balances, "forecast_weeks": self.forecast_weeks}


def snapshot_take(*, as_of: dt.date, forecast: bool | None = None) -> SnapshotResult:
    """Balances per customer and currency at the end of `as_of`, written in bulk (idempotent).

    `forecast` (default: when `as_of` is today and arrears.scoring has predictions) also stores the
    13-week cash forecast of the predictions, so it can be compared with actual collections later.
    """
    raw = balances_live(as_of=as_of, by="customer")
    rows = []
    for (customer_id, ccy), v in raw.items():
        if not any(v[: N + 2]):
            continue
        amounts = {name: to_amount(v[i]) for i, name in enumerate(BUCKET_FIELDS)}
        rows.append(BalanceSnapshot(
            date=as_of, customer_id=customer_id, currency=ccy, **amounts,
            disputed=to_amount(v[N]), unapplied=to_amount(v[N + 1]),
            open_total=sum(amounts.values(), to_amount(0)), documents=v[N + 2],
        ))
    weeks = _forecast_rows(as_of) if forecast is not False else []
    with transaction.atomic():
        BalanceSnapshot.objects.filter(date=as_of).delete()
        BalanceSnapshot.objects.bulk_create(rows, batch_size=BATCH)
        if weeks:
            ForecastSnapshot.objects.filter(taken_on=as_of).delete()
            ForecastSnapshot.objects.bulk_create(weeks, batch_size=BATCH)
    return SnapshotResult(as_of=as_of, balances=len(rows), forecast_weeks=len(weeks))


def _forecast_rows(as_of: dt.date) -> list[ForecastSnapshot]:
    """The scoring app's cash forecast (from its stored predictions), when it is installed and has any."""
    if not apps.is_installed("arrears.scoring"):  # pragma: no cover
        return []
    from arrears.scoring.models import Prediction
    from arrears.scoring.selectors import cash_forecast

    if not Prediction.objects.exists():
        return []
    out = []
    for group in cash_forecast(as_of=as_of):
        for w in group["weeks"]:
            out.append(ForecastSnapshot(
                taken_on=as_of, currency=group["currency"], business_unit=group["business_unit"],
                week=w["week"], week_start=w["start"], amount=w["amount"],
            ))
    return out


def month_ends(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every month end in [start, end]."""
    year, month = start.year, start.month
    while True:
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        if last > end:
            return
        if last >= start:
            yield last
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)


def snapshot_backfill(*, start: dt.date, end: dt.date, monthly: bool = True) -> list[SnapshotResult]:
    """Snapshots of every month end (or every day) in [start, end], reconstructed from allocation history.

    Past dates get balances only: predictions are not kept for the past, so there is no forecast to store.
    """
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    days = list(month_ends(start, end)) if monthly else [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    return [snapshot_take(as_of=day, forecast=False) for day in days]
