"""Local sinks when no GCP project is configured: a JSONL history and a Prometheus
text-exposition file for node_exporter's textfile collector."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path

from monitor.metrics.base import MetricWriteResult
from monitor.metrics.points import METRICS, MetricPoint

PROM_PREFIX = "prediction_monitor_"


class JsonlSink:
    name = "jsonl"

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, points: Sequence[MetricPoint], at: dt.datetime) -> MetricWriteResult:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        stamp = at.astimezone(dt.UTC).isoformat()
        with self.path.open("a", encoding="utf-8") as out:
            for p in points:
                out.write(json.dumps({"time": stamp, "metric": p.metric,
                                      "labels": dict(p.labels), "value": p.value}) + "\n")
        return MetricWriteResult(written=len(points))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def prometheus_text(points: Sequence[MetricPoint], at: dt.datetime) -> str:
    by_metric: dict[str, list[MetricPoint]] = {}
    for p in points:
        by_metric.setdefault(p.metric, []).append(p)
    # node_exporter's textfile collector refuses samples with timestamps: the cycle
    # time is a gauge of its own instead.
    lines: list[str] = [
        f"# HELP {PROM_PREFIX}cycle_time_seconds time the cycle evaluated (--as-of)",
        f"# TYPE {PROM_PREFIX}cycle_time_seconds gauge",
        f"{PROM_PREFIX}cycle_time_seconds {at.timestamp()!r}",
    ]
    for metric in sorted(by_metric):
        name = PROM_PREFIX + metric
        lines.append(f"# HELP {name} {METRICS.get(metric, ('', metric))[1]}")
        lines.append(f"# TYPE {name} gauge")
        for p in by_metric[metric]:
            labels = ",".join(f'{k}="{_escape(v)}"' for k, v in p.labels)
            lines.append(f"{name}{{{labels}}} {p.value!r}" if labels else f"{name} {p.value!r}")
    return "\n".join(lines) + "\n"


class PrometheusTextfileSink:
    name = "prometheus-textfile"

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, points: Sequence[MetricPoint], at: dt.datetime) -> MetricWriteResult:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".prom.tmp")
        tmp.write_text(prometheus_text(points, at), encoding="utf-8")
        os.replace(tmp, self.path)  # the collector never reads a half-written file
        return MetricWriteResult(written=len(points))
