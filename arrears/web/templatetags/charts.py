"""Charts drawn on the server as inline SVG: no JavaScript library, no CDN, readable without colour.

`{% stacked_bar_chart bars segments chart_id="aging-chart" %}` draws one horizontal 100 % stacked
bar per entry of `bars` (a list of ``(label, values)``; ``values`` in the order of ``segments``).
Each bar is scaled to its own total, so bars in different currencies are never compared by length.
Every segment carries a ``<title>`` (tooltip and screen-reader text) with its amount and share; the
legend below repeats the amounts of the first bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Green (current) to dark red (oldest); chosen to stay distinguishable in greyscale as well.
PALETTE = ("#2e7d32", "#9ccc65", "#fdd835", "#fb8c00", "#e53935", "#8e0000", "#4a148c", "#263238")
WIDTH = 720
LABEL_W = 64
BAR_H = 26
GAP = 10
LEGEND_ROW = 20


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if whole else Decimal(0)


def _fmt(value: Decimal) -> str:
    return f"{value:,}"


@register.simple_tag
def stacked_bar_chart(
    bars: Sequence[tuple[str, Sequence[Any]]],
    segments: Sequence[str],
    chart_id: str = "chart",
    title: str = "",
) -> SafeString:
    plot_w = WIDTH - LABEL_W - 8
    legend_cols = 3
    legend_h = LEGEND_ROW * ((len(segments) + legend_cols - 1) // legend_cols)
    height = max(1, len(bars)) * (BAR_H + GAP) + legend_h + GAP
    parts: list[str] = []
    if title:
        parts.append(format_html("<title id=\"{}-title\">{}</title>", chart_id, title))
    if not bars:
        parts.append(format_html('<text x="0" y="{}" class="chart-empty">Nothing open</text>', BAR_H - 8))
    for row, (bar_label, raw_values) in enumerate(bars):
        values = [max(Decimal(v or 0), Decimal(0)) for v in raw_values]
        total = sum(values, Decimal(0))
        y = row * (BAR_H + GAP)
        parts.append(format_html(
            '<text x="0" y="{}" class="chart-label" dominant-baseline="middle">{}</text>', y + BAR_H / 2, bar_label
        ))
        if not total:
            parts.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#eceff1"><title>{}: nothing open</title></rect>',
                LABEL_W, y, plot_w, BAR_H, bar_label,
            ))
            continue
        x = Decimal(LABEL_W)
        for i, (name, value) in enumerate(zip(segments, values, strict=True)):
            if not value:
                continue
            w = (Decimal(plot_w) * value / total).quantize(Decimal("0.01"))
            parts.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-segment="{}" data-value="{}">'
                "<title>{} {}: {} ({} %)</title></rect>",
                x, y, w, BAR_H, PALETTE[i % len(PALETTE)], name, value, bar_label, name, _fmt(value), _pct(value, total),
            ))
            x += w
    legend_y = max(1, len(bars)) * (BAR_H + GAP) + GAP
    first = [max(Decimal(v or 0), Decimal(0)) for v in bars[0][1]] if bars else [Decimal(0)] * len(segments)
    col_w = WIDTH // legend_cols
    parts.append(format_html_join(
        "",
        '<g transform="translate({},{})"><rect width="12" height="12" fill="{}"/>'
        '<text x="18" y="10" class="chart-legend">{}{}</text></g>',
        (
            (
                (i % legend_cols) * col_w,
                legend_y + (i // legend_cols) * LEGEND_ROW,
                PALETTE[i % len(PALETTE)],
                name,
                f": {_fmt(first[i])}" if len(bars) == 1 else "",
            )
            for i, name in enumerate(segments)
        ),
    ))
    label_attr = f' aria-labelledby="{escape(chart_id)}-title"' if title else ""
    # Every interpolated value above went through format_html or escape.
    return mark_safe(
        f'<svg id="{escape(chart_id)}" xmlns="http://www.w3.org/2000/svg" role="img"{label_attr} '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'style="max-width:{WIDTH}px;font:12px system-ui,sans-serif">{"".join(parts)}</svg>'
    )
