"""`serve`'s /metrics: prometheus_client's registry and exposition.

The latest cycle's points are a MetricSink like the others: each cycle swaps in a new
snapshot, and a scrape renders whatever snapshot is current (it never runs or waits
for a cycle). Names and labels are the textfile's (monitor/metrics/local_files.py).
The process's own counters live beside them in the same registry.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from monitor.metrics.base import MetricWriteResult
from monitor.metrics.local_files import PROM_PREFIX
from monitor.metrics.points import METRICS, MetricPoint

# generate_latest writes the 0.0.4 text format whatever the newest format is.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# Cycles take seconds (DuckDB) to minutes (BigQuery, Slack retries).
DURATION_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


class _LatestCycle(Collector):
    """Renders the current snapshot; the snapshot is replaced whole, never edited."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: tuple[dt.datetime, tuple[MetricPoint, ...]] | None = None

    def replace(self, points: Sequence[MetricPoint], at: dt.datetime) -> None:
        snapshot = (at, tuple(points))
        with self._lock:
            self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            snapshot = self._snapshot
        if snapshot is None:
            return
        at, points = snapshot
        cycle_time = GaugeMetricFamily(f"{PROM_PREFIX}cycle_time_seconds",
                                       "time the cycle evaluated (--as-of)")
        cycle_time.add_metric([], at.timestamp())
        yield cycle_time
        by_metric: dict[str, list[MetricPoint]] = {}
        for p in points:
            by_metric.setdefault(p.metric, []).append(p)
        for metric in sorted(by_metric):
            keys = sorted({k for p in by_metric[metric] for k, _ in p.labels})
            family = GaugeMetricFamily(PROM_PREFIX + metric,
                                       METRICS.get(metric, ("", metric))[1], labels=keys)
            seen: set[tuple[str, ...]] = set()
            for p in by_metric[metric]:
                labels = dict(p.labels)
                values = tuple(labels.get(k, "") for k in keys)
                if values not in seen:  # one sample per series, as in the textfile
                    seen.add(values)
                    family.add_metric(list(values), p.value)
            yield family


class PrometheusExporter:
    """A MetricSink for the latest cycle plus the process counters, in one registry."""

    name = "prometheus"

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._latest = _LatestCycle()
        self.registry.register(self._latest)
        self.cycles = Counter(f"{PROM_PREFIX}cycles", "cycles run by this process, by outcome",
                              ["status"], registry=self.registry)
        self.duration = Histogram(f"{PROM_PREFIX}cycle_duration_seconds",
                                  "wall time of a cycle", buckets=DURATION_BUCKETS,
                                  registry=self.registry)
        self.notifications = Counter(f"{PROM_PREFIX}notifications",
                                     "alert messages, by outcome (sent, failed)", ["outcome"],
                                     registry=self.registry)
        self.metric_write_failures = Counter(f"{PROM_PREFIX}metric_write_failures",
                                             "metric points other sinks failed to write",
                                             registry=self.registry)
        self.last_success = Gauge(f"{PROM_PREFIX}last_successful_cycle_timestamp_seconds",
                                  "when the last completed cycle finished (Unix time)",
                                  registry=self.registry)
        # Zero-valued series exist from the start, so rate() sees the first increment.
        for status in ("completed", "failed"):
            self.cycles.labels(status=status)
        for outcome in ("sent", "failed"):
            self.notifications.labels(outcome=outcome)

    def write(self, points: Sequence[MetricPoint], at: dt.datetime) -> MetricWriteResult:
        self._latest.replace(points, at)
        return MetricWriteResult(written=len(points))

    def record_cycle(self, *, ok: bool, seconds: float, sent: int, failed: int,
                     metric_failures: int, finished_at: dt.datetime) -> None:
        self.cycles.labels(status="completed" if ok else "failed").inc()
        self.duration.observe(max(seconds, 0.0))
        self.notifications.labels(outcome="sent").inc(sent)
        self.notifications.labels(outcome="failed").inc(failed)
        self.metric_write_failures.inc(metric_failures)
        if ok:
            self.last_success.set(finished_at.timestamp())

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
