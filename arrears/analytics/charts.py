"""Line and bar charts drawn on the server as inline SVG (no JavaScript, no CDN; WeasyPrint prints them).

Every point and bar carries a <title> with its exact figure (tooltip and screen-reader text); an
undefined figure (None) is a gap in the line, never a zero. The numbers are also in a table under
each chart on the page, so the chart is never the only way to read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# Distinguishable in greyscale too; each series also gets its own dash pattern and marker.
COLOURS = ("#1f5fbf", "#e65100", "#2e7d32", "#6a1b9a")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
BUCKET_COLOURS = ("#2e7d32", "#9ccc65", "#fdd835", "#fb8c00", "#e53935", "#8e0000", "#4a148c")
WIDTH, HEIGHT = 960, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48


def _f(x: float) -> str:
    return f"{x:.1f}"


def _nice_step(span: float) -> float:
    raw = span / 5 if span > 0 else 1
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def _fmt(value: Decimal) -> str:
    return f"{value:,.2f}"


def _svg(chart_id: str, title: str, height: int, body: str) -> SafeString:
    return mark_safe(  # every interpolated value went through escape/format_html
        f'<svg id="{escape(chart_id)}" class="an-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" style="max-width:{WIDTH}px;font:12px \'DejaVu Sans\',system-ui,sans-serif">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>{body}</svg>'
    )


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | None]]],
    *,
    chart_id: str = "line-chart",
    title: str = "",
    unit: str = "",
) -> SafeString:
    """One line per series over the x labels (e.g. months)."""
    values = [float(v) for _, vs in series for v in vs if v is not None]
    lo = min([0.0, *values])
    hi = max([1.0, *values])
    step = _nice_step(hi - lo)
    lo = step * (lo // step)
    hi = step * (-(-hi // step))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)
    slot = plot_w / n

    def x(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - lo) / (hi - lo or 1))

    parts: list[str] = []
    tick = lo
    while tick <= hi + step / 2:
        parts.append(format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#dde2ea"/>'
            '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" fill="#5b6575">{}</text>',
            LEFT, _f(y(tick)), WIDTH - RIGHT, _f(y(tick)), LEFT - 6, _f(y(tick)), f"{tick:g}",
        ))
        tick += step
    if lo < 0 < hi:
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#5b6575"/>', LEFT, _f(y(0)), WIDTH - RIGHT, _f(y(0))))
    for i, label in enumerate(labels):
        parts.append(format_html('<text x="{}" y="{}" text-anchor="middle" fill="#5b6575">{}</text>',
                                 _f(x(i)), HEIGHT - BOTTOM + 16, label))
    for s, (name, vs) in enumerate(series):
        colour, dash = COLOURS[s % len(COLOURS)], DASHES[s % len(DASHES)]
        run: list[str] = []
        runs: list[list[str]] = []
        for i, v in enumerate(vs):
            if v is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{_f(x(i))},{_f(y(float(v)))}")
        if run:
            runs.append(run)
        for r in runs:
            if len(r) > 1:
                parts.append(format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" stroke-dasharray="{}"/>',
                    " ".join(r), colour, dash,
                ))
        for i, v in enumerate(vs):
            if v is None:
                continue
            parts.append(format_html(
                '<circle cx="{}" cy="{}" r="3.5" fill="{}" data-series="{}" data-label="{}" data-value="{}">'
                "<title>{} {}: {}{}</title></circle>",
                _f(x(i)), _f(y(float(v))), colour, name, labels[i], v, name, labels[i], _fmt(v), f" {unit}" if unit else "",
            ))
    legend_y = HEIGHT - 12
    for s, (name, _) in enumerate(series):
        lx = LEFT + s * 170
        parts.append(format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" stroke-dasharray="{}"/>'
            '<text x="{}" y="{}" dominant-baseline="middle">{}</text>',
            lx, legend_y, lx + 24, legend_y, COLOURS[s % len(COLOURS)], DASHES[s % len(DASHES)], lx + 30, legend_y, name,
        ))
    return _svg(chart_id, title, HEIGHT, "".join(parts))


def bar_chart(
    bars: Sequence[tuple[str, Decimal]], *, chart_id: str = "bar-chart", title: str = "", unit: str = ""
) -> SafeString:
    """Vertical bars (e.g. the aging buckets), each labelled with its amount; negative values go below zero."""
    values = [float(v) for _, v in bars]
    lo, hi = min([0.0, *values]), max([1.0, *values])
    plot_h = HEIGHT - TOP - BOTTOM
    n = max(len(bars), 1)
    slot = (WIDTH - LEFT - RIGHT) / n
    width = slot * 0.6

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - lo) / (hi - lo or 1))

    parts = [format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#5b6575"/>', LEFT, _f(y(0)), WIDTH - RIGHT, _f(y(0)))]
    for i, (label, v) in enumerate(bars):
        bx = LEFT + slot * i + (slot - width) / 2
        top, bottom = sorted((y(float(v)), y(0)))
        parts.append(format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-label="{}" data-value="{}"><title>{}: {}{}</title></rect>'
            '<text x="{}" y="{}" text-anchor="middle">{}</text>'
            '<text x="{}" y="{}" text-anchor="middle" fill="#5b6575">{}</text>',
            _f(bx), _f(top), _f(width), _f(max(bottom - top, 0.5)), BUCKET_COLOURS[i % len(BUCKET_COLOURS)], label, v,
            label, _fmt(v), f" {unit}" if unit else "",
            _f(bx + width / 2), _f(top - 5), _fmt(v),
            _f(bx + width / 2), HEIGHT - BOTTOM + 16, label,
        ))
    return _svg(chart_id, title, HEIGHT - 20, "".join(parts))
