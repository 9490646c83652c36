"""The days-beyond-terms trend as inline SVG: one bar per month, its value written above it.

Drawn on the server (no JavaScript, no CDN); every bar has a <title> for tooltips and screen readers,
and months without settled invoices are marked "–" rather than drawn as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from arrears.worklist.selectors import TrendPoint

WIDTH, HEIGHT = 640, 180
TOP, BOTTOM, LEFT = 22, 24, 8


def _n(value: float) -> str:
    return f"{value:.1f}"


def dbt_chart(points: Sequence[TrendPoint], *, chart_id: str = "dbt-chart") -> SafeString:
    values = [p.average_days_late for p in points if p.average_days_late is not None]
    peak = max([Decimal(10), *values])
    slot = (WIDTH - LEFT) / max(len(points), 1)
    bar = slot * 0.62
    plot = HEIGHT - TOP - BOTTOM
    parts = []
    for i, p in enumerate(points):
        x = LEFT + i * slot + (slot - bar) / 2
        label = p.month.strftime("%b")
        parts.append(format_html('<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>', _n(x + bar / 2), HEIGHT - 6, label))
        if p.average_days_late is None:
            parts.append(format_html(
                '<text x="{}" y="{}" class="none" text-anchor="middle"><title>{}: nothing settled</title>–</text>',
                _n(x + bar / 2), HEIGHT - BOTTOM - 4, p.month.strftime("%B %Y"),
            ))
            continue
        h = float(p.average_days_late / peak) * plot
        y = HEIGHT - BOTTOM - h
        tone = "late" if p.average_days_late > 30 else ("slow" if p.average_days_late > 0 else "ok")
        parts.append(format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" class="bar {}" data-month="{}" data-days="{}">'
            "<title>{}: {} days beyond terms on average ({} invoices)</title></rect>"
            '<text x="{}" y="{}" class="value" text-anchor="middle">{}</text>',
            _n(x), _n(y), _n(bar), _n(max(h, 1.0)), tone, p.month.isoformat(), p.average_days_late, p.month.strftime("%B %Y"),
            p.average_days_late, p.settled, _n(x + bar / 2), _n(y - 4), p.average_days_late,
        ))
    body = format_html_join("", "{}", ((part,) for part in parts))
    return format_html(
        '<svg id="{}" class="dbt-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title" preserveAspectRatio="xMinYMin meet">'
        '<title id="{}-title">Days beyond terms, monthly average of settled invoices</title>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="baseline"/>{}</svg>',
        chart_id, WIDTH, HEIGHT, chart_id, chart_id, LEFT, HEIGHT - BOTTOM, WIDTH, HEIGHT - BOTTOM, body,
    )
