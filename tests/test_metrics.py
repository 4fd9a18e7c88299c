"""Metrics through the real google-cloud-monitoring client against a gRPC fake that
enforces Cloud Monitoring's limits; local JSONL and Prometheus files; policy files."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.cloud import monitoring_v3
from google.protobuf import json_format
from prometheus_client.parser import text_string_to_metric_families

from monitor.cli import main
from monitor.metrics.cloud_monitoring import CloudMonitoringSink, client_for, monitored_resource
from monitor.metrics.export import export_cycle
from monitor.metrics.local_files import PrometheusTextfileSink
from monitor.metrics.points import (
    HEARTBEAT_METRICS,
    MAX_COMMITS,
    METRICS,
    MetricPoint,
    observation_points,
    sanitize,
)
from monitor.metrics.prometheus import PrometheusExporter
from monitor.model import Observation, eastern_date, make_labels
from monitor.rules.incidents import fold_incidents
from monitor.rules.store import WarehouseAlertStore
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.contract import ContractDB, D, features
from tests.fakes.monitoring_server import (
    FakeMonitoring,
    start_fake_monitoring,
    stop_fake_monitoring,
)
from tests.fakes.slack_server import TOKEN, FakeSlack

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake() -> Iterator[FakeMonitoring]:
    server = start_fake_monitoring()
    yield server
    stop_fake_monitoring(server)


def sink(fake: FakeMonitoring, **env: str) -> CloudMonitoringSink:
    environment = {"MONITORING_API_ENDPOINT": fake.endpoint, **env}
    return CloudMonitoringSink(client_for(environment), "demo-project",
                               monitored_resource("demo-project", environment),
                               retry_deadline_seconds=3.0)


def many_points(n: int) -> list[MetricPoint]:
    return [MetricPoint("hit_rate", (("system_id", f"s{i:04d}"), ("window", "7d")), 0.6)
            for i in range(n)]


def test_1200_series_go_out_in_requests_within_the_limits(fake: FakeMonitoring) -> None:
    result = sink(fake).write(many_points(1200), dt.datetime.now(dt.UTC))
    assert (result.written, result.failed, result.errors) == (1200, 0, [])
    assert [len(r.time_series) for r in fake.create_requests] == [200] * 6
    assert fake.violations == []
    assert len(fake.accepted) == 1200


def test_duplicate_series_in_one_cycle_are_sent_once(fake: FakeMonitoring) -> None:
    points = many_points(3) + many_points(3)
    result = sink(fake).write(points, dt.datetime.now(dt.UTC))
    assert result.written == 3 and fake.violations == []


def test_the_fake_enforces_the_five_second_rule(fake: FakeMonitoring) -> None:
    now = dt.datetime.now(dt.UTC)
    exporter = sink(fake)
    assert exporter.write(many_points(2), now).failed == 0
    second = exporter.write(many_points(2), now + dt.timedelta(seconds=1))
    assert second.failed == 2 and "within 5 s" in second.errors[0]


def test_unavailable_is_retried_then_delivered(fake: FakeMonitoring) -> None:
    fake.script += [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE]
    result = sink(fake).write(many_points(10), dt.datetime.now(dt.UTC))
    assert (result.written, result.failed) == (10, 0)
    assert len(fake.create_requests) == 3


def test_invalid_argument_on_one_batch_still_delivers_the_others(fake: FakeMonitoring) -> None:
    exporter = sink(fake)
    exporter.ensure_descriptors()
    fake.script += [grpc.StatusCode.INVALID_ARGUMENT]  # the first of three batches
    result = exporter.write(many_points(450), dt.datetime.now(dt.UTC))
    assert result.failed == 200 and result.written == 250
    assert "InvalidArgument" in result.errors[0]
    assert len(fake.accepted) == 250


def test_metric_descriptors_are_created_once(fake: FakeMonitoring) -> None:
    now = dt.datetime.now(dt.UTC)
    first = sink(fake)
    first.write(many_points(1), now)
    first.write(many_points(1), now + dt.timedelta(seconds=10))
    assert fake.descriptor_creates == len(METRICS)
    sink(fake).write(many_points(1), now + dt.timedelta(seconds=20))  # a new process
    assert fake.descriptor_creates == len(METRICS)
    descriptor = fake.descriptors["custom.googleapis.com/prediction_monitor/hit_rate"]
    assert descriptor.metric_kind == descriptor.MetricKind.GAUGE
    assert {label.key for label in descriptor.labels} >= {"system_id", "build_commit_sha",
                                                          "window", "check"}


def test_replayed_cycles_are_not_sent(fake: FakeMonitoring) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    result = sink(fake).write(many_points(2), old)
    assert result.written == 0 and "outside what Cloud Monitoring accepts" in result.errors[0]
    assert fake.create_requests == []


def test_cloud_run_resource_is_generic_task() -> None:
    env = {"CLOUD_RUN_JOB": "prediction-monitor", "CLOUD_RUN_TASK_INDEX": "0",
           "MONITOR_LOCATION": "us-central1"}
    resource = monitored_resource("p", env)
    assert resource.type == "generic_task"
    assert dict(resource.labels) == {"project_id": "p", "location": "us-central1",
                                     "namespace": "prediction-monitor",
                                     "job": "prediction-monitor", "task_id": "0"}
    assert monitored_resource("p", {}).type == "global"


def test_commit_labels_are_bounded_and_sanitised() -> None:
    obs = [Observation("hit_rate_by_commit", "hit_rate",
                       make_labels(system_id="v8", build_commit_sha=f"c{i:02d}<x>", window="7d"),
                       0.6, 1000 - i) for i in range(MAX_COMMITS + 5)]
    points = observation_points(obs, dt.date(2026, 1, 9))
    commits = {dict(p.labels)["build_commit_sha"] for p in points}
    assert len(commits) == MAX_COMMITS + 1 and "other" in commits
    assert all(c == sanitize(c) for c in commits) and "c00_x_" in commits
    assert sanitize("") == "none" and len(sanitize("x" * 500)) == 64


def test_slate_label_is_relative_to_today() -> None:
    obs = [Observation("feature_defaults", "mismatch_share",
                       make_labels(system_id="v8", build_commit_sha="c", game_date=d), 0.1, 50)
           for d in ("2026-01-08", "2026-01-09", "2026-01-10")]
    slates = sorted(dict(p.labels)["slate"]
                    for p in observation_points(obs, dt.date(2026, 1, 9)))
    assert slates == ["d+1", "d-1", "d0"]


def broken(db: ContractDB, day: dt.date = D) -> None:
    for _ in range(40):
        db.prediction(day=day, line=21.5, cf=features(None, has=0.0),
                      predicted_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))
    db.batch(day=day)


def test_run_without_gcp_writes_jsonl_and_prometheus_files(
        db: ContractDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken(db)
    db.close()
    metrics_dir = tmp_path / "metrics"
    monkeypatch.setenv("MONITOR_METRICS_DIR", str(metrics_dir))
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    for var in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(var, raising=False)
    assert main(["run", "--warehouse", db.url, "--as-of", "2026-01-09T16:15:00Z"]) == 0
    families = {f.name: f for f in text_string_to_metric_families(
        (metrics_dir / "prediction_monitor.prom").read_text())}
    assert families["prediction_monitor_heartbeat"].samples[0].value == 1.0
    mismatch = families["prediction_monitor_mismatch_share"].samples
    assert mismatch[0].labels == {"check": "feature_defaults", "system_id": "catboost_v8",
                                  "build_commit_sha": "abc123", "slate": "d0"}
    assert mismatch[0].value == 1.0
    lines = [json.loads(line) for line in (metrics_dir / "metrics.jsonl").read_text().splitlines()]
    assert {line["metric"] for line in lines} >= set(HEARTBEAT_METRICS) | {"mismatch_share"}
    assert all(line["time"] == "2026-01-09T16:15:00+00:00" for line in lines)


def test_open_incidents_by_severity_reach_every_sink(fake: FakeMonitoring,
                                                    tmp_path: Path) -> None:
    """incidents_open: one series per severity, zero included, in Cloud Monitoring (its
    descriptor declares the label), the textfile and /metrics; a failed cycle writes
    none (it cannot tell), the heartbeat still."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    exporter, textfile = PrometheusExporter(), PrometheusTextfileSink(tmp_path / "m.prom")
    summary = export_cycle([sink(fake), exporter, textfile], [], as_of=now, alerts_firing=3,
                           monitor_failed=False, incidents_open={"critical": 2})
    assert summary.failed == 0 and fake.violations == []
    assert {labels["severity"]: value for labels, value in fake.points("incidents_open")
            } == {"warning": 0.0, "critical": 2.0}
    for text in (exporter.exposition().decode(), (tmp_path / "m.prom").read_text()):
        families = {f.name: f for f in text_string_to_metric_families(text)}
        samples = families["prediction_monitor_incidents_open"].samples
        assert {s.labels["severity"]: s.value for s in samples} == {"warning": 0.0,
                                                                    "critical": 2.0}
    export_cycle([exporter], [], as_of=now, alerts_firing=0, monitor_failed=True)
    families = {f.name for f in text_string_to_metric_families(
        exporter.exposition().decode())}
    assert "prediction_monitor_heartbeat" in families
    assert "prediction_monitor_incidents_open" not in families


