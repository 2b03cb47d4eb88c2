"""Server-side SVG charts: no script, no CDN. Every chart has a <title> and <desc>, and each page shows the same
numbers in a table beside it for people who cannot see the chart."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

GOOD = "#1d7a46"
BRAND = "#2451b7"
MUTED = "#9aa4b2"
INK = "#1d2430"
LINE = "#dfe3ea"
WARN = "#9a6200"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


@dataclass(frozen=True)
class ProfileBar:
    label: str
    weight: float
    prior: float
    ci_low: float | None
    ci_high: float | None
    effect: float | None
    critical: bool
    available: bool
    overridden: bool


def profile_chart(bars: Sequence[ProfileBar], *, title: str, chart_id: str) -> SafeString:
    """Horizontal bars of each task's weight in force; whiskers show the data's 95% CI around its estimate
    (a dot), and a diamond marks the library prior."""
    label_w, plot_w, row_h, top = 290, 420, 28, 30
    values = [0.0] + [b.weight for b in bars] + [b.prior for b in bars]
    values += [v for b in bars for v in (b.ci_low, b.ci_high) if v is not None]
    low, high = min(values), max(values)
    low, high = min(low, -0.05), max(high, 0.3)
    span = high - low

    def x(v: float) -> float:
        return label_w + (v - low) / span * plot_w

    height = top + row_h * len(bars) + 30
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" viewBox="0 0 '
        f'{label_w + plot_w + 20} {height}" width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-t">{_e(title)}</title>',
        f'<desc id="{chart_id}-d">Bar length is each task\'s weight in this situation: how strongly doing the '
        "task well goes with success. The line through each dot is the likely range of the data's estimate; the "
        "diamond is the task library's starting weight. The table below lists the same numbers.</desc>",
    ]
    zero = x(0.0)
    parts.append(f'<line x1="{zero:.1f}" y1="{top - 8}" x2="{zero:.1f}" y2="{height - 24}" stroke="{MUTED}"/>')
    for tick in _ticks(low, high):
        tx = x(tick)
        parts.append(f'<line x1="{tx:.1f}" y1="{height - 26}" x2="{tx:.1f}" y2="{height - 22}" stroke="{MUTED}"/>')
        parts.append(f'<text x="{tx:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" fill="{INK}">'
                     f"{tick:g}</text>")
    for i, bar in enumerate(bars):
        y = top + i * row_h
        colour = GOOD if bar.critical else (WARN if bar.overridden else (BRAND if bar.available else MUTED))
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" font-size="12" text-anchor="end" fill="{INK}">'
                     f"{_e(bar.label)}{' ★' if bar.critical else ''}</text>")
        if bar.available or bar.overridden:
            x0, x1 = sorted((zero, x(bar.weight)))
            parts.append(f'<rect x="{x0:.1f}" y="{y + 5}" width="{max(x1 - x0, 1):.1f}" height="14" rx="2" '
                         f'fill="{colour}" opacity="0.85"/>')
        else:
            parts.append(f'<text x="{zero + 6:.1f}" y="{y + 15}" font-size="11" fill="{MUTED}">not measurable '
                         "with this data</text>")
        if bar.ci_low is not None and bar.ci_high is not None and bar.effect is not None:
            parts.append(f'<line x1="{x(bar.ci_low):.1f}" y1="{y + 12}" x2="{x(bar.ci_high):.1f}" y2="{y + 12}" '
                         f'stroke="{INK}" stroke-width="1.5"/>')
            parts.append(f'<circle cx="{x(bar.effect):.1f}" cy="{y + 12}" r="3" fill="{INK}"/>')
        px = x(bar.prior)
        parts.append(f'<path d="M{px:.1f},{y + 6} l5,6 l-5,6 l-5,-6 z" fill="#fff" stroke="{WARN}" '
                     'stroke-width="1.5"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every dynamic text above is escaped


def _ticks(low: float, high: float) -> list[float]:
    """Round tick values (steps of 0.1, 0.2, 0.25 or 0.5) spanning low..high, at most eight of them."""
    step = next(st for st in (0.1, 0.2, 0.25, 0.5, 1.0) if (high - low) / st <= 8)
    value = math.ceil(low / step - 1e-9) * step
    ticks = []
    while value <= high + 1e-9:
        ticks.append(round(value, 2))
        value += step
    return ticks


def percentile_chart(rows: Sequence[tuple[str, float | None, bool]], *, title: str, chart_id: str) -> SafeString:
    """A seller's percentile among situation peers per task (0-100), with the top-quartile line at 75."""
    label_w, plot_w, row_h, top = 290, 360, 26, 24
    height = top + row_h * len(rows) + 28

    def x(v: float) -> float:
        return label_w + v / 100 * plot_w

    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" viewBox="0 0 '
        f'{label_w + plot_w + 20} {height}" width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-t">{_e(title)}</title>',
        f'<desc id="{chart_id}-d">Each bar is the seller\'s percentile among sellers in the same situation (100 is '
        "best). The dashed line marks the top quartile, what good looks like. The table below lists the same "
        "numbers.</desc>",
        f'<line x1="{x(75):.1f}" y1="{top - 6}" x2="{x(75):.1f}" y2="{height - 22}" stroke="{GOOD}" '
        'stroke-dasharray="4 3"/>',
        f'<text x="{x(75):.1f}" y="{top - 10}" font-size="11" text-anchor="middle" fill="{GOOD}">top quartile</text>',
    ]
    for tick in (0, 25, 50, 75, 100):
        parts.append(f'<text x="{x(tick):.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
                     f'fill="{INK}">{tick}</text>')
    for i, (label, percentile, critical) in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 14}" font-size="12" text-anchor="end" fill="{INK}">'
                     f"{_e(label)}{' ★' if critical else ''}</text>")
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{plot_w}" height="14" fill="{LINE}" opacity="0.5"/>')
        if percentile is not None:
            colour = GOOD if percentile >= 75 else (BRAND if percentile >= 25 else "#b42318")
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{percentile / 100 * plot_w:.1f}" height="14" '
                         f'fill="{colour}" opacity="0.85"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every dynamic text above is escaped


