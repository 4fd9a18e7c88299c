"""`POST /events/batch` on `serve`'s routes over real HTTP: Pub/Sub push envelopes,
OIDC tokens verified by google-auth against signing keys served on 127.0.0.1, a real
cycle on the demo season under the cycle lease, and the real slack-sdk against the
Slack fake."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

from monitor.app import App
from monitor.commands.serve_command import serve_routes
from monitor.config import MonitorConfig
from monitor.demo.options import BROKEN_COMMIT
from monitor.events.message import event_bytes
from monitor.events.oidc import PushVerifier
from monitor.events.push import PATH, batch_push_route
from monitor.events.settings import PushAuthSettings
from monitor.metrics.prometheus import PrometheusExporter
from monitor.migrations import ensure_schema
from monitor.model import eastern_date
from monitor.notify.slack import SlackNotifier
from monitor.routes import start_server
from monitor.rules.lock import WarehouseCycleLock
from monitor.scheduler import Health
from monitor.secrets import Secret
from monitor.serve_cycle import ServeCycle
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.contract import ContractDB, fetch
from tests.fakes.pubsub_push import push_envelope
from tests.fakes.slack_server import TOKEN, FakeSlack
from tests.processes import BIN, clean_env, free_port, slack_env
from tests.slates import todays_data

AUDIENCE = "https://prediction-monitor-123456789.us-central1.run.app"
PUSH_SA = "prediction-monitor-push@test-project.iam.gserviceaccount.com"
KID = "test-key-1"


# --- Google's signing keys, served like https://www.googleapis.com/oauth2/v1/certs ---

def _key_and_cert() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class Signer:
    private_pem: bytes
    certs: dict[str, str]
    server: ThreadingHTTPServer
    fetches: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/oauth2/v1/certs"

    def token(self, *, key: bytes | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": "https://accounts.google.com", "aud": AUDIENCE, "iat": now,
                   "exp": now + 3600, "sub": "1234567890", "email": PUSH_SA,
                   "email_verified": True, **claims}
        signer = crypt.RSASigner.from_string(key or self.private_pem, key_id=KID)
        return jwt.encode(signer, payload).decode()


@pytest.fixture(scope="module")
def signer() -> Iterator[Signer]:
    private_pem, cert = _key_and_cert()
    certs = {KID: cert}
    fetches: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            fetches.append(self.path)
            body = json.dumps(certs).encode()
            self.send_response(200 if self.path == "/oauth2/v1/certs" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Signer(private_pem, certs, server, fetches)
    server.shutdown()
    server.server_close()


# --- serve's routes on the demo season, the clock just after a batch ended ---

class Served:
    def __init__(self, warehouse: Path, config: MonitorConfig, slack: FakeSlack,
                 auth: PushAuthSettings | None) -> None:
        self.now = dt.datetime(2026, 1, 9, 16, tzinfo=dt.UTC)
        app = App(config, dict(os.environ), f"duckdb:///{warehouse}")
        notifier = SlackNotifier.from_token(Secret(TOKEN), "#prediction-alerts",
                                            slack.base_url)
        self.health = Health()
        self.cycles = ServeCycle(app, notifier, self.health, PrometheusExporter(),
                                 clock=lambda: self.now)
        route = batch_push_route(self.cycles, config, PushVerifier(auth) if auth else None)
        routes = serve_routes(self.health, PrometheusExporter(), lambda day: "", events=route)
        self.server = start_server(routes, 0, host="127.0.0.1")
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{PATH}"

    def push(self, body: bytes, token: str | None = None) -> tuple[int, str]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url, body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=120) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def warehouse(demo_path: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_path.read_bytes())
    wh = DuckDBWarehouse(copy)
    try:
        ensure_schema(wh, migrate=True)  # the monitor's own tables, as `run` makes them
    finally:
        wh.close()
    return copy


def first_broken_batch(path: Path) -> dict[str, Any]:
    wh = DuckDBWarehouse(path)  # not read-only: the test may hold the file open
    try:
        cursor = wh.connection.execute(
            "SELECT * FROM nba_predictions.prediction_execution_log "
            "WHERE build_commit_sha = ? ORDER BY execution_end_timestamp LIMIT 1",
            [BROKEN_COMMIT])
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    finally:
        wh.close()
    assert row is not None
    return dict(zip(names, row, strict=True))


def push_body(row: dict[str, Any], message_id: str = "17461238901") -> bytes:
    return json.dumps(push_envelope(event_bytes(row), message_id)).encode()


def monitor_rows(path: Path) -> tuple[int, int]:
    """(alert events, monitor_runs rows): whether anything ran."""
    ((events, runs),) = fetch(path, "SELECT "
                              "(SELECT count(*) FROM nba_predictions.monitor_alert_events), "
                              "(SELECT count(*) FROM nba_predictions.monitor_runs)")
    return int(events), int(runs)


def served_on(warehouse: Path, config: MonitorConfig, slack: FakeSlack,
              auth: PushAuthSettings | None) -> Served:
    served = Served(warehouse, config, slack, auth)
    batch = first_broken_batch(warehouse)
    served.now = batch["execution_end_timestamp"] + dt.timedelta(seconds=1)
    return served


@pytest.fixture
def served(warehouse: Path, config: MonitorConfig, slack_bot: FakeSlack,
           signer: Signer) -> Iterator[Served]:
    s = served_on(warehouse, config, slack_bot,
                  PushAuthSettings(AUDIENCE, PUSH_SA, signer.url))
    yield s
    s.close()


def critical_titles(slack: FakeSlack) -> list[str]:
    """The notification lines of the critical incidents' top-level posts."""
    return [str(p["text"]) for p in slack.posts()
            if not p.get("thread_ts") and str(p["text"]).startswith("CRITICAL")]


