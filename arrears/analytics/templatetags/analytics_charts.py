"""`{% load analytics_charts %}`: the line and bar charts of arrears.analytics.charts, and the
series the dashboard feeds them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import template
from django.utils.safestring import SafeString

from arrears.analytics.charts import bar_chart, line_chart

register = template.Library()


def _value(kpi: dict[str, Any]) -> Decimal | None:
    return None if kpi["value"] is None else Decimal(kpi["value"])


@register.simple_tag
def aging_chart(bars: Sequence[tuple[str, Decimal]], currency: str, chart_id: str = "aging-chart") -> SafeString:
    return bar_chart(bars, chart_id=chart_id, title=f"Open balance by days past due ({currency})", unit=currency)


@register.simple_tag
def trend_chart(points: Sequence[Any], labels: Sequence[str], which: str, chart_id: str) -> SafeString:
    if which == "cei":
        return line_chart(labels, [("CEI %", [_value(p.cei) for p in points])], chart_id=chart_id,
                          title="Collection effectiveness index by month (%)", unit="%")
    series = [("DSO", [_value(p.dso) for p in points]), ("Best possible DSO", [_value(p.bpdso) for p in points]),
              ("ADD", [_value(p.add) for p in points])]
    return line_chart(labels, series, chart_id=chart_id, title="DSO, best possible DSO and ADD by month (days)", unit="days")


@register.simple_tag
def forecast_chart(weeks: Sequence[Any], currency: str, chart_id: str = "forecast-chart") -> SafeString:
    labels = [w.start.strftime("%d %b") for w in weeks]
    return line_chart(labels, [("Forecast", [w.forecast for w in weeks]), ("Actual", [w.actual for w in weeks])],
                      chart_id=chart_id, title=f"Cash forecast against collections by week ({currency})", unit=currency)


@register.filter
def kpi_text(kpi: dict[str, Any]) -> str:
    from arrears.analytics.selectors.kpis import display

    return display(kpi)


@register.filter
def reason_text(reason: str | None) -> str:
    """NO_EVALUATED_PROMISES -> "no evaluated promises"."""
    return (reason or "").replace("_", " ").lower()
