"""Inline SVG charts: pure functions from series to markup. No CDN, no JavaScript,
so a saved report works offline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

W, H = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 16, 28
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf",
           "#e377c2", "#7f7f7f", "#bcbd22")

Point = tuple[dt.date, float]
Fmt = Callable[[float], str]


def pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def num(value: float) -> str:
    return f"{value:.1f}"


@dataclass(frozen=True)
class Band:
    start: dt.date
    end: dt.date
    label: str


def _scale(lo: float, hi: float, a: float, b: float) -> Callable[[float], float]:
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def _frame(title: str, y_lo: float, y_hi: float, fmt: Fmt) -> list[str]:
    y = _scale(y_lo, y_hi, H - BOTTOM, TOP)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
           f'aria-label="{escape(title)}">',
           f'<rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" '
           f'height="{H - TOP - BOTTOM}" fill="#fafafa" stroke="#ccc"/>']
    for i in range(5):
        v = y_lo + (y_hi - y_lo) * i / 4
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   f'stroke="#eee"/><text x="{LEFT - 6}" y="{y(v) + 4:.1f}" font-size="11" '
                   f'text-anchor="end">{escape(fmt(v))}</text>')
    return out


def line_chart(title: str, series: Mapping[str, Sequence[Point]], *, fmt: Fmt = num,
               threshold: float | None = None, bands: Sequence[Band] = (),
               markers: Sequence[tuple[dt.date, str]] = (),
               band_series: tuple[Sequence[Point], Sequence[Point]] | None = None) -> str:
    points = [p for s in series.values() for p in s]
    if not points:
        return f'<p class="empty">{escape(title)}: no data in the period</p>'
    dates = [d for d, _ in points]
    d0, d1 = min(dates), max(dates)
    values = [v for _, v in points] + ([threshold] if threshold is not None else [])
    if band_series:
        values += [v for s in band_series for _, v in s]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    if fmt is pct:
        lo = max(lo, 0.0)  # a share is never negative, whatever the padding
    x = _scale(0, max((d1 - d0).days, 1), LEFT, W - RIGHT)
    y = _scale(lo, hi, H - BOTTOM, TOP)

    def xd(d: dt.date) -> float:
        return x((d - d0).days)

    out = _frame(title, lo, hi, fmt)
    for i, band in enumerate(bands):
        x0, x1 = xd(max(band.start, d0)), xd(min(band.end, d1)) + 2
        width = max(x1 - x0, 2)
        out.append(f'<rect class="commit-band" x="{x0:.1f}" y="{TOP}" width="{width:.1f}" '
                   f'height="{H - TOP - BOTTOM}" fill="{"#e8eef8" if i % 2 else "#f4f0e8"}" '
                   f'opacity="0.8"><title>{escape(band.label)}</title></rect>')
    if band_series:
        lower, upper = band_series
        poly = [f"{xd(d):.1f},{y(v):.1f}" for d, v in upper] + \
            [f"{xd(d):.1f},{y(v):.1f}" for d, v in reversed(lower)]
        out.append(f'<polygon class="baseline-band" points="{" ".join(poly)}" '
                   f'fill="#2ca02c" opacity="0.15"/>')
    if threshold is not None:
        out.append(f'<line class="threshold" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(threshold):.1f}" '
                   f'y2="{y(threshold):.1f}" stroke="#d62728" stroke-dasharray="5,4"/>')
    for d, label in markers:
        out.append(f'<line class="deploy" x1="{xd(d):.1f}" x2="{xd(d):.1f}" y1="{TOP}" '
                   f'y2="{H - BOTTOM}" stroke="#555" stroke-dasharray="2,3">'
                   f'<title>{escape(label)}</title></line>')
    for i, (name, pts) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{xd(d):.1f},{y(v):.1f}" for d, v in sorted(pts))
        out.append(f'<polyline class="series" fill="none" stroke="{color}" stroke-width="2" '
                   f'points="{path}"/>')
        out.append(f'<text x="{W - RIGHT + 8}" y="{TOP + 14 + 14 * i}" font-size="11" '
                   f'fill="{color}">{escape(name[:22])}</text>')
    out.append(f'<text x="{LEFT}" y="{H - 8}" font-size="11">{d0}</text>'
               f'<text x="{W - RIGHT}" y="{H - 8}" font-size="11" text-anchor="end">{d1}</text>'
               "</svg>")
    return "".join(out)


def interval_chart(title: str, rows: Sequence[tuple[str, float, float, float, int]], *,
                   threshold: float | None = None, fmt: Fmt = pct) -> str:
    """One bar per row: (label, value, low, high, n), with its interval as a whisker."""
    if not rows:
        return f'<p class="empty">{escape(title)}: no data in the period</p>'
    height = TOP + BOTTOM + 22 * len(rows)
    lo = min([r[2] for r in rows] + ([threshold] if threshold is not None else []))
    hi = max([r[3] for r in rows] + ([threshold] if threshold is not None else []))
    lo, hi = max(0.0, lo - 0.05), min(1.0, hi + 0.05)
    x = _scale(lo, hi, 200, W - 90)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" role="img" '
           f'aria-label="{escape(title)}">']
    for i, (label, value, low, high, n) in enumerate(rows):
        cy = TOP + 22 * i + 11
        out.append(f'<text x="194" y="{cy + 4}" font-size="11" text-anchor="end">'
                   f'{escape(label[:34])}</text>'
                   f'<line class="interval" x1="{x(low):.1f}" x2="{x(high):.1f}" y1="{cy}" '
                   f'y2="{cy}" stroke="#1f77b4" stroke-width="3"/>'
                   f'<circle cx="{x(value):.1f}" cy="{cy}" r="4" fill="#1f77b4"/>'
                   f'<text x="{W - 84}" y="{cy + 4}" font-size="11">{escape(fmt(value))} '
                   f'n={n:,}</text>')
    if threshold is not None:
        out.append(f'<line class="threshold" x1="{x(threshold):.1f}" x2="{x(threshold):.1f}" '
                   f'y1="{TOP - 6}" y2="{height - BOTTOM + 6}" stroke="#d62728" '
                   f'stroke-dasharray="5,4"/>')
    out.append("</svg>")
    return "".join(out)