def paged_mismatch(slack: FakeSlack) -> bool:
    return any("vegas_line_feature_mismatch" in t for t in critical_titles(slack))


def test_a_push_for_the_first_broken_batch_alerts_before_the_answer_and_once_only(
        served: Served, warehouse: Path, slack_bot: FakeSlack, signer: Signer) -> None:
    batch = first_broken_batch(warehouse)
    assert batch["feature_source_mode"] == "backfill"
    status, body = served.push(push_body(batch), signer.token())
    # The alert is in Slack by the time the push is answered.
    assert paged_mismatch(slack_bot)
    assert status == 200, body
    answer = json.loads(body)
    assert answer["execution_id"] == batch["execution_id"]
    assert answer["run_id"] == "event-17461238901"
    assert answer["slate_checked"] is True and answer["game_date"] == "2026-01-09"
    assert answer["notifications"]["failed"] == 0 and answer["notifications"]["sent"] >= 1
    assert answer["alerts"]["fired"] >= 1
    posts = slack_bot.posts()
    alert = next(p for p in posts if "vegas_line_feature_mismatch" in str(p["text"]))
    assert f"`{BROKEN_COMMIT}`" in json.dumps(alert["blocks"])
    assert served.health.report()[1]["last_run_id"] == "event-17461238901"

    # Pub/Sub redelivers the same message (an ack lost on the way): nothing posted twice.
    served.now += dt.timedelta(seconds=30)
    status, body = served.push(push_body(batch), signer.token())
    assert status == 200, body
    assert slack_bot.posts() == posts
    assert json.loads(body)["notifications"] == {"sent": 0, "failed": 0}
    # Another batch's push a minute later: the same alert state, still nothing new.
    served.now += dt.timedelta(minutes=1)
    status, _ = served.push(push_body({**batch, "execution_id": "exec_other"}, "17461239999"),
                            signer.token())
    assert status == 200 and slack_bot.posts() == posts


@pytest.mark.parametrize("case", ["missing", "not bearer", "wrong audience", "expired",
                                  "other key", "other account", "not google",
                                  "unverified email", "garbage", "two segments"])
