"""The execution-log writer publishes each batch's message through the real
google-cloud-pubsub client to a local gRPC fake (PUBSUB_EMULATOR_HOST); what it
publishes is what the push route reads back."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from monitor.events.message import BadPush, event_bytes, parse_push
from monitor.events.settings import event_env_problems, event_settings
from monitor.provenance import BatchRecorder, DuckDBRowWriter
from tests.contract import ContractDB, D, fetch
from tests.fakes.pubsub_push import push_envelope
from tests.fakes.pubsub_server import FakePubSub, start_fake_pubsub, stop_fake_pubsub
from tests.known_batch import ENV, known_batch

TOPIC = "projects/test-project/topics/prediction-batches"


@pytest.fixture
def pubsub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePubSub]:
    fake = start_fake_pubsub()
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", fake.endpoint)
    from google.cloud import pubsub_v1

    pubsub_v1.PublisherClient().create_topic(name=TOPIC)  # through the fake, like a deploy
    yield fake
    stop_fake_pubsub(fake)


def logged_rows(db: ContractDB) -> list[tuple[str, str, str]]:
    rows = fetch(db.path, "SELECT execution_id, status, system_id "
                          "FROM nba_predictions.prediction_execution_log")
    return [(r[0], r[1], r[2]) for r in rows]


def record_batch(db: ContractDB, env: dict[str, str], *, fail: bool = False) -> BatchRecorder:
    recorder = BatchRecorder(DuckDBRowWriter(str(db.path)), game_date=D,
                             system_id="catboost_v8", players_requested=8,
                             feature_source_mode="backfill", batch_id="b-1", env=env)
    with pytest.raises(TimeoutError) if fail else _nothing(), recorder as batch:
        for record in known_batch():
            batch.add(record)
        if fail:
            raise TimeoutError("feature store timeout")
    return recorder


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def contract(tmp_path: Path) -> ContractDB:
    db = ContractDB(tmp_path / "w.duckdb", varchar_features=False)
    db.close()
    return db


def test_the_row_writer_publishes_the_batch_message_and_the_route_reads_it_back(
        tmp_path: Path, pubsub: FakePubSub) -> None:
    db = contract(tmp_path)
    recorder = record_batch(db, {**ENV, "MONITOR_BATCH_TOPIC": TOPIC})
    assert recorder.row is not None
    (topic, data, attributes, message_id), = pubsub.published
    assert topic == TOPIC
    body = json.loads(data)
    assert body == {
        "execution_id": recorder.row["execution_id"], "batch_id": "b-1",
        "system_id": "catboost_v8", "game_date": D.isoformat(),
        "build_commit_sha": "ea88e526f00d", "status": "success",
        "feature_source_mode": "backfill",
        "execution_end_timestamp": recorder.row["execution_end_timestamp"].isoformat()}
    assert attributes == {"execution_id": recorder.row["execution_id"],
                          "system_id": "catboost_v8", "game_date": D.isoformat(),
                          "status": "success"}
    # Pub/Sub pushes it to serve as a base64 envelope: the route reads the same batch.
    envelope = push_envelope(data, message_id, attributes=attributes)
    event = parse_push(json.dumps(envelope).encode())
    assert (event.execution_id, event.system_id, event.game_date, event.build_commit_sha,
            event.batch_id, event.message_id) == (
        recorder.row["execution_id"], "catboost_v8", D, "ea88e526f00d", "b-1", message_id)
    assert logged_rows(db) == [(recorder.row["execution_id"], "success", "catboost_v8")]


def test_a_failed_batch_is_published_too(tmp_path: Path, pubsub: FakePubSub) -> None:
    db = contract(tmp_path)
    record_batch(db, {**ENV, "MONITOR_BATCH_TOPIC": TOPIC}, fail=True)
    (_, data, _, _), = pubsub.published
    assert json.loads(data)["status"] == "failed"


def test_a_publish_failure_keeps_the_row_and_warns(tmp_path: Path, pubsub: FakePubSub,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    db = contract(tmp_path)
    missing = "projects/test-project/topics/no-such-topic"
    with caplog.at_level(logging.WARNING, logger="monitor.events.publisher"):
        recorder = record_batch(db, {**ENV, "MONITOR_BATCH_TOPIC": missing})
    assert recorder.row is not None
    assert logged_rows(db) == [(recorder.row["execution_id"], "success", "catboost_v8")]
    assert pubsub.published == []
    warning, = [r.getMessage() for r in caplog.records]
    assert f"batch {recorder.row['execution_id']} not published to {missing}" in warning
    assert "NotFound" in warning
    # A refusal of the service (permission denied) is no different.
    pubsub.script.append(grpc.StatusCode.PERMISSION_DENIED)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="monitor.events.publisher"):
        record_batch(db, {**ENV, "MONITOR_BATCH_TOPIC": TOPIC})
    assert len(logged_rows(db)) == 2 and pubsub.published == []
    assert "PermissionDenied" in caplog.records[0].getMessage()


def test_without_a_topic_nothing_is_published(tmp_path: Path, pubsub: FakePubSub) -> None:
    db = contract(tmp_path)
    record_batch(db, ENV)
    assert pubsub.published == [] and len(logged_rows(db)) == 1


def envelope_body(data: object, **message: object) -> bytes:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return json.dumps({"message": {"data": base64.b64encode(raw).decode(), "messageId": "7",
                                   **message}}).encode()


@pytest.mark.parametrize("body, why", [
    (b"not json", "body is not JSON"),
    (b"[]", "no message object"),
    (json.dumps({"message": {"messageId": "7"}}).encode(), "message has no data"),
    (json.dumps({"message": {"data": "e30="}}).encode(), "message has no messageId"),
    (json.dumps({"message": {"data": "%%%", "messageId": "7"}}).encode(),
     "not base64-encoded JSON"),
    (envelope_body(b"\xff\xfe"), "not base64-encoded JSON"),
    (envelope_body([1, 2]), "not a JSON object"),
    (envelope_body({"system_id": "x"}), "message data has no execution_id"),
    (envelope_body({"execution_id": 42}), "execution_id is a int, not a string"),
    (envelope_body({"execution_id": "e", "game_date": "09/01/2026"}),
     "game_date: '09/01/2026' is not a date"),
    (envelope_body({"execution_id": "e", "game_date": "9999-12-31"}),
     "game_date: 9999-12-31 is outside"),
    (envelope_body({"execution_id": "e" * 500}), "longer than 200 characters"),
    (envelope_body({"execution_id": "e"}, attributes=["a"]), "attributes are not an object"),
])
def test_malformed_pushes_say_what_is_wrong(body: bytes, why: str) -> None:
    with pytest.raises(BadPush, match=why):
        parse_push(body)


def test_a_message_id_becomes_a_safe_run_id_shared_by_redeliveries() -> None:
    data = event_bytes({"execution_id": "e1", "game_date": dt.date(2026, 1, 9)})
    event = parse_push(json.dumps(push_envelope(data, "1234/../x y")).encode())
    assert event.run_id == "event-1234_.._x_y"
    assert event.game_date == dt.date(2026, 1, 9)


def test_event_settings_problems_and_defaults() -> None:
    assert event_env_problems({}) == []
    settings = event_settings({})
    assert (settings.push_auth, settings.hourly_cycle, settings.topic) == (None, "service", None)
    assert settings.serve_schedules_cycle
    problems = event_env_problems({"MONITOR_PUSH_SERVICE_ACCOUNT": "sa@p.iam.gserviceaccount.com",
                                   "MONITOR_PUSH_CERTS_URL": "file:///etc/passwd",
                                   "MONITOR_HOURLY_CYCLE": "both",
                                   "MONITOR_BATCH_TOPIC": "prediction-batches"})
    assert problems == [
        "MONITOR_PUSH_SERVICE_ACCOUNT is set but MONITOR_PUSH_AUDIENCE is not (the token is "
        "only checked against an audience)",
        "MONITOR_PUSH_CERTS_URL is not an http(s) URL",
        "MONITOR_HOURLY_CYCLE must be job or service, not 'both'",
        "MONITOR_BATCH_TOPIC must be projects/PROJECT/topics/TOPIC, not 'prediction-batches'"]
    job = event_settings({"MONITOR_HOURLY_CYCLE": "job", "MONITOR_PUSH_AUDIENCE": "https://x",
                          "MONITOR_BATCH_TOPIC": TOPIC})
    assert not job.serve_schedules_cycle and job.topic == TOPIC
    assert job.push_auth is not None and job.push_auth.audience == "https://x"
    assert job.push_auth.certs_url == "https://www.googleapis.com/oauth2/v1/certs"


def test_check_config_reports_bad_event_settings(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from monitor.cli import main

    monkeypatch.setenv("MONITOR_BATCH_TOPIC", "prediction-batches")
    assert main(["check-config"]) == 2
    assert "MONITOR_BATCH_TOPIC must be projects/PROJECT/topics/TOPIC" in capsys.readouterr().err
    monkeypatch.setenv("MONITOR_BATCH_TOPIC", TOPIC)
    monkeypatch.setenv("MONITOR_HOURLY_CYCLE", "job")
    assert main(["check-config"]) == 0


def test_check_config_warns_of_an_audience_without_a_service_account(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from monitor.cli import main

    monkeypatch.setenv("MONITOR_PUSH_AUDIENCE", "https://prediction-monitor-1.run.app")
    assert main(["check-config"]) == 0
    assert "warning: MONITOR_PUSH_AUDIENCE is set without MONITOR_PUSH_SERVICE_ACCOUNT" \
        in capsys.readouterr().out
    monkeypatch.setenv("MONITOR_PUSH_SERVICE_ACCOUNT", "push@p.iam.gserviceaccount.com")
    assert main(["check-config"]) == 0
    assert "warning:" not in capsys.readouterr().out
