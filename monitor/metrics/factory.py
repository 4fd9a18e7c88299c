"""Environment → metric sinks. GOOGLE_CLOUD_PROJECT turns Cloud Monitoring on;
without it the local JSONL and Prometheus files are written."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from monitor.config import MonitorConfig
from monitor.metrics.base import MetricSink


def sinks_from_env(env: Mapping[str, str], data_dir: Path,
                   config: MonitorConfig) -> list[MetricSink]:
    project = env.get("GOOGLE_CLOUD_PROJECT")
    if project:
        from monitor.metrics.cloud_monitoring import (
            CloudMonitoringSink,
            client_for,
            monitored_resource,
        )

        return [CloudMonitoringSink(
            client_for(env), project, monitored_resource(project, env),
            retry_deadline_seconds=config.cloud_monitoring.retry_deadline_seconds)]
    from monitor.metrics.local_files import JsonlSink, PrometheusTextfileSink

    metrics_dir = Path(env.get("MONITOR_METRICS_DIR") or data_dir / "metrics")
    return [JsonlSink(metrics_dir / "metrics.jsonl"),
            PrometheusTextfileSink(metrics_dir / "prediction_monitor.prom")]
