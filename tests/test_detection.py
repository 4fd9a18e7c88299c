"""Provenance and freshness checks on hand-built rows; backtest and check-deployment
on demo seasons."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.backtest import backtest, cycle_times
from monitor.checks import CheckContext
from monitor.checks.commits import CommitsCheck
from monitor.checks.freshness import Freshness
from monitor.cli import main
from monitor.config import MonitorConfig
from monitor.demo import build_demo_warehouse
from monitor.demo.options import BROKEN_COMMIT, FIXED_COMMIT, MAIN_SYSTEM, DemoOptions
from monitor.model import Observation
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.contract import ContractDB, D, fetch, ts


def pick(obs: list[Observation], metric: str, **labels: str) -> Observation:
    found = [o for o in obs if o.metric == metric
             and all(o.label(k) == v for k, v in labels.items())]
    assert len(found) == 1, found
    return found[0]


def cycle(config: MonitorConfig, at: dt.datetime) -> CheckContext:
    return CheckContext(as_of=at, config=config)


def test_provenance_sees_mixed_slates_unknown_commits_and_stale_backfills(
        db: ContractDB, config: MonitorConfig) -> None:
    for commit in ("aaa1111", "bbb2222", None, "unknown"):
        db.prediction(commit=commit)
    db.batch(day=D - dt.timedelta(days=10), commit="old0001", started=ts(D, 1))
    db.batch(commit="new0002", started=ts(D, 5))  # newest daily: serving
    db.batch(commit="bad0003", mode="backfill", started=ts(D, 8))
    db.batch(commit="old0001", started=ts(D, 9))  # the older commit again
    obs = CommitsCheck().measure(db.wh, cycle(config, ts(D, 20)))
    assert pick(obs, "commits_per_slate", game_date=str(D)).value == 2
    unknown = pick(obs, "unknown_commit_share", game_date=str(D))
    assert (unknown.value, unknown.sample_size) == (0.5, 4)
    stale = pick(obs, "stale_backfill_batches", build_commit_sha="bad0003")
    assert stale.value == 1 and dict(stale.context)["serving_commit"] == "old0001"
    assert pick(obs, "stale_backfill_batches", build_commit_sha="new0002").value == 0
    assert pick(obs, "superseded_commit_batches", build_commit_sha="old0001").value == 1
    assert pick(obs, "superseded_commit_batches", build_commit_sha="new0002").value == 0


def test_freshness_reports_a_slate_with_no_batch_only_once_it_is_due(
        db: ContractDB, config: MonitorConfig) -> None:
    for back in range(1, 4):
        db.batch(system="v8", day=D - dt.timedelta(days=back))
        db.batch(system="ens", day=D - dt.timedelta(days=back))
    db.batch(system="v8", day=D, started=ts(D, 13), status="failed")
    early = Freshness().measure(db.wh, cycle(config, ts(D, 15)))  # 10:00 ET
    assert [o for o in early if o.metric == "slate_batches"] == []
    due = Freshness().measure(db.wh, cycle(config, ts(D, 16, )))  # 11:00 ET
    assert pick(due, "slate_batches", system_id="ens").value == 0
    v8 = pick(due, "slate_batches", system_id="v8")
    assert v8.value == 1 and dict(v8.context)["successful_batches"] == "0"


def test_freshness_reports_ungraded_slates(db: ContractDB, config: MonitorConfig) -> None:
    old = D - dt.timedelta(days=3)
    for _ in range(4):
        db.prediction(day=old, predicted_at=ts(old, 15))
    db.graded(day=old)
    obs = Freshness().measure(db.wh, cycle(config, ts(D, 12)))
    graded = pick(obs, "graded_share", game_date=str(old))
    assert (graded.value, graded.sample_size) == (0.25, 4)


def test_backtest_replays_the_incident_without_writing(
        demo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def events() -> int:
        wh = DuckDBWarehouse(demo_path, read_only=True)
        try:
            return int(wh.connection.execute(
                "SELECT count(*) FROM nba_predictions.monitor_alert_events").fetchone()[0])
        finally:
            wh.close()

    before = events()
    assert main(["backtest", "--warehouse", f"duckdb:///{demo_path}", "--start", "2026-01-08",
                 "--end", "2026-01-10", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"start", "end", "schedule", "cycles", "event_cycles", "alerts",
                           "incidents"}
    assert report["event_cycles"] == 0
    assert report["cycles"] == 72 and report["schedule"] == "15 * * * *"
    fired = [a for a in report["alerts"] if a["event"] == "fired"]
    first = min(a["time"] for a in fired if a["labels"].get("build_commit_sha") == BROKEN_COMMIT)
    # The broken batch starts after 13:00 UTC on the 9th: the 14:15 cycle sees it.
    assert first.startswith("2026-01-09T14:15")
    rules = {a["rule"] for a in fired if a["time"] == first}
    assert {"vegas_line_feature_mismatch", "ppm_default_filled"} <= rules
    assert set(fired[0]) == {"time", "event", "rule", "severity", "labels", "evidence",
                             "incident_id", "inhibited_by"}
    # One incident for the broken commit, paged once, opened by its first alerts; every
    # alert of the commit is one of its members.
    (incident,) = [i for i in report["incidents"] if i["key"] == f"commit:{BROKEN_COMMIT}"]
    assert incident["pages"] == 1 and incident["opened"] == first
    assert incident["severity"] == "critical"
    assert {m["rule"] for m in incident["members"]} == {
        a["rule"] for a in fired if a["labels"].get("build_commit_sha") == BROKEN_COMMIT}
    assert {a["incident_id"] for a in fired
            if a["labels"].get("build_commit_sha") == BROKEN_COMMIT} == {incident["id"]}
    assert events() == before


def test_backtest_events_runs_a_cycle_a_second_after_each_batch(
        demo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--schedule events`: the hourly cycles plus one a second after each batch ended,
    as serve's Pub/Sub push would; the first broken batch is alerted within a minute of
    its end by an event cycle, not at the next hourly one."""
    wh = DuckDBWarehouse(demo_path, read_only=True)
    try:
        (ended, batches) = wh.connection.execute(
            "SELECT min(execution_end_timestamp) FILTER (WHERE build_commit_sha = ?), "
            "count(DISTINCT execution_end_timestamp) "
            "FROM nba_predictions.prediction_execution_log WHERE game_date = DATE '2026-01-09'",
            [BROKEN_COMMIT]).fetchone()
    finally:
        wh.close()
    first_broken_end = ended.astimezone(dt.UTC)
    assert main(["backtest", "--warehouse", f"duckdb:///{demo_path}", "--start", "2026-01-09",
                 "--end", "2026-01-09", "--schedule", "events", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["schedule"] == "events"
    assert 0 < report["event_cycles"] <= batches
    assert report["cycles"] == 24 + report["event_cycles"]
    fired = [a for a in report["alerts"] if a["event"] == "fired"
             and a["labels"].get("build_commit_sha") == BROKEN_COMMIT]
    first = min(dt.datetime.fromisoformat(a["time"]) for a in fired)
    # Within a minute of its end; earlier still when another system's batch ended after
    # the broken rows were stamped (rows are visible from their predicted_at on).
    assert first - first_broken_end <= dt.timedelta(seconds=60)
    assert (first.minute, first.second) != (15, 0)  # an event cycle, not the hourly one
    assert main(["backtest", "--warehouse", f"duckdb:///{demo_path}", "--start", "2026-01-09",
                 "--end", "2026-01-09", "--schedule", "events"]) == 0
    out = capsys.readouterr().out
    assert f"and {report['event_cycles']} one second after a batch ended" in out


def test_backtest_text_lists_alerts(demo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--warehouse", f"duckdb:///{demo_path}", "--start", "2026-01-09",
                 "--end", "2026-01-09", "--schedule", "15 */6 * * *"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("backtest 2026-01-09 .. 2026-01-09: 4 cycles ('15 */6 * * *')")
    assert "FIRED    critical vegas_line_feature_mismatch" in out
    assert f"\nINCIDENT #1 critical commit:{BROKEN_COMMIT}: opened 2026-01-09 17:15Z, " \
        "still open; pages=1 " in out
    assert "  vegas_line_feature_mismatch critical [build_commit_sha=" in out
    assert main(["backtest", "--warehouse", f"duckdb:///{demo_path}", "--start", "2026-01-09",
                 "--end", "2026-01-09", "--schedule", "15 * * * 1-5"]) == 2


def test_hit_rate_only_regression_is_caught_within_six_game_days(
        tmp_path: Path, config: MonitorConfig) -> None:
    opts = DemoOptions(start=dt.date(2025, 12, 5), end=dt.date(2026, 1, 16), seed=7,
                       scenario="hit_rate_regression", legacy_days=0)
    path = tmp_path / "regression.duckdb"
    build_demo_warehouse(path, opts, show_progress=False)
    start = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    times = cycle_times(start, start + dt.timedelta(days=14), "15 14 * * *",
                        "America/New_York")
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        runs, cache = backtest(wh, {"default": config, "same rules": config}, times)
    finally:
        wh.close()
    caught = [a for a in runs["default"].alerts if a.event == "fired"
              and a.label("system_id") == MAIN_SYSTEM and "drift" in a.rule]
    assert caught, [(a.rule, a.labels) for a in runs["default"].alerts]
    # Six: the CUSUMs start a standard error of their re-estimated baseline towards the
    # alternative (their false-alarm rate holds then, tests/test_sequential.py); from
    # the baseline as estimated they crossed a day earlier.
    assert (caught[0].time.date() - opts.incident_start).days <= 6
    # Before any of it is graded, the predictions already hug the line: the first
    # cycle after the first regressed batch says so, and on no other system.
    ((first_batch,),) = fetch(path, "SELECT min(predicted_at) FROM "
                              "nba_predictions.player_prop_predictions "
                              "WHERE system_id = ? AND game_date = ?",
                              [MAIN_SYSTEM, opts.incident_start])
    edge = [a for a in runs["default"].alerts
            if a.event == "fired" and a.rule == "prediction_edge_collapsed"]
    assert {a.label("system_id") for a in edge} == {MAIN_SYSTEM}, edge
    assert edge[0].time == min(t for t in times if t >= first_batch)
    # The alert names the commit: the regression outlives the commit it began on, and
    # the next routine deploy's slates hug the line too, an alert of their own.
    served = fetch(path, "SELECT build_commit_sha FROM nba_predictions.player_prop_predictions "
                         "WHERE system_id = ? AND game_date >= ? GROUP BY 1 "
                         "ORDER BY min(game_date)", [MAIN_SYSTEM, opts.incident_start])
    assert [a.label("build_commit_sha") for a in edge] == [sha for (sha,) in served]
    assert not [a for a in runs["default"].alerts if a.rule in (
        "vegas_line_feature_mismatch", "ppm_default_filled")]
    # The second rule set reuses the first one's query results, and agrees with it.
    assert cache.hits >= cache.misses - len(times)
    assert runs["same rules"].alerts == runs["default"].alerts


@pytest.fixture(scope="module")
def around_fix(demo_warehouses: Callable[[str, DemoOptions], Path]) -> Path:
    return demo_warehouses("fix", DemoOptions(start=dt.date(2026, 1, 20),
                                              end=dt.date(2026, 2, 2), legacy_days=0))


def test_check_deployment_exit_codes(around_fix: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duckdb:///{around_fix}"
    during = ["check-deployment", "--warehouse", url, "--expected-sha", FIXED_COMMIT,
              "--as-of", "2026-01-25T12:00:00Z"]
    assert main(during) == 1
    out = capsys.readouterr().out
    assert "STALE DEPLOYMENT" in out and FIXED_COMMIT in out and "first seen" in out
    assert main(["check-deployment", "--warehouse", url, "--expected-sha", FIXED_COMMIT,
                 "--as-of", "2026-02-01T12:00:00Z"]) == 0
    assert main(["check-deployment", "--warehouse", url, "--expected-sha", FIXED_COMMIT,
                 "--as-of", "2026-02-01T12:00:00Z", "--revision-commit", BROKEN_COMMIT]) == 1
    empty = ContractDB(tmp_path / "empty.duckdb")
    empty.close()
    assert main(["check-deployment", "--warehouse", empty.url, "--expected-sha", "abc1234"]) == 2
    assert "cannot tell" in capsys.readouterr().err
