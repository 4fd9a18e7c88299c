"""`serve`'s routes: /metrics through prometheus_client, /report, one port with /healthz."""

from __future__ import annotations

import datetime as dt
import json
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from monitor.config import MonitorConfig
from monitor.events.message import event_bytes
from monitor.events.push import PATH
from monitor.metrics.points import MetricPoint
from monitor.metrics.prometheus import CONTENT_TYPE, PrometheusExporter
from monitor.model import eastern_date
from monitor.routes import Request, dispatch, report_route
from monitor.scheduler import Health, build_scheduler, cron_trigger
from tests.contract import ContractDB
from tests.fakes.pubsub_push import push_envelope
from tests.fakes.slack_server import FakeSlack
from tests.processes import BIN, ROOT, clean_env, free_port, slack_env
from tests.slates import todays_data

PREFIX = "prediction_monitor_"
PROCESS_COUNTERS = ("cycles_total", "cycle_duration_seconds_count",
                    "notifications_total", "metric_write_failures_total",
                    "last_successful_cycle_timestamp_seconds")


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """(sample name, labels without empty values) → value."""
    out: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[key(s)] = s.value
    return out


def key(s: Sample) -> tuple[str, frozenset[tuple[str, str]]]:
    # An empty label value is the same series as no label (Prometheus data model).
    return s.name, frozenset((k, v) for k, v in s.labels.items() if v)


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def wait_for(url: str, done: object, timeout: float) -> dict[tuple[str, frozenset[tuple[
        str, str]]], float]:
    assert callable(done)
    deadline = time.monotonic() + timeout
    last: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    while time.monotonic() < deadline:
        try:
            last = samples(get(url)[2])
            if done(last):
                return last
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out; last scrape: {sorted(last)[:20]}")


def counter(scrape: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
            **labels: str) -> float:
    return scrape.get((PREFIX + name, frozenset(labels.items())), 0.0)