def test_a_push_without_a_valid_token_is_refused_and_nothing_runs(
        case: str, served: Served, warehouse: Path, slack_bot: FakeSlack,
        signer: Signer) -> None:
    hour_ago = int(time.time()) - 3600
    tokens: dict[str, str | None] = {
        "missing": None,
        "wrong audience": signer.token(aud="https://someone-else.run.app"),
        "expired": signer.token(iat=hour_ago - 3600, exp=hour_ago),
        "other key": signer.token(key=_key_and_cert()[0]),
        "other account": signer.token(email="intruder@evil.iam.gserviceaccount.com"),
        "not google": signer.token(iss="https://evil.example"),
        "unverified email": signer.token(email_verified=False),
        "garbage": "not-a-jwt",
        # google-auth's error quotes such a token's segments: never echoed
        "two segments": ".".join(signer.token().split(".")[:2]),
    }
    body = push_body(first_broken_batch(warehouse))
    if case == "not bearer":
        request = urllib.request.Request(served.url, body, {
            "Authorization": f"Basic {signer.token()}"}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=30)
        status, text = info.value.code, info.value.read().decode()
    else:
        status, text = served.push(body, tokens[case])
    expected = 401 if case in ("missing", "not bearer") else 403
    assert status == expected, text
    assert ("missing bearer token" if expected == 401 else "invalid token") in text
    assert "eyJ" not in text and AUDIENCE not in text  # no token, no configured audience
    assert slack_bot.posts() == [] and monitor_rows(warehouse) == (0, 0)
    assert served.health.report()[1]["status"] == "starting"


def test_a_push_checked_against_unreachable_keys_is_a_503(
        warehouse: Path, config: MonitorConfig, slack_bot: FakeSlack, signer: Signer) -> None:
    closed = f"http://127.0.0.1:{free_port()}/certs"
    served = served_on(warehouse, config, slack_bot, PushAuthSettings(AUDIENCE, None, closed))
    try:
        status, text = served.push(push_body(first_broken_batch(warehouse)), signer.token())
    finally:
        served.close()
    assert status == 503 and "signing keys unavailable" in text
    assert slack_bot.posts() == [] and monitor_rows(warehouse) == (0, 0)



def test_a_push_that_cannot_take_the_lease_is_a_503_then_its_redelivery_alerts(
        served: Served, warehouse: Path, slack_bot: FakeSlack, signer: Signer) -> None:
    holder_wh = DuckDBWarehouse(warehouse)
    holder = WarehouseCycleLock(holder_wh, "job-execution-x", host="another-host", pid=1)
    try:
        assert holder.acquire()  # the hourly job's cycle holds the lease
        body = push_body(first_broken_batch(warehouse))
        status, text = served.push(body, signer.token())
        assert status == 503, text
        assert "another cycle holds the lock" in text
        assert slack_bot.posts() == []
        assert monitor_rows(warehouse)[0] == 0  # no alert state written
        holder.release()
    finally:
        holder_wh.close()
    status, text = served.push(body, signer.token())  # Pub/Sub's redelivery
    assert status == 200, text
    assert paged_mismatch(slack_bot)


def test_a_notification_kept_pending_is_a_503_and_the_redelivery_sends_it(
        served: Served, warehouse: Path, slack_bot: FakeSlack, signer: Signer) -> None:
    for _ in range(30):  # Slack fails every post of this cycle (first try and retries)
        slack_bot.script.append((500, {}, b"oops"))
    body = push_body(first_broken_batch(warehouse))
    status, text = served.push(body, signer.token())
    assert status == 503 and "kept pending" in text
    slack_bot.script.clear()
    served.now += dt.timedelta(seconds=20)
    status, text = served.push(body, signer.token())
    assert status == 200, text
    assert paged_mismatch(slack_bot)
    delivered = [args["text"] for args, _ in slack_bot.posted]
    assert len([t for t in delivered if "vegas_line_feature_mismatch" in t]) == 1


