"""The alerting cycle on the demo season: the incident is caught, a healthy month is quiet."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from monitor.backtest import ReplayCache, version_window_days
from monitor.cli import main
from monitor.config import MonitorConfig
from monitor.cycle import run_cycle
from monitor.demo.options import BROKEN_COMMIT
from monitor.model import eastern_date
from monitor.notify.console import ConsoleNotifier
from monitor.rules.store import MemoryAlertStore
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import DEMO_OPTS
from tests.fakes.slack_server import FakeSlack


def test_morning_after_the_first_broken_batch_posts_a_critical_alert(
        demo_path: Path, tmp_path: Path, slack_bot: FakeSlack) -> None:
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_path.read_bytes())
    morning_after = dt.datetime.combine(DEMO_OPTS.incident_start + dt.timedelta(days=1),
                                        dt.time(14, 15), tzinfo=dt.UTC)
    assert main(["run", "--warehouse", f"duckdb:///{copy}", "--as-of",
                 morning_after.isoformat(), "--run-id", "demo-1"]) == 0
    # One incident, one message: the broken commit, each of its rules once, the
    # commit's hints said once.
    post, = slack_bot.posts()
    assert post["blocks"][0]["text"]["text"] == f"CRITICAL #1: commit {BROKEN_COMMIT} (open)"
    body = json.dumps(post)
    assert f"`{BROKEN_COMMIT}`" in body and "vegas_line_feature_mismatch" in body
    assert body.count("feature_source_mode: `backfill`") == 1
    # One graded day is not evidence for the fixed 55% threshold (the sequential
    # detectors may already speak: they are built for exactly that).
    assert "hit_rate_below_55" not in body


def test_hourly_runs_over_a_healthy_month_post_no_hit_rate_alert(
        demo_path: Path, config: MonitorConfig) -> None:
    wh = DuckDBWarehouse(demo_path, read_only=True)
    # Replayed as `backtest` does: hours between two batches see the same rows, so
    # their queries are answered from the replay cache.
    cache = ReplayCache(wh, version_window_days([config]))
    store, out = MemoryAlertStore(), io.StringIO()
    start = dt.datetime(2025, 12, 1, 0, 15, tzinfo=dt.UTC)
    summaries = []
    try:
        for hour in range(31 * 24):
            as_of = start + dt.timedelta(hours=hour)
            cache.start_cycle(as_of, eastern_date(as_of))
            summaries.append(run_cycle(cache, config, ConsoleNotifier(out), store,
                                       as_of=as_of, run_id=f"h{hour}"))
    finally:
        wh.close()
    assert cache.hits > cache.misses  # the replay did reuse rows
    fired = [e for e in store.events if e.event_type == "fired"]
    # Quiet because every check ran, not because a cycle stopped early or a check errored.
    assert [s.run_id for s in summaries if s.skipped or not s.results] == []
    assert [(s.run_id, r.name) for s in summaries for r in s.results if r.error] == []
    assert [e for e in fired if e.rule.startswith("hit_rate")] == []
    # Nothing critical either; the demo's rare failed batches may warn.
    assert [e for e in fired if e.severity == "critical"] == []
    assert all(e.rule == "prediction_batches_failing" for e in fired)
    assert "hit_rate" not in out.getvalue()


def test_hourly_cycles_through_the_incident_page_once_and_thread_the_rest(
        demo_path: Path, config: MonitorConfig, slack_bot: FakeSlack) -> None:
    """Two days of hourly cycles from the night before the first broken batch, through
    the real slack-sdk: one top-level message for the broken commit, posted by the
    first cycle after that batch; everything else about it in its thread."""
    from monitor.notify.slack import SlackNotifier
    from monitor.secrets import Secret
    from tests.fakes.slack_server import TOKEN

    wh = DuckDBWarehouse(demo_path, read_only=True)
    ((first_batch,),) = wh.connection.execute(
        "SELECT min(execution_end_timestamp) FROM "
        "nba_predictions.prediction_execution_log WHERE build_commit_sha = ?",
        [BROKEN_COMMIT]).fetchall()
    cache = ReplayCache(wh, version_window_days([config]))
    store = MemoryAlertStore()
    start = dt.datetime.combine(DEMO_OPTS.incident_start, dt.time(0, 15), tzinfo=dt.UTC)
    paged_at = None
    try:
        for hour in range(48):
            as_of = start + dt.timedelta(hours=hour)
            cache.start_cycle(as_of, eastern_date(as_of))
            notifier = SlackNotifier.from_token(Secret(TOKEN), "#alerts", slack_bot.base_url)
            run_cycle(cache, config, notifier, store, as_of=as_of, run_id=f"h{hour}")
            if paged_at is None and any(BROKEN_COMMIT in str(p["text"])
                                        for p in slack_bot.posts()):
                paged_at = as_of
    finally:
        wh.close()
    first_batch = first_batch.astimezone(dt.UTC)
    assert paged_at is not None and first_batch < paged_at <= first_batch + dt.timedelta(
        hours=1)  # the first cycle after the first broken batch
    top = [p for p in slack_bot.posts() if not p.get("thread_ts")
           and BROKEN_COMMIT in str(p["text"])]
    assert len(top) == 1 and str(top[0]["text"]).startswith(f"CRITICAL #1: commit {BROKEN_COMMIT}")
    thread_ts = next(ts for args, ts in slack_bot.posted if args is not None
                     and args.get("text") == top[0]["text"])
    replies = [p for p in slack_bot.posts() if p.get("thread_ts") == thread_ts]
    # Nothing else about the commit reaches the channel on its own.
    assert all(BROKEN_COMMIT not in str(p["text"]) for p in slack_bot.posts()
               if not p.get("thread_ts") and p is not top[0])
    assert len(replies) <= 4, [str(p["text"]) for p in replies]
