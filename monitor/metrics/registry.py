"""The one list of metrics the monitor exports: name → unit, description, how a person
reads it, and the dashboard chart it belongs to.

Cloud Monitoring descriptors, the Prometheus textfile and /metrics, the report's
number formatting and deploy/monitoring/dashboard.json are all derived from this
table; tests/test_metric_registry.py fails when a check's metric is missing here.
Thresholds are not kept here: a chart draws the fixed `above`/`below` of the
alerts.yaml rules on its metrics, so the dashboard shows the lines that page. Here too:
the daily series an alert's Slack thread draws (monitor/notify/chart.py), and whether
the rule's threshold is a line on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["share", "count", "value"]  # 0–1 share, whole count, anything else
# The daily series drawn for an alert on the metric: MAE, hit rate, a pick's mean margin
# past the line, or the share of the alert's critical feature at its sentinel.
AlertSeries = Literal["mae", "hit_rate", "margin", "feature_sentinel"]


@dataclass(frozen=True)
class Chart:
    """A dashboard chart; metrics naming the same chart share it."""

    title: str
    group_by: tuple[str, ...] = ()  # labels that split the chart into series
    # Seconds since the metric's last point rather than its value (a heartbeat's age).
    age: bool = False


@dataclass(frozen=True)
class MetricSpec:
    name: str
    description: str
    kind: Kind
    unit: str = "1"  # UCUM, as Cloud Monitoring expects
    chart: Chart | None = None
    # False: judged by rules but not exported (one series per game would be unbounded).
    exported: bool = True
    alert_series: AlertSeries | None = None
    # True: the series is the metric's own quantity per day, so a rule's threshold is a
    # line on it; False: a related series (a CUSUM's, high-edge picks') without one.
    threshold_on_series: bool = False


HIT_RATE = Chart("Hit rate per commit", ("system_id", "build_commit_sha", "window"))
FEATURE_DEFAULTS = Chart("Feature defaults and line/feature mismatch at prediction time",
                         ("system_id", "build_commit_sha", "slate"))
VEGAS = Chart("Vegas line coverage of prediction batches", ("system_id", "slate"))
EDGE = Chart("Distance of predictions from the Vegas line, share of the trailing baseline",
             ("system_id", "slate"))
MAE = Chart("MAE per commit (points)", ("system_id", "build_commit_sha", "window"))
HEARTBEAT = Chart("Heartbeat age (seconds since the last cycle)", age=True)
ALERTS = Chart("Alerts firing and checks failing")

REGISTRY: tuple[MetricSpec, ...] = (
    MetricSpec("hit_rate", "OVER/UNDER hit rate of graded picks", "share", chart=HIT_RATE,
               alert_series="hit_rate", threshold_on_series=True),
    MetricSpec("picks", "graded OVER/UNDER picks in the window", "count"),
    MetricSpec("mae", "mean absolute error of graded predictions (points)", "value",
               chart=MAE, alert_series="mae"),
    MetricSpec("error_std", "standard deviation of the signed error (points)", "value"),
    MetricSpec("mean_signed_error", "mean signed error (points)", "value"),
    MetricSpec("direction_accuracy", "share of predictions on the right side of the line",
               "share", alert_series="hit_rate"),
    MetricSpec("high_edge_hit_rate", "hit rate of picks with a high edge", "share",
               alert_series="hit_rate"),
    MetricSpec("mismatch_share", "share with has_vegas_line = 0.0 while a line exists",
               "share", chart=FEATURE_DEFAULTS,
               alert_series="feature_sentinel", threshold_on_series=True),
    MetricSpec("ppm_default_share", "share with ppm_avg_last_10 at its default", "share",
               chart=FEATURE_DEFAULTS,
               alert_series="feature_sentinel", threshold_on_series=True),
    MetricSpec("features_missing_share", "share with critical_features missing or malformed",
               "share", chart=FEATURE_DEFAULTS),
    MetricSpec("feature_rows", "predictions read by the feature-default check", "count"),
    # One series per configured critical feature (alerts.yaml bounds the `feature` label).
    MetricSpec("sentinel_share", "share of a critical feature's rows at its sentinel",
               "share", alert_series="feature_sentinel", threshold_on_series=True),
    MetricSpec("out_of_range_share", "share of a critical feature's values outside its "
               "range", "share"),
    MetricSpec("feature_present", "rows with the critical feature a finite number", "count"),
    MetricSpec("feature_missing", "rows without the critical feature (absent or null)",
               "count"),
    MetricSpec("feature_wrong_type", "rows with the critical feature of the wrong JSON type",
               "count"),
    MetricSpec("feature_at_sentinel", "rows with the critical feature at its sentinel",
               "count"),
    MetricSpec("feature_out_of_range", "rows with the critical feature outside its range",
               "count"),
    MetricSpec("vegas_coverage", "players with a Vegas line (weighted)", "share", chart=VEGAS),
    MetricSpec("coverage_delta", "Vegas coverage minus its trailing baseline", "share"),
    MetricSpec("ppm_coverage", "players with a non-default ppm", "share"),
    MetricSpec("feature_quality", "average feature quality score", "value"),
    MetricSpec("players_predicted_ratio", "players predicted / players requested", "share"),
    MetricSpec("failed_batches", "failed prediction batches for the slate", "count"),
    MetricSpec("partial_batches", "partial prediction batches for the slate", "count"),
    MetricSpec("mae_drift", "CUSUM of MAE vs the replaced commit, in units of its threshold",
               "value", alert_series="mae"),
    MetricSpec("hit_rate_drift", "CUSUM of hit rate vs the replaced commit, in threshold units",
               "value", alert_series="hit_rate"),
    MetricSpec("edge_drift", "CUSUM of the picks' realized margin over the line vs the "
               "replaced commit, in threshold units", "value", alert_series="margin"),
    MetricSpec("prediction_edge", "mean |predicted - line| of the slate's lined predictions "
               "(points)", "value"),
    MetricSpec("prediction_edge_ratio", "the slate's mean |predicted - line| as a share of "
               "the system's trailing baseline", "value", chart=EDGE),
    MetricSpec("feature_shift", "population stability index of a critical feature on a "
               "new commit's first slates vs the commit it replaced", "value"),
    MetricSpec("commit_changes", "commits new to a system compared with the one they "
               "replaced", "count"),
    MetricSpec("commits_per_slate", "distinct commits that predicted the slate", "count"),
    MetricSpec("unknown_commit_share", "share of the slate's predictions without a commit",
               "share"),
    MetricSpec("stale_backfill_batches", "backfill batches on a commit not serving daily "
               "batches", "count"),
    MetricSpec("superseded_commit_batches", "batches from a commit older than one already "
               "serving", "count"),
    MetricSpec("blocked_batches", "batches the batch gate blocked (never published)",
               "count"),
    MetricSpec("future_predictions", "the slate's predictions with predicted_at in the future",
               "count"),
    MetricSpec("duplicate_predictions", "copies of a prediction_id already written for the "
               "slate", "count"),
    MetricSpec("slate_batches", "batches attempted for today's slate", "count"),
    MetricSpec("graded_share", "share of a past slate's active predictions that are graded",
               "share"),
    MetricSpec("game_predictions", "predictions of one scheduled game by one system", "count",
               exported=False),
    MetricSpec("calendar_unknown_games", "predicted games the league calendar does not know",
               "count"),
    # The monitor's own heartbeat: written every cycle, even a failed one.
    MetricSpec("heartbeat", "1 every completed or failed cycle", "count", chart=HEARTBEAT),
    MetricSpec("checks_ok", "checks ok in the cycle", "count"),
    MetricSpec("checks_failed", "checks failed, in error or without data in the cycle",
               "count", chart=ALERTS),
    MetricSpec("alerts_firing", "alerts firing after the cycle", "count", chart=ALERTS),
    MetricSpec("cycle_status", "0 the cycle completed, 1 the monitor failed", "count"),
    # What the built-in rules of monitor/cycle.py judge: read in alerts and reports,
    # never exported (checks_failed and the heartbeat carry them).
    MetricSpec("check_error", "1 when a check could not run (rule monitor_check_error)",
               "count", exported=False),
    MetricSpec("checks_no_data", "checks without data in a cycle (rule monitor_no_data)",
               "count", exported=False),
)

BY_NAME: dict[str, MetricSpec] = {m.name: m for m in REGISTRY}


def names_of(kind: Kind) -> frozenset[str]:
    return frozenset(m.name for m in REGISTRY if m.kind == kind)


def charts() -> list[tuple[Chart, list[MetricSpec]]]:
    """Dashboard charts in registry order, each with the metrics it draws."""
    out: dict[Chart, list[MetricSpec]] = {}
    for spec in REGISTRY:
        if spec.chart is not None:
            out.setdefault(spec.chart, []).append(spec)
    return list(out.items())
