"""Running in production: run identity, run summaries, structured logs, the schedule,
SIGTERM, overlapping cycles, the container, cold start."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import Schedule
from monitor.model import eastern_date
from monitor.runtime import run_id_from_env
from monitor.scheduler import cron_trigger, next_fire_times
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.contract import ContractDB, D, ts
from tests.fakes.slack_server import FakeSlack
from tests.processes import BIN, ROOT, clean_env, free_port, held_by_another_process, slack_env
from tests.slates import broken

T0 = ts(D, 16)


def test_run_id_comes_from_the_cloud_run_execution() -> None:
    now = dt.datetime(2026, 1, 9, tzinfo=dt.UTC)
    env = {"CLOUD_RUN_JOB": "prediction-monitor", "CLOUD_RUN_EXECUTION": "pm-x7k2",
           "CLOUD_RUN_TASK_INDEX": "0", "CLOUD_RUN_TASK_ATTEMPT": "0"}
    first = run_id_from_env(env, now)
    retried = run_id_from_env({**env, "CLOUD_RUN_TASK_ATTEMPT": "1"}, now)
    assert first == retried == "prediction-monitor/pm-x7k2/0"
    assert run_id_from_env({}, now).startswith("local-20260109T000000-")
    assert run_id_from_env({}, now) != run_id_from_env({}, now)


def test_each_cycle_appends_a_monitor_runs_row(db: ContractDB,
                                              monkeypatch: pytest.MonkeyPatch,
                                              slack: FakeSlack) -> None:
    broken(db)
    db.close()
    for k, v in slack_env(slack).items():
        monkeypatch.setenv(k, v)
    assert main(["run", "--warehouse", db.url, "--as-of", T0.isoformat(), "--run-id", "r1"]) == 0
    wh = DuckDBWarehouse(db.path)
    rows = wh.connection.execute(
        "SELECT run_id, checks_ok, checks_failed, checks_no_data, alerts_fired, "
        "alerts_pending, notification_failures, status "
        "FROM nba_predictions.monitor_runs").fetchall()
    wh.close()
    # feature_defaults fails; provenance, feature_shift (no commit change),
    # prediction_edge (its slate measured, its ratio not judged without a baseline) and
    # pick_agreement (not judged without a baseline) are ok; the checks that need
    # grades, batches or history have no data here.
    assert rows == [("r1", 4, 1, 4, 1, 0, 0, "completed")]


def test_on_cloud_run_every_log_line_is_json_with_a_severity(db: ContractDB) -> None:
    broken(db)
    db.close()
    env = clean_env(CLOUD_RUN_JOB="prediction-monitor", CLOUD_RUN_EXECUTION="pm-1",
                    CLOUD_RUN_TASK_INDEX="0", CLOUD_RUN_TASK_ATTEMPT="0",
                    MONITOR_METRICS_DIR=str(db.path.parent / "metrics"))
    proc = subprocess.run([str(BIN), "run", "--warehouse", db.url, "--as-of", T0.isoformat()],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) >= 5
    entries = [json.loads(line) for line in lines]
    assert all(e["severity"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
               for e in entries)
    assert any(e.get("check") == "feature_defaults" for e in entries)
    assert any("vegas_line_feature_mismatch" in e["message"] for e in entries)  # console alert
    assert all(e.get("run_id", "prediction-monitor/pm-1/0") == "prediction-monitor/pm-1/0"
               for e in entries)


def test_schedule_next_fire_times_across_dst() -> None:
    schedule = Schedule()
    daily = cron_trigger(schedule.validate_daily, schedule.timezone)
    times = next_fire_times(daily, dt.datetime(2026, 3, 6, 12, tzinfo=dt.UTC), 4)
    assert [t.astimezone(dt.UTC).strftime("%m-%d %H:%M") for t in times] == [
        "03-06 15:00", "03-07 15:00", "03-08 14:00", "03-09 14:00"]  # 10:00 EST, then EDT
    cycle = cron_trigger(schedule.cycle, schedule.timezone)
    # (aware datetimes of one zone subtract as wall clocks: compare in UTC)
    spring = [t.astimezone(dt.UTC) for t in
              next_fire_times(cycle, dt.datetime(2026, 3, 8, 6, 0, tzinfo=dt.UTC), 3)]
    gaps = [(b - a).total_seconds() / 3600 for a, b in zip(spring, spring[1:], strict=False)]
    assert gaps == [1.0, 1.0]  # hourly in real time; 02:15 local does not exist
    assert [t.strftime("%H:%M") for t in spring] == ["06:15", "07:15", "08:15"]
    fall = [t.astimezone(dt.UTC) for t in
            next_fire_times(cycle, dt.datetime(2026, 11, 1, 4, 0, tzinfo=dt.UTC), 4)]
    # 01:15 happens twice on fall-back day: each is its own hourly cycle.
    assert [t.strftime("%H:%M") for t in fall] == ["04:15", "05:15", "06:15", "07:15"]


def test_weekday_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="name weekdays"):
        Schedule(cycle="15 * * * 1-5")
    assert Schedule(cycle="15 * * * mon-fri").cycle == "15 * * * mon-fri"


def test_two_concurrent_runs_with_the_same_run_id_post_one_message(
        db: ContractDB, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    broken(db)
    db.close()
    for k, v in slack_env(slack).items():
        monkeypatch.setenv(k, v)
    slack.delay = 0.5  # keep the first cycle inside its critical section a while
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def one() -> None:
        barrier.wait()
        codes.append(main(["run", "--warehouse", db.url, "--as-of", T0.isoformat(),
                           "--run-id", "job/exec-1/0"]))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert codes == [0, 0]
    assert len(slack.posts()) == 1


def test_sigterm_lets_the_running_cycle_finish_and_exits_0(
        db: ContractDB, slack: FakeSlack, tmp_path: Path) -> None:
    # Written an hour ago for today's slate (US/Eastern), whatever the time of day.
    now = dt.datetime.now(dt.UTC)
    broken(db, eastern_date(now), at=now - dt.timedelta(hours=1))
    db.close()
    slack.delay = 3.0  # the cycle is inside chat.postMessage when SIGTERM arrives
    port = free_port()
    env = clean_env(**slack_env(slack), MONITOR_METRICS_DIR=str(tmp_path / "metrics"))
    proc = subprocess.Popen([str(BIN), "serve", "--warehouse", db.url, "--run-now",
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not slack.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert slack.requests, "the cycle never reached Slack"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            assert json.load(resp)["status"] == "starting"  # mid-cycle: nothing finished yet
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "cycle finished" in out and "stopped" in out
    wh = DuckDBWarehouse(db.path)
    kinds = [r[0] for r in wh.connection.execute(
        "SELECT event_type FROM nba_predictions.monitor_alert_events").fetchall()]
    wh.close()
    assert "notified" in kinds  # the interrupted cycle completed its delivery


def test_healthz_reports_the_last_cycle(db: ContractDB, tmp_path: Path) -> None:
    db.close()
    port = free_port()
    env = clean_env(MONITOR_METRICS_DIR=str(tmp_path / "metrics"))
    proc = subprocess.Popen([str(BIN), "serve", "--warehouse", db.url, "--run-now",
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        body: dict[str, object] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                            timeout=2) as resp:
                    body = json.load(resp)
                    if body["status"] != "starting":
                        break
            except OSError:
                pass
            time.sleep(0.1)
        assert body["status"] == "ok" and body["last_cycle_at"]
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0


def test_dockerfile_runs_as_non_root_with_the_cli_as_entrypoint() -> None:
    text = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines[0].startswith("FROM python:3.11-slim")
    user = [line for line in lines if line.startswith("USER ")]
    assert user and user[-1].split()[1].split(":")[0] not in ("root", "0")
    assert 'ENTRYPOINT ["prediction-monitor"]' in lines
    assert 'CMD ["run"]' in lines
    install = next(line for line in lines if "pip install" in line)
    assert "-c constraints.txt ." in install and "[dev]" not in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "data", "tests"} <= set(ignored)


HEAVY = ("pandas", "google", "pyarrow", "numpy", "duckdb", "slack_sdk", "apscheduler",
         "grpc", "sqlglot", "pydantic")


def imported_after(args: list[str], env: dict[str, str]) -> set[str]:
    code = ("import sys\nfrom monitor.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\n"
            f"print('MODULES', sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env=env, timeout=120).stdout
    line = next(line for line in out.splitlines() if line.startswith("MODULES"))
    return set(json.loads(line.split(" ", 1)[1].replace("'", '"')))


def test_cold_start_imports_only_what_the_command_uses(db: ContractDB) -> None:
    broken(db)
    db.close()
    env = clean_env(MONITOR_METRICS_DIR=str(db.path.parent / "metrics"))
    assert imported_after(["--help"], env) == set()
    used = imported_after(["run", "--warehouse", db.url, "--as-of", T0.isoformat()], env)
    assert not used & {"pandas", "google", "pyarrow", "numpy", "slack_sdk", "grpc",
                       "apscheduler"}
    assert "duckdb" in used


def test_a_second_process_on_a_duckdb_file_is_told_the_warehouse_is_busy(
        db: ContractDB, tmp_path: Path) -> None:
    broken(db)
    db.close()
    env = clean_env(MONITOR_METRICS_DIR=str(tmp_path / "metrics"))
    with held_by_another_process(db.path) as pid:
        proc = subprocess.run([str(BIN), "run", "--warehouse", db.url], env=env,
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    line, = [x for x in proc.stderr.splitlines() if "busy" in x]
    assert line == (f"warehouse error: warehouse busy: another process (PID {pid}) has the "
                    "DuckDB file open (serve, or another command); try again once it "
                    "is done")
    assert "Traceback" not in proc.stderr
    # Once the other process is done, the same command runs.
    assert subprocess.run([str(BIN), "run", "--warehouse", db.url], env=env,
                          capture_output=True, text=True, timeout=120).returncode == 0
