"""Cloud Monitoring through google-cloud-monitoring's MetricServiceClient (gRPC).

Only the current cycle goes here (history stays in the warehouse): points older
than 25 h or more than 5 min ahead are rejected by the service, so a replayed
cycle (`--as-of` in the past) is skipped with a note instead.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from google.api import label_pb2, metric_pb2, monitored_resource_pb2
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.cloud import monitoring_v3

from monitor.metrics.base import MetricWriteResult
from monitor.metrics.points import LABEL_KEYS, METRIC_PREFIX, METRICS, MetricPoint

log = logging.getLogger(__name__)
MAX_SERIES_PER_REQUEST = 200
MAX_AGE = dt.timedelta(hours=25)
MAX_AHEAD = dt.timedelta(minutes=5)



def retry_policy(deadline_seconds: float) -> gretry.Retry:
    """CreateTimeSeries has no retry by default; these errors are worth another try."""
    return gretry.Retry(
        predicate=gretry.if_exception_type(gexc.ServiceUnavailable, gexc.DeadlineExceeded),
        initial=0.2, maximum=2.0, multiplier=2.0, timeout=deadline_seconds)


def monitored_resource(project: str, env: Mapping[str, str]) -> (
    monitored_resource_pb2.MonitoredResource
):
    """generic_task identifying the Cloud Run job task, or `global` elsewhere."""
    job = env.get("CLOUD_RUN_JOB")
    if not job:
        return monitored_resource_pb2.MonitoredResource(
            type="global", labels={"project_id": project})
    return monitored_resource_pb2.MonitoredResource(type="generic_task", labels={
        "project_id": project,
        "location": env.get("MONITOR_LOCATION") or "global",
        "namespace": "prediction-monitor",
        "job": job,
        "task_id": env.get("CLOUD_RUN_TASK_INDEX", "0"),
    })


def client_for(env: Mapping[str, str]) -> monitoring_v3.MetricServiceClient:
    """MONITORING_API_ENDPOINT: a plain-text gRPC endpoint (tests). `api_endpoint`
    alone would still insist on TLS, so the transport gets an insecure channel."""
    endpoint = env.get("MONITORING_API_ENDPOINT")
    if not endpoint:
        return monitoring_v3.MetricServiceClient()
    import grpc
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.monitoring_v3.services.metric_service.transports import (
        MetricServiceGrpcTransport,
    )

    channel = grpc.insecure_channel(endpoint)
    transport = MetricServiceGrpcTransport(
        channel=channel, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    return monitoring_v3.MetricServiceClient(transport=transport)


class CloudMonitoringSink:
    name = "cloud-monitoring"

    def __init__(self, client: monitoring_v3.MetricServiceClient, project: str,
                 resource: monitored_resource_pb2.MonitoredResource, *,
                 retry_deadline_seconds: float = 20.0, now: dt.datetime | None = None) -> None:
        self.client = client
        self.retry = retry_policy(retry_deadline_seconds)
        self.timeout = max(1.0, retry_deadline_seconds)
        self.project = project
        self.resource = resource
        self._now = now
        self._descriptors: set[str] | None = None

    @property
    def project_name(self) -> str:
        return f"projects/{self.project}"

    def ensure_descriptors(self) -> None:
        """Create the descriptors this exporter writes, once (idempotent)."""
        if self._descriptors is not None:
            return
        existing = {d.type for d in self.client.list_metric_descriptors(
            request={"name": self.project_name,
                     "filter": f'metric.type = starts_with("{METRIC_PREFIX}")'},
            retry=self.retry, timeout=self.timeout)}
        for metric, (unit, description) in METRICS.items():
            kind = METRIC_PREFIX + metric
            if kind in existing:
                continue
            descriptor = metric_pb2.MetricDescriptor(
                type=kind, metric_kind=metric_pb2.MetricDescriptor.MetricKind.GAUGE,
                value_type=metric_pb2.MetricDescriptor.ValueType.DOUBLE, unit=unit,
                description=description, display_name=f"prediction monitor {metric}",
                labels=[label_pb2.LabelDescriptor(
                    key=k, value_type=label_pb2.LabelDescriptor.ValueType.STRING)
                    for k in LABEL_KEYS])
            self.client.create_metric_descriptor(name=self.project_name,
                                                 metric_descriptor=descriptor,
                                                 retry=self.retry, timeout=self.timeout)
            existing.add(kind)
        self._descriptors = existing

    def _series(self, point: MetricPoint, at: dt.datetime) -> Any:
        seconds = int(at.timestamp())
        return monitoring_v3.TimeSeries({
            "metric": {"type": METRIC_PREFIX + point.metric, "labels": dict(point.labels)},
            "resource": self.resource,
            "points": [{"interval": {"end_time": {"seconds": seconds,
                                                  "nanos": at.microsecond * 1000}},
                        "value": {"double_value": point.value}}],
        })

    def write(self, points: Sequence[MetricPoint], at: dt.datetime) -> MetricWriteResult:
        result = MetricWriteResult()
        now = self._now or dt.datetime.now(dt.UTC)
        if not (now - MAX_AGE < at <= now + MAX_AHEAD):
            result.errors.append(f"cycle time {at.isoformat()} is outside what Cloud "
                                 "Monitoring accepts; points kept in the local history only")
            return result
        try:
            self.ensure_descriptors()
        except (gexc.GoogleAPICallError, gexc.RetryError) as exc:
            result.failed = len(points)
            result.errors.append(f"metric descriptors: {type(exc).__name__}: {exc}")
            return result
        unique: dict[Any, MetricPoint] = {p.series_key: p for p in points}
        series = [self._series(p, at) for p in unique.values()]
        for start in range(0, len(series), MAX_SERIES_PER_REQUEST):
            batch = series[start:start + MAX_SERIES_PER_REQUEST]
            try:
                self.client.create_time_series(name=self.project_name, time_series=batch,
                                               retry=self.retry, timeout=self.timeout)
                result.written += len(batch)
            except gexc.GoogleAPICallError as exc:
                # One rejected batch must not lose the others.
                result.failed += len(batch)
                result.errors.append(f"CreateTimeSeries batch {start // MAX_SERIES_PER_REQUEST}"
                                     f": {type(exc).__name__}: {exc.message}")
                log.warning("metrics batch failed: %s", exc.message)
            except gexc.RetryError as exc:
                result.failed += len(batch)
                result.errors.append(f"CreateTimeSeries gave up after retries: {exc}")
        return result