def test_metrics_after_cycles_has_every_cycle_metric_and_moving_counters(
        db: ContractDB, slack: FakeSlack, tmp_path: Path) -> None:
    today = eastern_date(dt.datetime.now(dt.UTC))
    todays_data(db, today)
    db.close()
    for _ in range(3):  # the first cycle's alert message fails (first try, both retries)
        slack.script.append((500, {}, b"oops"))
    metrics_dir = tmp_path / "metrics"
    port = free_port()
    # This test triggers both cycles itself (the start-up one and a batch push): the
    # job runs the hourly cycle, so none of the schedule's lands between them.
    env = clean_env(**slack_env(slack), MONITOR_METRICS_DIR=str(metrics_dir),
                    MONITOR_HOURLY_CYCLE="job")
    proc = subprocess.Popen([str(BIN), "serve", "--warehouse", db.url, "--config",
                             str(ROOT / "alerts.yaml"), "--run-now", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        first = wait_for(f"{base}/metrics",
                         lambda s: counter(s, "cycles_total", status="completed") >= 1, 90)
        assert get(f"{base}/metrics")[1] == CONTENT_TYPE
        textfile = samples((metrics_dir / "prediction_monitor.prom").read_text())
        # Every series the cycle wrote to the textfile is served, with its labels.
        produced = {k: v for k, v in textfile.items()
                    if k[0] != f"{PREFIX}cycle_time_seconds"}
        assert len(produced) > 10
        assert {k: first.get(k) for k in produced} == produced
        assert (f"{PREFIX}cycle_time_seconds", frozenset()) in first
        mismatch = (f"{PREFIX}mismatch_share", frozenset({
            ("check", "feature_defaults"), ("system_id", "catboost_v8"),
            ("build_commit_sha", "abc123"), ("slate", "d0")}))
        assert first[mismatch] == 1.0
        assert any(name == f"{PREFIX}hit_rate" and ("window", "7d") in labels
                   for name, labels in first)
        assert first[(f"{PREFIX}heartbeat", frozenset())] == 1.0
        assert counter(first, "notifications_total", outcome="failed") == 1
        assert counter(first, "cycle_duration_seconds_count") == 1
        assert counter(first, "last_successful_cycle_timestamp_seconds") > 0
        assert (f"{PREFIX}metric_write_failures_total", frozenset()) in first

        # The second cycle: a batch push runs the very cycle the schedule runs
        # (ServeCycle), in this process, at once (test_scheduled_cycle_job_... below
        # shows the schedule's job is that cycle).
        push = json.dumps(push_envelope(event_bytes(
            {"execution_id": "e2", "game_date": today}), "992")).encode()
        request = urllib.request.Request(f"{base}{PATH}", push,
                                         {"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=120) as resp:
            assert resp.status == 200  # the owed message was delivered by that cycle
        second = wait_for(f"{base}/metrics",
                          lambda s: counter(s, "cycles_total", status="completed") >= 2, 60)
        assert counter(second, "cycle_duration_seconds_count") >= 2
        assert counter(second, "notifications_total", outcome="sent") > \
            counter(first, "notifications_total", outcome="sent")  # the owed message
        assert counter(second, "last_successful_cycle_timestamp_seconds") > \
            counter(first, "last_successful_cycle_timestamp_seconds")

        status, kind, page = get(f"{base}/report")
        assert status == 200 and kind.startswith("text/html")
        assert page.lstrip().lower().startswith("<!doctype html")
        assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in page
        status, _, body = get(f"{base}/report?date=2026-13-40")
        assert status == 400 and "bad date" in body
        status, _, _ = get(f"{base}/healthz")
        assert status == 200
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            print(proc.communicate()[0])  # what serve said, when the test failed
    assert proc.returncode == 0, out


def test_scheduled_cycle_job_runs_the_cycle_on_its_cron(config: MonitorConfig) -> None:
    """`serve`'s scheduler fires the cycle it was given on the configured cron; the
    trigger is injected (the job's next run moved to now), not waited for."""
    ran = threading.Event()
    scheduler = build_scheduler(config.schedule, ran.set, lambda: None)
    job = scheduler.get_job("cycle")
    assert job is not None
    assert str(job.trigger) == str(cron_trigger(config.schedule.cycle,
                                                config.schedule.timezone))
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not scheduler.running and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert not ran.is_set()  # nothing runs before its time
        scheduler.modify_job("cycle", next_run_time=dt.datetime.now(dt.UTC))
        assert ran.wait(10)
    finally:
        scheduler.shutdown(wait=True)
        thread.join(10)


def test_report_route_dates() -> None:
    asked: list[dt.date | None] = []

    def render(day: dt.date | None) -> str:
        asked.append(day)
        return "<!doctype html><p>page</p>"

    route = report_route(render)
    ok = route(Request("GET", "/report", {"date": ["2026-01-09"]}))
    assert (ok.status, ok.content_type) == (200, "text/html; charset=utf-8")
    assert route(Request("GET", "/report")).status == 200
    bad = route(Request("GET", "/report", {"date": ["yesterday"]}))
    assert bad.status == 400 and b"YYYY-MM-DD" in bad.body
    assert asked == [dt.date(2026, 1, 9), None]  # a bad date never reaches the warehouse


def test_report_route_failure_is_503_without_details() -> None:
    def render(day: dt.date | None) -> str:
        raise RuntimeError("xoxb-secret-token in a message")

    response = report_route(render)(Request("GET", "/report"))
    assert response.status == 503 and b"xoxb" not in response.body


def test_dispatch_unknown_path_and_method() -> None:
    routes = {("GET", "/report"): report_route(lambda day: "x")}
    assert dispatch(routes, Request("GET", "/nope")).status == 404
    assert dispatch(routes, Request("POST", "/report")).status == 405


def test_exporter_serves_the_latest_cycle_only_and_counts_cycles() -> None:
    exporter = PrometheusExporter()
    before = samples(exporter.exposition().decode())
    assert not any(name == f"{PREFIX}heartbeat" for name, _ in before)  # no cycle yet
    assert counter(before, "cycles_total", status="completed") == 0
    at = dt.datetime(2026, 1, 9, 16, 15, tzinfo=dt.UTC)
    old = MetricPoint("mismatch_share", (("build_commit_sha", "old1"), ("check", "x")), 0.5)
    exporter.write([old, MetricPoint("heartbeat", (), 1.0)], at)
    exporter.write([MetricPoint("heartbeat", (), 1.0)], at + dt.timedelta(hours=1))
    exporter.record_cycle(ok=True, seconds=2.0, sent=2, failed=1, metric_failures=3,
                          finished_at=at + dt.timedelta(hours=1))
    exporter.record_cycle(ok=False, seconds=0.5, sent=0, failed=0, metric_failures=0,
                          finished_at=at + dt.timedelta(hours=2))
    after = samples(exporter.exposition().decode())
    assert not any(name == f"{PREFIX}mismatch_share" for name, _ in after)  # replaced whole
    assert after[(f"{PREFIX}cycle_time_seconds", frozenset())] == \
        (at + dt.timedelta(hours=1)).timestamp()
    assert counter(after, "cycles_total", status="completed") == 1
    assert counter(after, "cycles_total", status="failed") == 1
    assert counter(after, "notifications_total", outcome="sent") == 2
    assert counter(after, "notifications_total", outcome="failed") == 1
    assert counter(after, "metric_write_failures_total") == 3
    assert counter(after, "cycle_duration_seconds_count") == 2
    assert counter(after, "cycle_duration_seconds_sum") == 2.5
    # A failed cycle does not move the last success.
    assert counter(after, "last_successful_cycle_timestamp_seconds") == \
        (at + dt.timedelta(hours=1)).timestamp()


def test_a_body_too_large_or_a_bad_length_is_refused_before_it_is_read() -> None:
    import http.client

    from monitor.routes import MAX_BODY_BYTES, Response, start_server

    seen: list[bytes] = []

    def echo(request: Request) -> Response:
        seen.append(request.body)
        return Response.text(200, "ok")

    server = start_server({("POST", "/echo"): echo}, 0, "127.0.0.1")
    try:
        for length, status in (("1000000000000", 413), (str(MAX_BODY_BYTES + 1), 413),
                               ("-1", 400), ("ten", 400), ("5", 200)):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.putrequest("POST", "/echo")
            conn.putheader("Content-Length", length)
            conn.endheaders()
            if status == 200:
                conn.send(b"hello")
            assert conn.getresponse().status == status, length
            conn.close()
    finally:
        server.shutdown()
    assert seen == [b"hello"]


# --- the server under hostile and heavy load: behaviour and counts, never durations ---

def test_report_dates_outside_the_supported_range_are_a_400() -> None:
    asked: list[dt.date | None] = []
    route = report_route(lambda day: asked.append(day) or "<!doctype html>")  # type: ignore[func-returns-value]
    for text in ("0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01", "20260109"):
        refused = route(Request("GET", "/report", {"date": [text]}))
        assert refused.status == 400, text
        assert b"from 1900-01-01 to 2199-12-31" in refused.body
    for text in ("1900-01-01", "2199-12-31"):
        assert route(Request("GET", "/report", {"date": [text]})).status == 200, text
    assert asked == [dt.date(1900, 1, 1), dt.date(2199, 12, 31)]


def _half_sent(port: int) -> socket.socket:
    """A connection that sent part of a request's headers and then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: serve\r\nX-Slow: ")
    return sock


def test_a_half_sent_request_is_closed_by_the_server_and_holds_no_worker() -> None:
    from monitor.routes import Response, ServerLimits, start_server

    answered: list[str] = []

    def health(request: Request) -> Response:
        answered.append(request.path)
        return Response.text(200, "ok")

    limits = ServerLimits(threads=1, channel_timeout=1, cleanup_interval=1)
    server = start_server({("GET", "/healthz"): health}, 0, "127.0.0.1", limits)
    try:
        slow = _half_sent(server.port)
        # The one worker is free: a whole request is answered while the other hangs.
        assert get(f"http://127.0.0.1:{server.port}/healthz")[0] == 200
        # The server closes the silent connection (an empty read: closed, not a timeout
        # of this socket, whose own limit is a minute).
        assert slow.recv(1024) == b""
        slow.close()
    finally:
        server.shutdown()
    assert answered == ["/healthz"]  # the half-sent request never reached a route


def test_idle_connections_do_not_add_threads() -> None:
    from monitor.routes import Response, ServerLimits, start_server

    server = start_server({("GET", "/healthz"): lambda r: Response.text(200, "ok")}, 0,
                          "127.0.0.1", ServerLimits(threads=4))
    socks: list[socket.socket] = []
    try:
        assert get(f"http://127.0.0.1:{server.port}/healthz")[0] == 200
        before = threading.active_count()
        socks = [_half_sent(server.port) for _ in range(100)]
        assert get(f"http://127.0.0.1:{server.port}/healthz")[0] == 200
        assert threading.active_count() == before
    finally:
        for sock in socks:
            sock.close()
        server.shutdown()


class _HeldCycles:
    """A cycle runner whose cycles wait until released: the pushes it answers are
    waiting, and their number is counted."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.waiting = 0
        self.lock = threading.Lock()

    def run_after(self, arrived: float, run_id: str) -> object:
        from monitor.serve_cycle import CycleOutcome

        with self.lock:
            self.waiting += 1
        self.release.wait(60)
        return CycleOutcome(run_id, None, arrived, busy="warehouse busy: test")


def test_waiting_pushes_have_a_bounded_pool_and_leave_workers_to_the_other_routes(
        config: object) -> None:
    import json as json_

    from monitor.events.message import event_bytes
    from monitor.events.push import PATH, batch_push_route
    from monitor.routes import Response, ServerLimits, start_server
    from tests.fakes.pubsub_push import push_envelope

    cycles = _HeldCycles()
    push = batch_push_route(cycles, config, None, slots=2)  # type: ignore[arg-type]
    routes = {("POST", PATH): push,
              ("GET", "/healthz"): lambda r: Response.text(200, "ok")}
    server = start_server(routes, 0, "127.0.0.1", ServerLimits(threads=1 + 2))
    url = f"http://127.0.0.1:{server.port}{PATH}"
    answers: list[int] = []

    def send(n: int) -> None:
        body = json_.dumps(push_envelope(event_bytes({"execution_id": f"e{n}"}),
                                         str(n))).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"},
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:
                answers.append(resp.status)
        except urllib.error.HTTPError as exc:
            answers.append(exc.code)

    try:
        held = [threading.Thread(target=send, args=(n,)) for n in range(2)]
        for t in held:
            t.start()
        deadline = time.monotonic() + 30
        while cycles.waiting < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cycles.waiting == 2  # both slots taken by pushes waiting for a cycle
        send(3)  # a third push finds the pool full: refused at once
        assert answers == [503]
        assert get(f"http://127.0.0.1:{server.port}/healthz")[0] == 200  # a worker is left
        cycles.release.set()
        for t in held:
            t.join(60)
    finally:
        cycles.release.set()
        server.shutdown()
    assert answers == [503, 503, 503] and cycles.waiting == 2


class _FailingApp:
    """Just what ServeCycle asks of the App: its warehouse cannot be opened; the first
    attempt waits until released (a cycle running when the burst comes)."""

    def __init__(self, error: Exception) -> None:
        self.env: dict[str, str] = {}
        self.error = error
        self.opened = 0
        self.release = threading.Event()
        self.running = threading.Event()

    def open_warehouse(self, **kw: object) -> object:
        self.opened += 1
        if self.opened == 1:
            self.running.set()
            self.release.wait(60)
        raise self.error


@pytest.mark.parametrize("error, busy", [(RuntimeError("the warehouse is down"), False),
                                         ("busy", True)])
def test_a_failing_cycle_answers_every_push_that_waited_for_it(error: object,
                                                                busy: bool) -> None:
    from monitor.scheduler import Health
    from monitor.serve_cycle import ServeCycle
    from monitor.warehouse import WarehouseBusy

    app = _FailingApp(WarehouseBusy("warehouse busy: another process") if busy
                      else error)  # type: ignore[arg-type]
    health = Health()
    cycles = ServeCycle(app, None, health, PrometheusExporter())  # type: ignore[arg-type]
    outcomes: list[object] = []
    first = threading.Thread(target=lambda: outcomes.append(
        cycles.run_after(time.monotonic(), "event-0")))
    first.start()
    assert app.running.wait(30)
    arrived = time.monotonic()  # 20 pushes arrive while the first cycle runs
    burst = [threading.Thread(target=lambda n=n: outcomes.append(
        cycles.run_after(arrived, f"event-{n}"))) for n in range(1, 21)]
    for t in burst:
        t.start()
    app.release.set()
    for t in [first, *burst]:
        t.join(60)
    assert len(outcomes) == 21 and app.opened == 2 and cycles.cycles == 2
    assert all(o is not None and o.problem for o in outcomes)  # type: ignore[attr-defined]
    later = {id(o) for o in outcomes[1:]}
    assert len(later) <= 2  # the burst shares the second cycle's outcome
    # A busy warehouse is another process's turn, not a failed cycle: /healthz is as it was.
    assert health.report()[1]["status"] == ("starting" if busy else "failed")


def test_route_sets() -> None:
    from monitor.commands.serve_command import ROUTE_SETS, serve_routes
    from monitor.config import SlackApp
    from monitor.events.push import PATH
    from monitor.routes import Response
    from monitor.secrets import Secret
    from monitor.slack_app import SlackAppDeps

    slack = SlackAppDeps(Secret("route-sets-test-signing-secret-01"), SlackApp(),
                         lambda day: None,  # type: ignore[arg-type, return-value]
                         lambda now: now.date(), lambda: None,  # type: ignore[arg-type, return-value]
                         lambda url, body: None)
    push = lambda r: Response.text(200, "")  # noqa: E731
    every = serve_routes(Health(), PrometheusExporter(), lambda day: "", slack, events=push)
    public = serve_routes(Health(), PrometheusExporter(), lambda day: "", slack, events=push,
                          only="slack")
    assert ROUTE_SETS == ("all", "slack")
    assert sorted(every) == sorted([
        ("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/report"), ("POST", PATH),
        ("POST", "/slack/commands"), ("POST", "/slack/interactions")])
    assert sorted(public) == [("GET", "/healthz"), ("POST", "/slack/commands"),
                              ("POST", "/slack/interactions")]
    # What the docs say each service exposes is what it does.
    production = (ROOT / "docs/production.md").read_text()
    assert "`--routes slack`: `/healthz`, `/slack/commands`, `/slack/interactions`" in production
    guide = (ROOT / "deploy/slack/README.md").read_text()
    assert "--args=serve,--routes=slack" in guide
    assert "/metrics" in guide and "/report" in guide  # it says which it leaves out


def test_a_failing_route_or_its_after_work_is_logged_never_a_traceback_to_the_client(
        caplog: pytest.LogCaptureFixture) -> None:
    from monitor.routes import Response, start_server

    def broken(request: Request) -> Response:
        raise RuntimeError("xoxb-leaked-token in a message")

    def after() -> None:
        raise ValueError("https://hooks.slack.com/commands/T0/1/secret-url")

    server = start_server({("GET", "/broken"): broken,
                           ("GET", "/after"): lambda r: Response(200, b"", after=after)},
                          0, "127.0.0.1")
    try:
        with caplog.at_level("WARNING"):
            status, _, body = get(f"http://127.0.0.1:{server.port}/broken")
            assert (status, body) == (500, "internal error\n")
            assert get(f"http://127.0.0.1:{server.port}/after")[0] == 200
            deadline = time.monotonic() + 30  # the after-work runs on its own thread
            while "answer failed" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        server.shutdown()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "GET /broken failed: RuntimeError" in logged
    assert "work after an answer failed: ValueError" in logged
    assert "xoxb" not in logged and "secret-url" not in logged


def test_a_failed_cycle_answers_its_pushes_503_so_pub_sub_redelivers(config: object) -> None:
    from monitor.events.message import BatchEvent
    from monitor.events.push import answer
    from monitor.serve_cycle import CycleOutcome

    event = BatchEvent(execution_id="e1", message_id="7")
    failed = answer(event, CycleOutcome("event-7", None, 0.0), config)  # type: ignore[arg-type]
    assert failed.status == 503
    assert b"the cycle failed" in failed.body