def test_a_push_whose_cycle_could_not_run_a_check_is_a_503_and_its_redelivery_alerts(
        served: Served, warehouse: Path, slack_bot: FakeSlack, signer: Signer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A check that errors (a transient warehouse fault) leaves the batch unjudged: the
    push must not be acked, or the broken batch waits for the hourly cycle."""
    from monitor.checks.feature_defaults import FeatureDefaults

    measure = FeatureDefaults.measure
    faults = [RuntimeError("transient: the warehouse dropped the connection")]

    def flaky(self: FeatureDefaults, *args: Any, **kwargs: Any) -> Any:
        if faults:
            raise faults.pop()
        return measure(self, *args, **kwargs)

    monkeypatch.setattr(FeatureDefaults, "measure", flaky)
    body = push_body(first_broken_batch(warehouse))
    status, text = served.push(body, signer.token())
    assert status == 503 and "could not run: feature_defaults" in text
    served.now += dt.timedelta(seconds=20)
    status, text = served.push(body, signer.token())  # Pub/Sub's redelivery
    assert status == 200, text
    # The first push paged the commit's incident on what it could judge; the mismatch
    # joins it in its thread, and the top-level message is brought up to date.
    first, = [p for p in slack_bot.posts() if not p.get("thread_ts")
              and "0b5e11ad" in str(p["text"])]
    assert str(first["text"]).startswith("CRITICAL #")
    assert any("vegas_line_feature_mismatch" in str(p["text"]) and p.get("thread_ts")
               for p in slack_bot.posts())
    assert "vegas_line_feature_mismatch" in json.dumps(slack_bot.updated[-1]["blocks"])


def test_a_push_of_deeply_nested_json_is_a_400(
        served: Served, slack_bot: FakeSlack, signer: Signer) -> None:
    import base64

    deep = ("[" * 100_000 + "]" * 100_000).encode()
    data = base64.b64encode(b'{"execution_id": "x", "extra": ' + deep + b"}").decode()
    for body in (deep, json.dumps({"message": {"messageId": "1", "data": data}}).encode()):
        status, text = served.push(body, signer.token())
        assert status == 400, text
    assert slack_bot.posts() == []


def test_a_malformed_push_is_a_400_and_nothing_runs(
        served: Served, warehouse: Path, slack_bot: FakeSlack, signer: Signer) -> None:
    status, text = served.push(b'{"message": {"messageId": "1", "data": "bm90IGpzb24="}}',
                               signer.token())
    assert status == 400 and text.strip() == \
        "bad push: message data is not base64-encoded JSON"
    assert monitor_rows(warehouse) == (0, 0) and slack_bot.posts() == []


def test_a_batch_outside_the_prediction_window_is_answered_and_says_so(
        warehouse: Path, config: MonitorConfig, slack_bot: FakeSlack) -> None:
    served = served_on(warehouse, config, slack_bot, None)  # no audience: no token needed
    try:
        old = {"execution_id": "exec_old", "game_date": dt.date(2025, 11, 2)}
        status, text = served.push(push_body(old))
    finally:
        served.close()
    assert status == 200, text
    answer = json.loads(text)
    assert answer["slate_checked"] is False
    assert answer["slate_window"] == ["2026-01-06", "2026-01-10"]


def test_pushes_that_waited_for_a_later_cycle_are_answered_by_it(
        warehouse: Path, config: MonitorConfig, slack_bot: FakeSlack) -> None:
    served = served_on(warehouse, config, slack_bot, None)
    try:
        arrived = time.monotonic()
        first = served.cycles.run_after(arrived, "event-1")
        second = served.cycles.run_after(arrived, "event-2")  # waited while `first` ran
        assert first is not None and second is first
        late = served.cycles.run_after(time.monotonic(), "event-3")
        assert late is not None and late.run_id == "event-3"
        served.cycles.drain()
        assert served.cycles.run_after(time.monotonic(), "event-4") is None
        assert served.push(push_body({"execution_id": "e"}))[0] == 503
    finally:
        served.close()


def test_without_events_serve_routes_has_no_push_route() -> None:
    routes = serve_routes(Health(), PrometheusExporter(), lambda day: "")
    assert ("POST", PATH) not in routes


# --- `serve` itself, as deployed: the job runs the hourly cycle, pushes run one each ---

def _serve(db_url: str, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([str(BIN), "serve", "--warehouse", db_url, "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _wait_healthy(port: int, proc: subprocess.Popen[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                return dict(json.loads(resp.read()))
        except OSError:
            time.sleep(0.2)
    raise AssertionError("serve did not answer /healthz")


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def test_serve_takes_a_push_and_leaves_the_hourly_cycle_to_the_job(
        db: ContractDB, slack: FakeSlack, tmp_path: Path) -> None:
    today = eastern_date(dt.datetime.now(dt.UTC))
    todays_data(db, today)
    db.close()
    port = free_port()
    env = clean_env(**slack_env(slack), MONITOR_HOURLY_CYCLE="job",
                    MONITOR_METRICS_DIR=str(tmp_path / "metrics"))
    proc = _serve(db.url, port, env)
    try:
        assert _wait_healthy(port, proc)["status"] == "starting"  # no start-up cycle
        body = push_body({"execution_id": "e1", "game_date": today}, "991")
        assert _post(f"http://127.0.0.1:{port}{PATH}", body) == 200
        assert any("vegas_line_feature_mismatch" in str(p["text"]) for p in slack.posts())
        health = _wait_healthy(port, proc)
        assert (health["status"], health["last_run_id"]) == ("ok", "event-991")
    finally:
        if proc.poll() is None:
            out = _stop(proc)
    assert "cycle run by the job (MONITOR_HOURLY_CYCLE=job)" in out
    assert "POST /events/batch takes pushes without a token" in out


def test_on_cloud_run_without_an_audience_serve_takes_no_push(
        db: ContractDB, tmp_path: Path) -> None:
    db.close()
    port = free_port()
    env = clean_env(K_SERVICE="prediction-monitor", MONITOR_HOURLY_CYCLE="job",
                    MONITOR_METRICS_DIR=str(tmp_path / "metrics"))
    proc = _serve(db.url, port, env)
    try:
        _wait_healthy(port, proc)
        assert _post(f"http://127.0.0.1:{port}{PATH}",
                     push_body({"execution_id": "e1"})) == 404
    finally:
        if proc.poll() is None:
            out = _stop(proc)
    assert "POST /events/batch is off: set MONITOR_PUSH_AUDIENCE" in out


def test_serve_refuses_to_start_on_bad_event_settings(db: ContractDB) -> None:
    db.close()
    env = clean_env(MONITOR_HOURLY_CYCLE="both",
                    MONITOR_PUSH_SERVICE_ACCOUNT="sa@p.iam.gserviceaccount.com")
    proc = subprocess.run([str(BIN), "serve", "--warehouse", db.url, "--port", "0"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "MONITOR_HOURLY_CYCLE must be job or service, not 'both'" in proc.stderr
    assert "MONITOR_PUSH_SERVICE_ACCOUNT is set but MONITOR_PUSH_AUDIENCE is not" in proc.stderr


def test_the_scheduler_has_no_cycle_when_the_job_runs_it(config: MonitorConfig) -> None:
    from monitor.scheduler import build_scheduler

    def nothing() -> None:
        pass

    assert {j.id for j in build_scheduler(config.schedule, None, nothing).get_jobs()} == {
        "validate_daily"}
    assert {j.id for j in build_scheduler(config.schedule, nothing, nothing).get_jobs()} == {
        "cycle", "validate_daily"}


def test_a_push_while_another_process_has_the_duckdb_file_is_a_503_and_healthz_is_unmoved(
        served: Served, warehouse: Path, slack_bot: FakeSlack, signer: Signer) -> None:
    from tests.processes import held_by_another_process

    body = push_body(first_broken_batch(warehouse))
    with held_by_another_process(warehouse):
        status, text = served.push(body, signer.token())
        assert status == 503, text
        assert text.startswith("warehouse busy: another process (PID ")
        assert text.rstrip().endswith("Pub/Sub will redeliver")
        assert served.health.report() == (200, served.health.report()[1])
        assert served.health.report()[1]["status"] == "starting"
    assert slack_bot.posts() == []
    status, text = served.push(body, signer.token())  # Pub/Sub's redelivery
    assert status == 200, text
    assert paged_mismatch(slack_bot)
