"""A Cloud Monitoring dashboard (the Dashboard API's JSON) built from the metric
registry: one chart per registry Chart, each drawing the fixed thresholds of the
alerts.yaml rules on its metrics. Pure: configuration in, a JSON-ready dict out;
`prediction-monitor dashboard` writes it, deploy/monitoring/dashboard.json is its
output for the shipped alerts.yaml (a test keeps the two equal)."""

from __future__ import annotations

from typing import Any

from monitor.config import MonitorConfig
from monitor.metrics.points import LABEL_KEYS, METRIC_PREFIX
from monitor.metrics.registry import Chart, MetricSpec, charts

DISPLAY_NAME = "prediction-monitor"
COLUMNS = 2
# The cycle runs hourly: one aligned point per hour per series.
ALIGNMENT_PERIOD = "3600s"
# Cloud Monitoring's PromQL names a custom metric with its domain's dots as
# underscores and the first slash as a colon.
PROMQL_PREFIX = "custom_googleapis_com:prediction_monitor_"
AGE_WINDOW = "3h"


def metric_filter(metric: str) -> str:
    return f'metric.type="{METRIC_PREFIX}{metric}"'


def _thresholds(specs: list[MetricSpec], config: MonitorConfig) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, float]] = set()
    for spec in specs:
        for rule in config.rules:
            if rule.metric != spec.name:
                continue
            for direction, value in (("ABOVE", rule.above), ("BELOW", rule.below)):
                if value is None or (direction, value) in seen:
                    continue
                seen.add((direction, value))
                out.append({"label": rule.name, "value": value,
                            "color": "RED" if rule.severity == "critical" else "YELLOW",
                            "direction": direction})
    return out


def _data_set(spec: MetricSpec, chart: Chart) -> dict[str, Any]:
    aggregation: dict[str, Any] = {"alignmentPeriod": ALIGNMENT_PERIOD,
                                   "perSeriesAligner": "ALIGN_MEAN"}
    if chart.group_by:
        # Other labels (check, slate) fold into the mean of their group.
        aggregation |= {"crossSeriesReducer": "REDUCE_MEAN",
                        "groupByFields": [f"metric.label.{k}" for k in chart.group_by]}
    else:
        aggregation |= {"crossSeriesReducer": "REDUCE_MAX"}
    legend = " ".join([spec.name] + ["${metric.labels." + k + "}" for k in chart.group_by])
    return {"timeSeriesQuery": {"timeSeriesFilter": {"filter": metric_filter(spec.name),
                                                     "aggregation": aggregation},
                                "unitOverride": spec.unit},
            "plotType": "LINE", "legendTemplate": legend}


def _age_data_set(spec: MetricSpec) -> dict[str, Any]:
    # Seconds since the newest point: grows between cycles, resets at each one. A plain
    # timestamp() sees a point only within the 5-minute lookback; the subquery keeps
    # the last one for AGE_WINDOW (older: no value, and the heartbeat policy pages).
    query = (f"time() - max(max_over_time(timestamp({PROMQL_PREFIX}{spec.name})"
             f"[{AGE_WINDOW}:5m]))")
    return {"timeSeriesQuery": {"prometheusQuery": query, "unitOverride": "s"},
            "plotType": "LINE", "legendTemplate": f"{spec.name} age"}


def _widget(chart: Chart, specs: list[MetricSpec], config: MonitorConfig) -> dict[str, Any]:
    data_sets = [_age_data_set(s) if chart.age else _data_set(s, chart) for s in specs]
    xy: dict[str, Any] = {"dataSets": data_sets,
                          "yAxis": {"label": "seconds" if chart.age else
                                    ", ".join(s.name for s in specs), "scale": "LINEAR"}}
    thresholds = [] if chart.age else _thresholds(specs, config)
    if thresholds:
        xy["thresholds"] = thresholds
    return {"title": chart.title, "xyChart": xy}


def build_dashboard(config: MonitorConfig) -> dict[str, Any]:
    for chart, _ in charts():
        unknown = set(chart.group_by) - set(LABEL_KEYS)
        if unknown:  # a registry mistake, caught before Cloud Monitoring refuses it
            raise ValueError(f"chart {chart.title!r} groups by unknown labels {unknown}")
    return {"displayName": DISPLAY_NAME,
            "gridLayout": {"columns": str(COLUMNS),
                           "widgets": [_widget(c, specs, config) for c, specs in charts()]}}