def test_run_with_gcp_sends_heartbeat_and_observations(
        db: ContractDB, fake: FakeMonitoring, monkeypatch: pytest.MonkeyPatch) -> None:
    broken(db)
    db.close()
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-project")
    monkeypatch.setenv("MONITORING_API_ENDPOINT", fake.endpoint)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert main(["run", "--warehouse", db.url, "--as-of", now.isoformat()]) == 0
    assert fake.points("heartbeat") == [({}, 1.0)]
    assert fake.points("cycle_status") == [({}, 0.0)]
    # The incidents the cycle left open, by severity (zero for the other).
    wh = DuckDBWarehouse(db.path, read_only=True)
    try:
        incidents = fold_incidents(WarehouseAlertStore(wh).load(now)).values()
    finally:
        wh.close()
    open_now = Counter(i.severity for i in incidents if i.open)
    assert sum(open_now.values()) >= 1
    assert {labels["severity"]: value for labels, value in fake.points("incidents_open")
            } == {s: float(open_now[s]) for s in ("warning", "critical")}
    assert fake.violations == []


def test_metrics_outage_never_blocks_slack(db: ContractDB, tmp_path: Path, slack: FakeSlack,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    broken(db, eastern_date(now) - dt.timedelta(days=1))
    db.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"
    config = tmp_path / "alerts.yaml"
    config.write_text((ROOT / "alerts.yaml").read_text()
                      + "\ncloud_monitoring:\n  retry_deadline_seconds: 1\n")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-project")
    monkeypatch.setenv("MONITORING_API_ENDPOINT", dead)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_CHANNEL", "#alerts")
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    assert main(["run", "--warehouse", db.url, "--as-of", now.isoformat(),
                 "--config", str(config)]) == 0
    assert [p for p in slack.posts()
            if "vegas_line_feature_mismatch" in str(p["text"])] != []
    assert "metric failures" in capsys.readouterr().out


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "deploy" / "monitoring").glob("*.json")
                                         if p.name != "dashboard.json"),
                         ids=lambda p: p.name)
def test_policy_files_are_valid_alert_policies(path: Path) -> None:
    policy = monitoring_v3.AlertPolicy.pb()()
    json_format.Parse(path.read_text(), policy)  # unknown fields are errors
    assert policy.display_name.startswith("prediction-monitor")
    assert policy.conditions and policy.documentation.content
    for condition in policy.conditions:
        kind = condition.WhichOneof("condition")
        inner = getattr(condition, kind)
        assert "custom.googleapis.com/prediction_monitor/" in inner.filter
        metric = inner.filter.split("prediction_monitor/")[1].split('"')[0]
        assert metric in METRICS


def test_heartbeat_policy_waits_two_hourly_intervals() -> None:
    policy = monitoring_v3.AlertPolicy.pb()()
    json_format.Parse((ROOT / "deploy/monitoring/heartbeat-absent.json").read_text(), policy)
    assert policy.conditions[0].condition_absent.duration.seconds == 2 * 3600
