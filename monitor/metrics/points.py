"""Observations of one cycle → metric points. Pure: label hygiene and cardinality
bounds are decided here, before any exporter sees a point."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.model import CheckResult, Observation, Status

METRIC_PREFIX = "custom.googleapis.com/prediction_monitor/"
LABEL_KEYS = ("system_id", "build_commit_sha", "window", "check", "slate")
MAX_COMMITS = 12  # newest commits by sample size keep their label; others become "other"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.+\-]")

# metric → (unit, description). Units are UCUM as Cloud Monitoring expects.
METRICS: dict[str, tuple[str, str]] = {
    "hit_rate": ("1", "OVER/UNDER hit rate of graded picks"),
    "picks": ("1", "graded OVER/UNDER picks in the window"),
    "mae": ("1", "mean absolute error of graded predictions (points)"),
    "error_std": ("1", "standard deviation of the signed error (points)"),
    "mean_signed_error": ("1", "mean signed error (points)"),
    "direction_accuracy": ("1", "share of predictions on the right side of the line"),
    "high_edge_hit_rate": ("1", "hit rate of picks with a high edge"),
    "mismatch_share": ("1", "share with has_vegas_line = 0.0 while a line exists"),
    "ppm_default_share": ("1", "share with ppm_avg_last_10 at its default"),
    "features_missing_share": ("1", "share with critical_features missing or malformed"),
    "feature_rows": ("1", "predictions read by the feature-default check"),
    "vegas_coverage": ("1", "players with a Vegas line (weighted)"),
    "coverage_delta": ("1", "Vegas coverage minus its trailing baseline"),
    "ppm_coverage": ("1", "players with a non-default ppm"),
    "feature_quality": ("1", "average feature quality score"),
    "players_predicted_ratio": ("1", "players predicted / players requested"),
    "failed_batches": ("1", "failed prediction batches for the slate"),
    "partial_batches": ("1", "partial prediction batches for the slate"),
    "mae_drift": ("1", "CUSUM of MAE vs the replaced commit, in units of its threshold"),
    "hit_rate_drift": ("1", "CUSUM of hit rate vs the replaced commit, in threshold units"),
    "commits_per_slate": ("1", "distinct commits that predicted the slate"),
    "unknown_commit_share": ("1", "share of the slate's predictions without a commit"),
    "stale_backfill_batches": ("1", "backfill batches on a commit not serving daily batches"),
    "superseded_commit_batches": ("1", "batches from a commit older than one already serving"),
    "future_predictions": ("1", "the slate's predictions with predicted_at in the future"),
    "duplicate_predictions": ("1", "copies of a prediction_id already written for the slate"),
    "slate_batches": ("1", "batches attempted for today's slate"),
    "graded_share": ("1", "share of a past slate's active predictions that are graded"),
    "heartbeat": ("1", "1 every completed or failed cycle"),
    "checks_ok": ("1", "checks ok in the cycle"),
    "checks_failed": ("1", "checks failed, in error or without data in the cycle"),
    "alerts_firing": ("1", "alerts firing after the cycle"),
    "cycle_status": ("1", "0 the cycle completed, 1 the monitor failed"),
}
HEARTBEAT_METRICS = ("heartbeat", "checks_ok", "checks_failed", "alerts_firing",
                     "cycle_status")


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
        for key in ("system_id", "window"):
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


def heartbeat_points(results: Sequence[CheckResult], alerts_firing: int,
                     monitor_failed: bool) -> list[MetricPoint]:
    ok = sum(1 for r in results if r.status in (Status.OK, Status.WARN))
    failed = len(results) - ok
    return [
        MetricPoint("heartbeat", (), 1.0),
        MetricPoint("checks_ok", (), float(ok)),
        MetricPoint("checks_failed", (), float(failed)),
        MetricPoint("alerts_firing", (), float(alerts_firing)),
        MetricPoint("cycle_status", (), 1.0 if monitor_failed else 0.0),
    ]
