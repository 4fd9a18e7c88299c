"""A small PNG of the metric that fired, for the alert's Slack thread: the last 28
days of the system, the rule's threshold, the day the alert's commit took over.

The series come from the queries the checks already use; the drawing is Pillow
(imported only when a chart is drawn)."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from monitor.checks.feature_defaults import feature_counts, query_feature_defaults
from monitor.checks.outcome_drift import NO_SENTINELS, pooled
from monitor.checks.pick_agreement import reference_params, slate_from
from monitor.config import MonitorConfig, Rule
from monitor.metrics.registry import BY_NAME, SEED_METRICS, AlertSeries
from monitor.model import as_date
from monitor.warehouse.base import QueryRunner

DAYS = 28
Series = list[tuple[dt.date, float]]
# An outcome series per day: its title, and the daily sums it divides.
OUTCOME_RATIOS: dict[AlertSeries, tuple[str, str, str]] = {
    "mae": ("MAE per day", "sum_abs_error", "graded"),
    "hit_rate": ("hit rate per day", "hits", "picks"),
    "margin": ("mean margin past the line per pick (points)", "sum_margin", "margin_picks"),
}


def alert_series(rule: Rule) -> AlertSeries | None:
    spec = BY_NAME.get(rule.metric)
    return spec.alert_series if spec else None


def chart_threshold(rule: Rule) -> float | None:
    """The line to draw on the rule's chart: its fixed threshold, where the chart shows
    the quantity the threshold is about (the metric registry says which)."""
    spec = BY_NAME.get(rule.metric)
    return rule.threshold if spec and spec.threshold_on_series else None


def metric_series(warehouse: QueryRunner, config: MonitorConfig, rule: Rule,
                  labels: dict[str, str], as_of: dt.datetime) -> tuple[str, Series, dt.date | None]:
    """(what is drawn, daily points, first day of the alert's commit) — or no points."""
    system, commit = labels.get("system_id", ""), labels.get("build_commit_sha", "")
    end = as_of.date()
    start = end - dt.timedelta(days=DAYS)
    first_of_commit: dt.date | None = None
    series = alert_series(rule)
    if series in OUTCOME_RATIOS:
        title, numerator, denominator = OUTCOME_RATIOS[series]
        by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
        for r in warehouse.query("outcome_daily_by_commit",
                                 {"start_date": start, "end_date": end, "as_of": as_of,
                                  **NO_SENTINELS}):
            if r["system_id"] != system:
                continue
            day = as_date(r["game_date"])
            if r["build_commit_sha"] == commit:
                first_of_commit = min(first_of_commit or day, day)
            by_day[day].append(r)
        sums = [(d, pooled(rows)) for d, rows in sorted(by_day.items())]
        return title, [(d, s[numerator] / s[denominator]) for d, s in sums
                       if s[denominator]], first_of_commit
    if series == "agreement":
        # What the rule tests: the picks' agreement with the players' form beyond chance.
        agree: dict[dt.date, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for r in warehouse.query("pick_agreement_by_commit", {
                "start_date": start, "end_date": end, "as_of": as_of,
                **reference_params(config), **NO_SENTINELS}):
            if r["system_id"] != system:
                continue
            slate = slate_from(r)
            if r["build_commit_sha"] == commit:
                first_of_commit = min(first_of_commit or slate.game_date, slate.game_date)
            agree[slate.game_date][0] += slate.excess
            agree[slate.game_date][1] += slate.picks
        return ("picks' agreement with the players' form beyond chance, per day",
                [(d, x / n) for d, (x, n) in sorted(agree.items()) if n], first_of_commit)
    if series == "feature_sentinel":
        # The feature the alert is about: its `feature` label, or the seed metric's key.
        key = labels.get("feature") or {m: k for k, m in SEED_METRICS.items()}.get(
            rule.metric, "")
        counts: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
        for r in query_feature_defaults(warehouse, config.features, start,
                                        end + dt.timedelta(days=1), as_of):
            if r["system_id"] != system:
                continue
            day = as_date(r["game_date"])
            if r["build_commit_sha"] == commit:
                first_of_commit = min(first_of_commit or day, day)
            for c in feature_counts(r, config.features):
                if c.feature.key == key:
                    counts[day][0] += c.at_sentinel
                    counts[day][1] += c.eligible
        return f"{rule.metric} per day", [(d, a / b) for d, (a, b) in sorted(counts.items())
                                           if b], first_of_commit
    return "", [], None


def render_png(title: str, points: Sequence[tuple[dt.date, float]], *,
               threshold: float | None, marker: dt.date | None) -> bytes:
    from PIL import Image, ImageDraw

    width, height, pad = 640, 300, 44
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    values: list[float] = [float(v) for _, v in points]
    if threshold is not None:
        values.append(threshold)
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    lo, hi = lo - span * 0.1, hi + span * 0.1
    d0 = points[0][0]
    days = max((points[-1][0] - d0).days, 1)

    def xy(day: dt.date, value: float) -> tuple[float, float]:
        return (pad + (day - d0).days / days * (width - 2 * pad),
                height - pad - (value - lo) / (hi - lo) * (height - 2 * pad))

    draw.rectangle((pad, pad, width - pad, height - pad), outline="#bbbbbb")
    draw.text((pad, 12), title, fill="black")
    draw.text((4, pad - 6), f"{hi:.2f}", fill="#555555")
    draw.text((4, height - pad - 6), f"{lo:.2f}", fill="#555555")
    draw.text((pad, height - pad + 8), str(d0), fill="#555555")
    draw.text((width - pad - 70, height - pad + 8), str(points[-1][0]), fill="#555555")
    if threshold is not None:
        y = xy(d0, threshold)[1]
        for dash in range(pad, width - pad, 12):
            draw.line((dash, y, dash + 6, y), fill="#d62728", width=2)
    if marker is not None and d0 <= marker:
        x = xy(marker, lo)[0]
        draw.line((x, pad, x, height - pad), fill="#555555", width=1)
        draw.text((x + 4, pad + 4), "commit change", fill="#555555")
    draw.line([xy(d, v) for d, v in points], fill="#1f77b4", width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
