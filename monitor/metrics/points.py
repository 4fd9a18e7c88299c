"""Observations of one cycle → metric points. Pure: label hygiene and cardinality
bounds are decided here, before any exporter sees a point."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import get_args

from monitor.metrics.registry import HEARTBEAT, REGISTRY, names_from
from monitor.model import CheckResult, Observation, Severity, Status

METRIC_PREFIX = "custom.googleapis.com/prediction_monitor/"
# severity: incidents_open's, one of the two severities.
LABEL_KEYS = ("system_id", "build_commit_sha", "window", "check", "slate", "feature",
              "severity")
MAX_COMMITS = 12  # newest commits by sample size keep their label; others become "other"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.+\-]")

# metric → (unit, description), from the one registry (monitor/metrics/registry.py).
METRICS: dict[str, tuple[str, str]] = {m.name: (m.unit, m.description) for m in REGISTRY
                                       if m.exported}
# The cycle's own points, written every cycle (heartbeat_points), even a failed one.
HEARTBEAT_METRICS = names_from(HEARTBEAT)


@dataclass(frozen=True)
class MetricPoint:
    metric: str  # short name; the exporter adds METRIC_PREFIX
    labels: tuple[tuple[str, str], ...]
    value: float

    @property
    def series_key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return (self.metric, self.labels)


def sanitize(value: str) -> str:
    """Label values Cloud Monitoring and Prometheus both accept, short and stable."""
    cleaned = _UNSAFE.sub("_", value)[:64]
    return cleaned or "none"


def _slate(game_date: str, today: dt.date) -> str:
    """Relative slate label (d+1, d0, d-2): bounded cardinality instead of a date."""
    offset = (dt.date.fromisoformat(game_date) - today).days
    return "d0" if offset == 0 else f"d{offset:+d}"


def observation_points(observations: Iterable[Observation], today: dt.date) -> (
    list[MetricPoint]
):
    obs = [o for o in observations if o.value is not None and o.metric in METRICS]
    weight: dict[str, int] = {}
    for o in obs:
        commit = o.label("build_commit_sha")
        if commit:
            weight[commit] = weight.get(commit, 0) + o.sample_size
    kept = set(sorted(weight, key=lambda c: -weight[c])[:MAX_COMMITS])
    points: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[int, MetricPoint]] = {}
    for o in obs:
        labels = {"check": o.check}
        # feature: configured critical features are few and named in alerts.yaml.
        for key in ("system_id", "window", "feature"):
            if o.label(key):
                labels[key] = o.label(key)
        commit = o.label("build_commit_sha")
        if commit:
            labels["build_commit_sha"] = commit if commit in kept else "other"
        if o.label("game_date"):
            labels["slate"] = _slate(o.label("game_date"), today)
        assert o.value is not None
        point = MetricPoint(o.metric, tuple(sorted((k, sanitize(v)) for k, v in labels.items())),
                            float(o.value))
        # One point per series per request: where labels collapse ("other"), the
        # observation with the largest sample speaks for the series.
        existing = points.get(point.series_key)
        if existing is None or o.sample_size > existing[0]:
            points[point.series_key] = (o.sample_size, point)
    return [p for _, p in points.values()]


SEVERITIES: tuple[Severity, ...] = get_args(Severity)


def heartbeat_points(results: Sequence[CheckResult], alerts_firing: int,
                     monitor_failed: bool, notify_failed: int = 0,
                     incidents_open: Mapping[str, int] | None = None) -> list[MetricPoint]:
    """`notify_failed`: messages the channel refused for good this cycle;
    `incidents_open`: open incidents by severity after the cycle (None: a failed cycle,
    which cannot tell, writes none). Every severity gets its point, zero when none is
    open, so a chart or policy sees the count fall to zero."""
    ok = sum(1 for r in results if r.status in (Status.OK, Status.WARN))
    failed = len(results) - ok
    return [
        MetricPoint("heartbeat", (), 1.0),
        MetricPoint("checks_ok", (), float(ok)),
        MetricPoint("checks_failed", (), float(failed)),
        MetricPoint("alerts_firing", (), float(alerts_firing)),
        MetricPoint("cycle_status", (), 1.0 if monitor_failed else 0.0),
        MetricPoint("monitor_notify_failed", (), float(notify_failed)),
        *(MetricPoint("incidents_open", (("severity", s),), float(incidents_open.get(s, 0)))
          for s in SEVERITIES if incidents_open is not None),
    ]
