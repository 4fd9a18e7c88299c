"""A Cloud Monitoring MetricService fake on 127.0.0.1 over plain gRPC, built from the
request and response types shipped in google-cloud-monitoring. It enforces the
documented limits so the exporter is tested against them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.api import metric_pb2
from google.cloud.monitoring_v3.types import metric_service
from google.protobuf import empty_pb2

from tests.fakes.grpc_fake import start_grpc_fake

SERVICE = "google.monitoring.v3.MetricService"
MAX_SERIES = 200
MAX_LABELS = 30
MIN_INTERVAL = dt.timedelta(seconds=5)


@dataclass
class FakeMonitoring:
    server: grpc.Server
    port: int
    # Scripted status codes answer the next CreateTimeSeries calls instead.
    script: list[grpc.StatusCode] = field(default_factory=list)
    create_requests: list[metric_service.CreateTimeSeriesRequest] = field(default_factory=list)
    accepted: list[Any] = field(default_factory=list)
    descriptors: dict[str, metric_pb2.MetricDescriptor] = field(default_factory=dict)
    descriptor_creates: int = 0
    violations: list[str] = field(default_factory=list)
    last_point: dict[tuple[Any, ...], dt.datetime] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def points(self, metric: str) -> list[tuple[dict[str, str], float]]:
        return [(dict(ts.metric.labels), ts.points[0].value.double_value)
                for ts in self.accepted if ts.metric.type.endswith("/" + metric)]


def _reject(context: grpc.ServicerContext, fake: FakeMonitoring, why: str) -> None:
    fake.violations.append(why)
    context.abort(grpc.StatusCode.INVALID_ARGUMENT, why)


def _handlers(fake: FakeMonitoring) -> dict[str, grpc.RpcMethodHandler]:
    def create_time_series(request: metric_service.CreateTimeSeriesRequest,
                           context: grpc.ServicerContext) -> empty_pb2.Empty:
        with fake.lock:
            fake.create_requests.append(request)
            scripted = fake.script.pop(0) if fake.script else None
        if scripted is not None:
            context.abort(scripted, f"scripted {scripted.name}")
        now = dt.datetime.now(dt.UTC)
        if len(request.time_series) > MAX_SERIES:
            _reject(context, fake, f"{len(request.time_series)} series > {MAX_SERIES}")
        keys: set[tuple[Any, ...]] = set()
        for ts in request.time_series:
            key = (ts.metric.type, tuple(sorted(ts.metric.labels.items())), ts.resource.type,
                   tuple(sorted(ts.resource.labels.items())))
            if len(ts.points) != 1:
                _reject(context, fake, f"{len(ts.points)} points in one series")
            if key in keys:
                _reject(context, fake, "the same series twice in one request")
            keys.add(key)
            if len(ts.metric.labels) > MAX_LABELS:
                _reject(context, fake, "too many labels")
            if ts.metric.type not in fake.descriptors:
                _reject(context, fake, f"no descriptor for {ts.metric.type}")
            declared = {d.key for d in fake.descriptors[ts.metric.type].labels}
            if set(ts.metric.labels) - declared:
                _reject(context, fake, f"labels {sorted(set(ts.metric.labels) - declared)} "
                                       f"not in the descriptor of {ts.metric.type}")
            end = ts.points[0].interval.end_time
            when = dt.datetime.fromtimestamp(end.timestamp(), dt.UTC)
            if when < now - dt.timedelta(hours=25) or when > now + dt.timedelta(minutes=5):
                _reject(context, fake, f"point time {when} out of range")
            last = fake.last_point.get(key)
            if last is not None and when - last < MIN_INTERVAL:
                _reject(context, fake, "series written twice within 5 s")
        with fake.lock:
            for ts in request.time_series:
                key = (ts.metric.type, tuple(sorted(ts.metric.labels.items())),
                       ts.resource.type, tuple(sorted(ts.resource.labels.items())))
                end = ts.points[0].interval.end_time
                fake.last_point[key] = dt.datetime.fromtimestamp(end.timestamp(), dt.UTC)
                fake.accepted.append(ts)
        return empty_pb2.Empty()

    def list_metric_descriptors(request: metric_service.ListMetricDescriptorsRequest,
                                context: grpc.ServicerContext) -> Any:
        with fake.lock:
            found = list(fake.descriptors.values())
        return metric_service.ListMetricDescriptorsResponse(metric_descriptors=found)

    def create_metric_descriptor(request: metric_service.CreateMetricDescriptorRequest,
                                 context: grpc.ServicerContext) -> metric_pb2.MetricDescriptor:
        descriptor = request.metric_descriptor
        if len(descriptor.labels) > MAX_LABELS:
            _reject(context, fake, "descriptor with too many labels")
        if not descriptor.type.startswith("custom.googleapis.com/"):
            _reject(context, fake, f"not a custom metric type: {descriptor.type}")
        with fake.lock:
            fake.descriptor_creates += 1
            fake.descriptors[descriptor.type] = descriptor
        return descriptor

    def unary(fn: Callable[..., Any], request_type: Any, serialize: Callable[[Any], bytes]) -> (
        grpc.RpcMethodHandler
    ):
        return grpc.unary_unary_rpc_method_handler(
            fn, request_deserializer=request_type.deserialize, response_serializer=serialize)

    return {
        "CreateTimeSeries": unary(create_time_series, metric_service.CreateTimeSeriesRequest,
                                  empty_pb2.Empty.SerializeToString),
        "ListMetricDescriptors": unary(list_metric_descriptors,
                                       metric_service.ListMetricDescriptorsRequest,
                                       metric_service.ListMetricDescriptorsResponse.serialize),
        "CreateMetricDescriptor": unary(create_metric_descriptor,
                                        metric_service.CreateMetricDescriptorRequest,
                                        metric_pb2.MetricDescriptor.SerializeToString),
    }


def start_fake_monitoring() -> FakeMonitoring:
    return start_grpc_fake(SERVICE, FakeMonitoring, _handlers)


def stop_fake_monitoring(fake: FakeMonitoring) -> None:
    fake.server.stop(grace=None)
