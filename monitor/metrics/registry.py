"""The one list of metrics the monitor judges and exports: name → the check that
measures it (or the heartbeat, or a built-in rule) and the labels its observations
carry, unit, description, how a person reads it, and the dashboard chart it belongs to.

A check's `metrics` are read from here (`check_metrics`), and so is what alerts.yaml
validates its rules against (monitor/config.py): a plain data module, importing nothing.

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
HEARTBEAT = "heartbeat"  # the cycle's own points (monitor/metrics/points.py)
BUILT_IN_RULE = "built-in rule"  # judged by monitor/cycle.py's built-in rules, never exported

# The labels of a check's observations (monitor.model.make_labels).
SLATE: tuple[str, ...] = ("system_id", "game_date")
COMMIT: tuple[str, ...] = ("system_id", "build_commit_sha")
COMMIT_WINDOW: tuple[str, ...] = ("system_id", "build_commit_sha", "window")
COMMIT_SLATE: tuple[str, ...] = ("system_id", "game_date", "build_commit_sha")
FEATURE_SLATE: tuple[str, ...] = (*COMMIT_SLATE, "feature")
COMMIT_FEATURE: tuple[str, ...] = ("system_id", "build_commit_sha", "feature")
# `calendar` is known or unknown: without a calendar a missing slate cannot be told
# from an off day, and the default rules only warn about it.
SLATE_BATCHES: tuple[str, ...] = ("system_id", "game_date", "calendar")
GAME: tuple[str, ...] = ("system_id", "game_date", "game_id")
CALENDAR: tuple[str, ...] = ("calendar_table",)
# The seed's two critical features keep the metric names their rules (and alert
# fingerprints) had: feature key → metric of the feature_defaults check.
SEED_METRICS: dict[str, str] = {"has_vegas_line": "mismatch_share",
                                "ppm_avg_last_10": "ppm_default_share"}
# The daily series drawn for an alert on the metric: MAE, hit rate, a pick's mean margin
# past the line, a pick's agreement with the players' form beyond chance, or the share
# of the alert's critical feature at its sentinel.
AlertSeries = Literal["mae", "hit_rate", "margin", "agreement", "feature_sentinel"]


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
    # The check that measures it (its `name`), HEARTBEAT or BUILT_IN_RULE.
    source: str = ""
    labels: tuple[str, ...] = ()
    # A difference of two shares: -1 to 1 rather than 0 to 1.
    signed: bool = False

    @property
    def bounds(self) -> tuple[float, float] | None:
        """The values a share can take (a rule's threshold must lie within); None for
        counts and values."""
        if self.kind != "share":
            return None
        return (-1.0, 1.0) if self.signed else (0.0, 1.0)


HIT_RATE = Chart("Hit rate per commit", ("system_id", "build_commit_sha", "window"))
FEATURE_DEFAULTS = Chart("Feature defaults and line/feature mismatch at prediction time",
                         ("system_id", "build_commit_sha", "slate"))
VEGAS = Chart("Vegas line coverage of prediction batches", ("system_id", "slate"))
EDGE = Chart("Distance of predictions from the Vegas line, share of the trailing baseline",
             ("system_id", "slate"))
MAE = Chart("MAE per commit (points)", ("system_id", "build_commit_sha", "window"))
HEARTBEAT_AGE = Chart("Heartbeat age (seconds since the last cycle)", age=True)
ALERTS = Chart("Alerts firing and checks failing")
INCIDENTS = Chart("Open incidents by severity", ("severity",))

REGISTRY: tuple[MetricSpec, ...] = (
    MetricSpec("hit_rate", "OVER/UNDER hit rate of graded picks", "share", chart=HIT_RATE,
               alert_series="hit_rate", threshold_on_series=True,
               source="hit_rate_by_commit", labels=COMMIT_WINDOW),
    MetricSpec("picks", "graded OVER/UNDER picks in the window", "count",
               source="hit_rate_by_commit", labels=COMMIT_WINDOW),
    MetricSpec("hit_rate_upper_bound", "a commit's anytime-valid upper bound on its hit "
               "rate over all its graded picks (window commit; the hit-rate rule's alpha)",
               "share", source="hit_rate_by_commit", labels=COMMIT_WINDOW),
    MetricSpec("mae", "mean absolute error of graded predictions (points)", "value",
               chart=MAE, alert_series="mae", source="hit_rate_by_commit", labels=COMMIT_WINDOW),
    MetricSpec("error_std", "standard deviation of the signed error (points)", "value",
               source="hit_rate_by_commit", labels=COMMIT_WINDOW),
    MetricSpec("mean_signed_error", "mean signed error (points)", "value",
               source="hit_rate_by_commit", labels=COMMIT_WINDOW),
    MetricSpec("direction_accuracy", "share of predictions on the right side of the line",
               "share", alert_series="hit_rate",
               source="hit_rate_by_commit", labels=COMMIT_WINDOW),
    MetricSpec("high_edge_hit_rate", "hit rate of picks with a high edge", "share",
               alert_series="hit_rate", source="hit_rate_by_commit", labels=COMMIT_WINDOW),
    MetricSpec("mismatch_share", "share with has_vegas_line = 0.0 while a line exists",
               "share", chart=FEATURE_DEFAULTS,
               alert_series="feature_sentinel", threshold_on_series=True,
               source="feature_defaults", labels=COMMIT_SLATE),
    MetricSpec("ppm_default_share", "share with ppm_avg_last_10 at its default", "share",
               chart=FEATURE_DEFAULTS,
               alert_series="feature_sentinel", threshold_on_series=True,
               source="feature_defaults", labels=COMMIT_SLATE),
    MetricSpec("features_missing_share", "share with critical_features missing or malformed",
               "share", chart=FEATURE_DEFAULTS, source="feature_defaults", labels=COMMIT_SLATE),
    MetricSpec("feature_rows", "predictions read by the feature-default check", "count",
               source="feature_defaults", labels=COMMIT_SLATE),
    MetricSpec("feature_absent", "1 when no row of any commit carried the configured "
               "critical feature in the last 28 days, else 0", "value", exported=False,
               source="feature_defaults", labels=("feature",)),
    # One series per configured critical feature (alerts.yaml bounds the `feature` label).
    MetricSpec("sentinel_share", "share of a critical feature's rows at its sentinel",
               "share", alert_series="feature_sentinel", threshold_on_series=True,
               source="feature_defaults", labels=FEATURE_SLATE),
    MetricSpec("out_of_range_share", "share of a critical feature's values outside its "
               "range", "share", source="feature_defaults", labels=FEATURE_SLATE),
    MetricSpec("feature_present", "rows with the critical feature a finite number", "count",
               source="feature_defaults", labels=FEATURE_SLATE),
    MetricSpec("feature_missing", "rows without the critical feature (absent or null)",
               "count", source="feature_defaults", labels=FEATURE_SLATE),
    MetricSpec("feature_wrong_type", "rows with the critical feature of the wrong JSON type",
               "count", source="feature_defaults", labels=FEATURE_SLATE),
    MetricSpec("feature_at_sentinel", "rows with the critical feature at its sentinel",
               "count", source="feature_defaults", labels=FEATURE_SLATE),
    MetricSpec("feature_out_of_range", "rows with the critical feature outside its range",
               "count", source="feature_defaults", labels=FEATURE_SLATE),
    MetricSpec("vegas_coverage", "players with a Vegas line (weighted)", "share", chart=VEGAS,
               source="vegas_coverage_trend", labels=SLATE),
    MetricSpec("coverage_delta", "Vegas coverage minus its trailing baseline", "share",
               source="vegas_coverage_trend", labels=SLATE, signed=True),
    MetricSpec("ppm_coverage", "players with a non-default ppm", "share",
               source="vegas_coverage_trend", labels=SLATE),
    MetricSpec("feature_quality", "average feature quality score", "value",
               source="vegas_coverage_trend", labels=SLATE),
    MetricSpec("players_predicted_ratio", "players predicted / players requested", "share",
               source="vegas_coverage_trend", labels=SLATE),
    MetricSpec("failed_batches", "failed prediction batches for the slate", "count",
               source="vegas_coverage_trend", labels=SLATE),
    MetricSpec("partial_batches", "partial prediction batches for the slate", "count",
               source="vegas_coverage_trend", labels=SLATE),
    MetricSpec("mae_drift", "CUSUM of MAE vs the replaced commit, in units of its threshold",
               "value", alert_series="mae", source="outcome_drift", labels=COMMIT),
    MetricSpec("hit_rate_drift", "CUSUM of hit rate vs the replaced commit, in threshold units",
               "value", alert_series="hit_rate", source="outcome_drift", labels=COMMIT),
    MetricSpec("edge_drift", "CUSUM of the picks' realized margin over the line vs the "
               "replaced commit, in threshold units", "value", alert_series="margin",
               source="outcome_drift", labels=COMMIT),
    MetricSpec("pick_agreement_drift", "CUSUM of how often the commit's picks side with the "
               "players' recent form beyond chance, vs the system's earlier commits, in "
               "threshold units",
               "value", alert_series="agreement", source="pick_agreement", labels=COMMIT),
    MetricSpec("prediction_edge", "mean |predicted - line| of the slate's lined predictions "
               "(points), per commit", "value", source="prediction_edge", labels=COMMIT_SLATE),
    MetricSpec("prediction_edge_ratio", "the slate's mean |predicted - line| per commit as a "
               "share of the system's trailing baseline", "value", chart=EDGE,
               source="prediction_edge", labels=COMMIT_SLATE),
    MetricSpec("feature_shift", "population stability index of a critical feature on a "
               "new commit's first slates vs the commit it replaced", "value",
               source="feature_shift", labels=COMMIT_FEATURE),
    MetricSpec("commit_changes", "commits new to a system compared with the one they "
               "replaced", "count", source="feature_shift"),
    MetricSpec("commits_per_slate", "distinct commits that predicted the slate", "count",
               source="provenance", labels=SLATE),
    MetricSpec("unknown_commit_share", "share of the slate's predictions without a commit",
               "share", source="provenance", labels=SLATE),
    MetricSpec("stale_backfill_batches", "backfill batches on a commit not serving daily "
               "batches", "count", source="provenance", labels=COMMIT),
    MetricSpec("superseded_commit_batches", "batches from a commit older than one already "
               "serving", "count", source="provenance", labels=COMMIT),
    MetricSpec("blocked_batches", "batches the batch gate blocked (never published)",
               "count", source="provenance", labels=COMMIT),
    MetricSpec("future_predictions", "the slate's predictions with predicted_at in the future",
               "count", source="provenance", labels=SLATE),
    MetricSpec("duplicate_predictions", "copies of a prediction_id already written for the "
               "slate", "count", source="provenance", labels=SLATE),
    MetricSpec("slate_batches", "batches attempted for today's slate", "count",
               source="freshness", labels=SLATE_BATCHES),
    MetricSpec("graded_share", "share of a past slate's active predictions that are graded",
               "share", source="freshness", labels=SLATE),
    MetricSpec("game_predictions", "predictions of one scheduled game by one system", "count",
               exported=False, source="freshness", labels=GAME),
    MetricSpec("calendar_unknown_games", "predicted games the league calendar does not know",
               "count", source="freshness", labels=CALENDAR),
    # The monitor's own heartbeat: written every cycle, even a failed one.
    MetricSpec("heartbeat", "1 every completed or failed cycle", "count", chart=HEARTBEAT_AGE,
               source=HEARTBEAT),
    MetricSpec("checks_ok", "checks ok in the cycle", "count", source=HEARTBEAT),
    MetricSpec("checks_failed", "checks failed, in error or without data in the cycle",
               "count", chart=ALERTS, source=HEARTBEAT),
    MetricSpec("alerts_firing", "alerts firing after the cycle", "count", chart=ALERTS,
               source=HEARTBEAT),
    MetricSpec("cycle_status", "0 the cycle completed, 1 the monitor failed", "count",
               source=HEARTBEAT),
    MetricSpec("monitor_notify_failed", "alert messages the channel refused for good in the "
               "cycle (channel_not_found, invalid_auth, …): recorded, not retried every run",
               "count", source=HEARTBEAT),
    # One series per severity (warning, critical), zero when none is open; not written
    # by a failed cycle, which cannot tell.
    MetricSpec("incidents_open", "incidents open after the cycle, by their severity",
               "count", chart=INCIDENTS, source=HEARTBEAT, labels=("severity",)),
    # What the built-in rules of monitor/cycle.py judge: read in alerts and reports,
    # never exported (checks_failed and the heartbeat carry them).
    MetricSpec("check_error", "1 when a check could not run (rule monitor_check_error)",
               "count", exported=False, source=BUILT_IN_RULE),
    MetricSpec("checks_no_data", "checks without data in a cycle (rule monitor_no_data)",
               "count", exported=False, source=BUILT_IN_RULE),
)

BY_NAME: dict[str, MetricSpec] = {m.name: m for m in REGISTRY}


def names_of(kind: Kind) -> frozenset[str]:
    return frozenset(m.name for m in REGISTRY if m.kind == kind)


def check_metrics(check: str) -> dict[str, tuple[str, ...]]:
    """metric → labels of the metrics check `check` measures, in registry order."""
    return {m.name: m.labels for m in REGISTRY if m.source == check}


def judged_by_rules() -> dict[str, tuple[str, ...]]:
    """metric → labels of every metric a rule of alerts.yaml may name: the checks'."""
    return {m.name: m.labels for m in REGISTRY if m.source not in (HEARTBEAT, BUILT_IN_RULE)}


def names_from(source: str) -> tuple[str, ...]:
    return tuple(m.name for m in REGISTRY if m.source == source)


def charts() -> list[tuple[Chart, list[MetricSpec]]]:
    """Dashboard charts in registry order, each with the metrics it draws."""
    out: dict[Chart, list[MetricSpec]] = {}
    for spec in REGISTRY:
        if spec.chart is not None:
            out.setdefault(spec.chart, []).append(spec)
    return list(out.items())
