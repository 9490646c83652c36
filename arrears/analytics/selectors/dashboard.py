"""The figures of the head-of-collections and team dashboards (and of the monthly PDF report).

One month is shown: its KPIs (via `kpi_report`, by collector so targets can be compared), aging at
its end, the DSO / BPDSO / ADD / CEI trend over the 12 months ending with it (month-end balances
from the snapshots when they exist, else reconstructed from the ledger), the roll-rate matrix from
the previous month end, collections against target, and the cash forecast against what came in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Sum

from arrears.analytics import kpis as K
from arrears.analytics.exports import Table, kpi_report_table
from arrears.analytics.kpis.roll_rates import PAID, WRITTEN_OFF
from arrears.analytics.models import ForecastSnapshot
from arrears.analytics.selectors.fx import FxTable
from arrears.analytics.selectors.kpis import (
    KpiReport,
    bucket_title,
    display,
    kpi_report,
    month_end,
    months_back,
)
from arrears.analytics.selectors.ledger import (
    Balance,
    Scope,
    balances_at,
    balances_convert,
    credit_sales,
    to_amount,
)
from arrears.common.money import quantize
from arrears.ledger.models import Allocation, AllocationSource

TILES = (
    ("dso", "DSO", "days"), ("bpdso", "Best possible DSO", "days"), ("add", "ADD", "days"), ("cei", "CEI", "%"),
    ("percent_current", "Current", "%"), ("percent_over_90", "Over 90 days", "%"), ("adp_w", "Days to pay", "days"),
    ("dbt_w", "Days beyond terms", "days"), ("ptp_kept_rate_count", "Promises kept", "%"),
    ("rpc_rate_per_attempt", "Right-party contacts", "% of calls"), ("dispute_resolution_mean", "Dispute resolution", "days"),
    ("write_off_ratio_gross", "Write-offs", "% of sales"), ("collector_attainment", "Target attainment", "%"),
)


@dataclass
class TrendPoint:
    start: dt.date
    end: dt.date
    sales: Decimal
    ar: Decimal
    current: Decimal
    dso: dict[str, Any]
    bpdso: dict[str, Any]
    add: dict[str, Any]
    cei: dict[str, Any]


@dataclass
class ForecastWeek:
    start: dt.date
    forecast: Decimal
    actual: Decimal | None  # None: the week has not ended yet
    accuracy: dict[str, Any] | None = None


@dataclass
class ForecastView:
    taken_on: dt.date
    weeks: list[ForecastWeek]
    wape: dict[str, Any] | None
    bias: dict[str, Any] | None
    upcoming: list[tuple[dt.date, Decimal]] = field(default_factory=list)


@dataclass
class Dashboard:
    start: dt.date
    end: dt.date
    currency: str
    scope_label: str
    report: KpiReport
    trend: list[TrendPoint]
    forecast: ForecastView | None

    @property
    def total(self) -> Any:
        return self.report.total

    def tiles(self) -> list[dict[str, Any]]:
        out = []
        for name, title, unit in TILES:
            k = self.total.kpis[name]
            out.append({"name": name, "title": title, "unit": unit, "text": display(k), "kpi": k,
                        "defined": k["value"] is not None})
        return out

    def aging(self) -> list[tuple[str, Decimal]]:
        return [(bucket_title(b), Decimal(v)) for b, v in self.total.figures["buckets_end"].items()]

    def matrix(self) -> tuple[list[str], list[tuple[str, Decimal, list[tuple[Decimal, Decimal | None]]]]]:
        """Columns, then per row: its title, t-1 balance and per column (amount, share %)."""
        m = self.total.matrix
        if not m:
            return [], []
        rows = list(m)
        columns = list(next(iter(m.values())))
        out = []
        for r in rows:
            total = sum(m[r].values(), Decimal(0))
            cells = [(quantize(m[r][c], self.currency), (m[r][c] * 100 / total).quantize(Decimal("0.01")) if total else None)
                     for c in columns]
            out.append((bucket_title(r), quantize(total, self.currency), cells))
        return [_column_title(c) for c in columns], out

    def targets(self) -> list[dict[str, Any]]:
        rows = []
        for g in self.report.groups:
            if g.figures.get("target") is None:
                continue
            rows.append({"label": g.label, "target": Decimal(g.figures["target"]),
                         "collected": Decimal(g.figures["cash_collected"]), "attainment": g.kpis["collector_attainment"]})
        return rows

    def tables(self) -> dict[str, tuple[str, Table]]:
        """Every table of the dashboard, for the CSV and XLSX exports."""
        cols, matrix = self.matrix()
        tables: dict[str, tuple[str, Table]] = {
            "kpis": ("KPIs", kpi_report_table(self.report)),
            "aging": ("Aging", (["Bucket", f"Amount ({self.currency})"], [[b, v] for b, v in self.aging()])),
            "trend": ("Trend", (
                ["Month", "Credit sales", "AR at month end", "Current AR", "DSO", "Best possible DSO", "ADD", "CEI %"],
                [[p.start.strftime("%Y-%m"), quantize(p.sales, self.currency), quantize(p.ar, self.currency),
                  quantize(p.current, self.currency), display(p.dso), display(p.bpdso), display(p.add), display(p.cei)]
                 for p in self.trend],
            )),
            "roll-rates": ("Roll rates", (
                ["From (previous month end)", "Balance", *(f"{c} amount" for c in cols), *(f"{c} %" for c in cols)],
                [[title, total, *(a for a, _ in cells), *("" if s is None else s for _, s in cells)]
                 for title, total, cells in matrix],
            )),
            "targets": ("Targets", (
                ["Collector", "Target", "Collected", "Attainment %"],
                [[t["label"], t["target"], t["collected"], display(t["attainment"])] for t in self.targets()],
            )),
        }
        if self.forecast is not None:
            tables["forecast"] = ("Forecast", (
                ["Week starting", "Forecast", "Actual", "Accuracy %"],
                [[w.start, quantize(w.forecast, self.currency), "" if w.actual is None else quantize(w.actual, self.currency),
                  "" if w.accuracy is None else display(w.accuracy)] for w in self.forecast.weeks],
            ))
        return tables


def _column_title(column: str) -> str:
    return {PAID: "Paid", WRITTEN_OFF: "Written off"}.get(column, bucket_title(column))


def trend_build(*, end: dt.date, months: int, scope: Scope, fx: FxTable) -> list[TrendPoint]:
    """DSO, BPDSO, ADD (standard method, one month each) and monthly CEI for the months ending with `end`."""
    periods = list(reversed(months_back(end, months)))
    sales = credit_sales(ranges=periods, by=None, scope=scope, fx=fx).get(None, [Decimal(0)] * len(periods))
    ends = [periods[0][0] - dt.timedelta(days=1), *(p[1] for p in periods)]
    balance: dict[dt.date, Balance] = {}
    for day in ends:
        raw = balances_at(as_of=day, by=None, scope=scope, source="auto")
        balance[day] = balances_convert(raw, as_of=day, fx=fx).get(None, Balance())
    points = []
    for i, (start, last) in enumerate(periods):
        b, e, s = balance[ends[i]], balance[last], sales[i]
        days = (last - start).days + 1
        dso = K.dso(e.total_ar, s, days)
        bpdso = K.best_possible_dso(e.current, s, days)
        points.append(TrendPoint(
            start=start, end=last, sales=s, ar=e.total_ar, current=e.current, dso=dso.as_dict(), bpdso=bpdso.as_dict(),
            add=K.average_days_delinquent(dso, bpdso).as_dict(), cei=K.cei(b.total_ar, s, e.total_ar, e.current, months=1).as_dict(),
        ))
    return points


def forecast_view(*, start: dt.date, today: dt.date, fx: FxTable) -> ForecastView | None:
    """The forecast stored at (or last before) `start` against the cash applied in each of its weeks.

    Actual = payments applied in the week to documents issued by the forecast date (what the forecast
    covered). Both sides convert at the rate of the week's first day. Accuracy, WAPE and bias are
    KPIS.md §16 over the weeks that have ended.
    """
    taken = ForecastSnapshot.objects.filter(taken_on__lte=start).order_by("-taken_on").values_list("taken_on", flat=True).first()
    upcoming = _upcoming(today=today, fx=fx)
    if taken is None:
        return ForecastView(taken_on=today, weeks=[], wape=None, bias=None, upcoming=upcoming) if upcoming else None
    forecast: dict[dt.date, Decimal] = {}
    for ws, ccy, amount in (ForecastSnapshot.objects.filter(taken_on=taken).order_by()
                            .values_list("week_start", "currency").annotate(s=Sum("amount")).values_list("week_start", "currency", "s")):
        forecast[ws] = forecast.get(ws, Decimal(0)) + fx.convert(amount or Decimal(0), ccy, ws)
    weeks = []
    for ws in sorted(forecast):
        if ws + dt.timedelta(days=7) > today:
            weeks.append(ForecastWeek(ws, forecast[ws], None))
            continue
        actual = Decimal(0)
        for ccy, milli_sum in (Allocation.objects.filter(
            source=AllocationSource.PAYMENT, date__gte=ws, date__lt=ws + dt.timedelta(days=7), document__issue_date__lte=taken,
        ).order_by().values_list("currency").annotate(s=Sum("amount")).values_list("currency", "s")):
            actual += fx.convert(milli_sum or Decimal(0), ccy, ws)
        weeks.append(ForecastWeek(ws, forecast[ws], actual))
    done = [w for w in weeks if w.actual is not None]
    wape = bias = None
    if done:
        acc = K.forecast_accuracy([w.forecast for w in done], [w.actual for w in done], horizon_days=None)
        for w, a in zip(done, acc.per_period, strict=True):
            w.accuracy = a.as_dict()
        wape, bias = acc.wape.as_dict(), acc.bias.as_dict()
    return ForecastView(taken_on=taken, weeks=weeks, wape=wape, bias=bias, upcoming=upcoming)


def _upcoming(*, today: dt.date, fx: FxTable) -> list[tuple[dt.date, Decimal]]:
    """The next 13 weeks expected from the scoring app's current predictions (empty without them)."""
    if not apps.is_installed("arrears.scoring"):  # pragma: no cover
        return []
    from arrears.scoring.models import Prediction
    from arrears.scoring.selectors import cash_forecast

    if not Prediction.objects.exists():
        return []
    weeks: dict[dt.date, Decimal] = {}
    for group in cash_forecast(as_of=today):
        for w in group["weeks"]:
            weeks[w["start"]] = weeks.get(w["start"], Decimal(0)) + fx.convert(w["amount"], group["currency"], today)
    return sorted(weeks.items())


def dashboard_build(
    *, month: tuple[int, int], currency: str | None, scope: Scope, scope_label: str, today: dt.date,
    with_forecast: bool = True,
) -> Dashboard:
    start = dt.date(month[0], month[1], 1)
    end = month_end(start)
    report = kpi_report(start=start, end=end, by="collector", currency=currency, scope=scope, balance_source="auto")
    fx = FxTable(report.currency)
    trend = trend_build(end=end, months=12, scope=scope, fx=fx)
    forecast = forecast_view(start=start, today=today, fx=fx) if with_forecast else None
    return Dashboard(start=start, end=end, currency=report.currency, scope_label=scope_label, report=report,
                     trend=trend, forecast=forecast)


def thousandths(value: int) -> Decimal:  # re-exported for templates that format raw sums
    return to_amount(value)
