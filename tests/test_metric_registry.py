"""The metric registry is the one list: every check's metric is in it, and the
dashboard generated from it names only metrics the exporter writes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from google.cloud import monitoring_dashboard_v1
from google.protobuf import json_format

from monitor.checks import all_checks
from monitor.cli import main
from monitor.config import BUILT_IN_CHECK_RULES, MonitorConfig
from monitor.cycle import BUILT_IN_RULES
from monitor.demo import HEALTHY_DATE
from monitor.metrics.dashboard import PROMQL_PREFIX, build_dashboard
from monitor.metrics.format import COUNT_METRICS, RATE_METRICS
from monitor.metrics.points import (
    HEARTBEAT_METRICS,
    LABEL_KEYS,
    METRIC_PREFIX,
    METRICS,
    heartbeat_points,
)
from monitor.metrics.registry import (
    BUILT_IN_RULE,
    BY_NAME,
    HEARTBEAT,
    REGISTRY,
    check_metrics,
    names_from,
)
from monitor.validate import validate_daily
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import DEMO_OPTS

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy" / "monitoring" / "dashboard.json"


def test_every_registered_metric_names_who_writes_it() -> None:
    checks = {c.name: c for c in all_checks()}
    # Nothing registered that no check, no heartbeat and no built-in rule writes.
    assert {m.source for m in REGISTRY} == set(checks) | {HEARTBEAT, BUILT_IN_RULE}
    for name, check in checks.items():
        assert check.metrics == check_metrics(name), name
    # The cycle's own rules judge metrics of their own; built-in rules on a check's
    # metric (critical_feature_absent) judge what that check measures.
    on_checks = {rule.metric for rule in BUILT_IN_CHECK_RULES}
    built_in = {rule.metric for rule in BUILT_IN_RULES} - on_checks
    assert set(names_from(BUILT_IN_RULE)) == built_in
    assert all(BY_NAME[m].source in checks for m in on_checks)
    assert not any(BY_NAME[m].exported for m in built_in | on_checks)
    beat = [p.metric for p in heartbeat_points([], alerts_firing=0, monitor_failed=False,
                                               incidents_open={})]
    assert list(dict.fromkeys(beat)) == list(names_from(HEARTBEAT)) == list(HEARTBEAT_METRICS)
    assert len(BY_NAME) == len(REGISTRY)  # no name twice


@pytest.mark.parametrize("day", [HEALTHY_DATE, DEMO_OPTS.incident_start])
def test_each_observation_carries_its_registered_metric_and_labels(
        day: dt.date, demo_path: Path, config: MonitorConfig) -> None:
    """The registry is what alerts.yaml is validated against: a check that writes a
    metric or a label the registry lacks fails here, with the line to add."""
    warehouse = DuckDBWarehouse(demo_path, read_only=True)
    try:
        report = validate_daily(warehouse, config, day,
                                dt.datetime.combine(day, dt.time(23), tzinfo=dt.UTC))
    finally:
        warehouse.close()
    seen = 0
    for result in report.results:
        for o in result.observations:
            spec = BY_NAME.get(o.metric)
            assert spec is not None, "add to REGISTRY in monitor/metrics/registry.py: " \
                f'MetricSpec("{o.metric}", "<description>", "share|count|value", ' \
                f'source="{result.name}", labels=...)'
            assert spec.source == result.name == o.check, o
            assert {k for k, _ in o.labels} <= set(spec.labels), o
            seen += 1
    assert seen > 50


def test_exporter_and_report_read_the_registry() -> None:
    assert METRICS == {m.name: (m.unit, m.description) for m in REGISTRY if m.exported}
    assert "game_predictions" not in METRICS  # a series per game: judged, not exported
    assert all(BY_NAME[m].kind == "share" for m in RATE_METRICS)
    assert {m for m in COUNT_METRICS if m in BY_NAME} == {
        m.name for m in REGISTRY if m.kind == "count"}


def test_slack_alert_charts_read_the_registry() -> None:
    # A threshold is drawn only on a series the alert has.
    assert all(m.alert_series for m in REGISTRY if m.threshold_on_series)
    # Every default rule on an outcome CUSUM gets a series to look at.
    drift = [m.name for m in REGISTRY if m.name.endswith("_drift")]
    assert drift and all(BY_NAME[m].alert_series for m in drift), drift


def named_metrics(dashboard: monitoring_dashboard_v1.Dashboard) -> list[str]:
    """Every metric type a chart reads, from its filters and PromQL queries."""
    out: list[str] = []
    for widget in dashboard.grid_layout.widgets:
        for data_set in widget.xy_chart.data_sets:
            query = data_set.time_series_query
            if query.prometheus_query:
                out += [METRIC_PREFIX + m for m in
                        re.findall(re.escape(PROMQL_PREFIX) + r"(\w+)", query.prometheus_query)]
                assert PROMQL_PREFIX in query.prometheus_query
            else:
                found = re.findall(r'metric\.type\s*=\s*"([^"]+)"',
                                   query.time_series_filter.filter)
                assert found, f"{widget.title}: no metric.type in its filter"
                out += found
    return out


def test_dashboard_json_parses_and_names_only_exported_metrics() -> None:
    dashboard = monitoring_dashboard_v1.Dashboard.pb()()
    json_format.Parse(DASHBOARD.read_text(), dashboard)  # unknown fields are errors
    assert dashboard.display_name == "prediction-monitor"
    names = named_metrics(dashboard)
    exported = {METRIC_PREFIX + m for m in METRICS}
    assert names and set(names) <= exported, sorted(set(names) - exported)
    # What the issue asks the dashboard to show.
    assert {METRIC_PREFIX + m for m in ("hit_rate", "mismatch_share", "ppm_default_share",
                                        "vegas_coverage", "mae", "heartbeat",
                                        "alerts_firing")} <= set(names)
    for widget in dashboard.grid_layout.widgets:
        for data_set in widget.xy_chart.data_sets:
            fields = data_set.time_series_query.time_series_filter.aggregation.group_by_fields
            assert {f.removeprefix("metric.label.") for f in fields} <= set(LABEL_KEYS)
    hit_rate = next(w for w in dashboard.grid_layout.widgets if w.title.startswith("Hit rate"))
    assert [(t.value, t.direction) for t in hit_rate.xy_chart.thresholds] == [
        (pytest.approx(0.55), hit_rate.xy_chart.thresholds[0].Direction.BELOW)]


def test_dashboard_file_is_the_generator_output(config: MonitorConfig, tmp_path: Path) -> None:
    """Regenerate with `prediction-monitor dashboard --out deploy/monitoring/dashboard.json`."""
    assert json.loads(DASHBOARD.read_text()) == build_dashboard(config)
    out = tmp_path / "dashboard.json"
    assert main(["dashboard", "--config", str(ROOT / "alerts.yaml"), "--out", str(out)]) == 0
    assert out.read_text() == DASHBOARD.read_text()


def test_dashboard_thresholds_follow_the_config(config: MonitorConfig) -> None:
    rules = [r.model_copy(update={"below": 0.6}) if r.name == "hit_rate_below_55" else r
             for r in config.rules]
    changed = build_dashboard(config.model_copy(update={"rules": rules}))
    hit_rate = changed["gridLayout"]["widgets"][0]
    assert hit_rate["xyChart"]["thresholds"][0]["value"] == 0.6