def trend_chart(points: Sequence[tuple[str, float | None]], *, title: str, chart_id: str) -> SafeString:
    """A small line of a percentile (0-100) over analysis runs."""
    width, height, pad = 320, 90, 22
    known = [(i, v) for i, (_, v) in enumerate(points) if v is not None]
    parts = [
        f'<svg class="chart chart--small" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f'<title id="{chart_id}-t">{_e(title)}</title>',
        f'<desc id="{chart_id}-d">'
        + _e("; ".join(f"{label}: {'—' if v is None else f'{v:.0f}'}" for label, v in points)) + "</desc>",
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="{LINE}"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{width - pad}" y2="{pad}" stroke="{LINE}" stroke-dasharray="2 3"/>',
        f'<text x="2" y="{height - pad + 4}" font-size="10" fill="{INK}">0</text>',
        f'<text x="0" y="{pad + 4}" font-size="10" fill="{INK}">100</text>',
    ]
    if known:
        step = (width - 2 * pad) / max(len(points) - 1, 1)
        coords = [(pad + i * step, height - pad - v / 100 * (height - 2 * pad)) for i, v in known]
        parts.append('<polyline fill="none" stroke="' + BRAND + '" stroke-width="2" points="'
                     + " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords) + '"/>')
        for cx, cy in coords:
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{BRAND}"/>')
    if points:  # the first and last labels under the axis (every label is in the description)
        step = (width - 2 * pad) / max(len(points) - 1, 1)
        ends = [(0, "start")] + ([(len(points) - 1, "end")] if len(points) > 1 else [])
        for i, anchor in ends:
            parts.append(f'<text x="{pad + i * step:.1f}" y="{height - 6}" font-size="9" fill="{INK}" '
                         f'text-anchor="{anchor}">{_e(points[i][0])}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every dynamic text above is escaped


def quartile_strip(bottom: float | None, median: float | None, top: float | None, *, label: str) -> SafeString:
    """A tiny strip placing the bottom-quartile, median and top-quartile sellers' values on one line."""
    values = [v for v in (bottom, median, top) if v is not None]
    if len(values) < 2:
        return mark_safe("")
    low, high = min(values), max(values)
    span = (high - low) or 1.0

    def x(v: float) -> float:
        return 8 + (v - low) / span * 104

    parts = [f'<svg class="chart chart--strip" role="img" aria-label="{_e(label)}" viewBox="0 0 120 16" width="120" '
             f'height="16"><line x1="8" y1="8" x2="112" y2="8" stroke="{LINE}" stroke-width="2"/>']
    if bottom is not None:
        parts.append(f'<circle cx="{x(bottom):.1f}" cy="8" r="4" fill="#b42318"/>')
    if median is not None:
        parts.append(f'<circle cx="{x(median):.1f}" cy="8" r="3" fill="{MUTED}"/>')
    if top is not None:
        parts.append(f'<circle cx="{x(top):.1f}" cy="8" r="4" fill="{GOOD}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every dynamic text above is escaped
