"""A batch the gate blocked was never published: it never serves, never counts as a
slate's batch or in its coverage, and the critical rule batch_blocked names its commit
and the gate's reasons — in Slack, in validate-daily and in the report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from monitor.checks import CheckContext
from monitor.checks.commits import CommitsCheck
from monitor.checks.vegas_coverage_trend import VegasCoverageTrend
from monitor.cli import main
from monitor.config import MonitorConfig
from monitor.cycle import run_cycle
from monitor.notify.formats.text import text as message_text
from monitor.notify.memory import MemoryNotifier
from monitor.rules.store import MemoryAlertStore
from tests.contract import ContractDB, ts
from tests.fakes.bigquery_server import measured_both_ways

EASTERN_OFFSET = dt.timedelta(hours=5)  # US/Eastern in winter
GAME_DAY = dt.date(2026, 1, 14)
REASONS = ("blocked by the batch gate: vegas_line_feature_mismatch: has_vegas_line "
           "mismatch_share 88.0% (n=150, 95% CI 81.8%–92.3%) — lower bound 81.8% > 5.0%")


def eastern(day: dt.date, hour: float) -> dt.datetime:
    return (dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            + dt.timedelta(hours=hour) + EASTERN_OFFSET)


def history(db: ContractDB, days: int = 8) -> None:
    """Game days before GAME_DAY, each with a scheduled game and a daily batch."""
    for back in range(days, 0, -1):
        day = GAME_DAY - dt.timedelta(days=back)
        db.game(day=day, game_id=f"g{day:%Y%m%d}")
        db.prediction(day=day, commit="good001", predicted_at=ts(day, 13))
        db.batch(day=day, commit="good001", started=ts(day, 13))


def test_a_slate_whose_only_batch_was_blocked_has_no_data_and_the_block_is_named(
        db: ContractDB, config: MonitorConfig) -> None:
    history(db)
    db.game(day=GAME_DAY, game_id="tonight")
    db.batch(day=GAME_DAY, commit="bad0003", mode="backfill", status="blocked",
             started=ts(GAME_DAY, 13), error=REASONS, execution_id="exec-blocked-1")
    notifier = MemoryNotifier()
    summary = run_cycle(db.wh, config, notifier, MemoryAlertStore(),
                        as_of=eastern(GAME_DAY, 11.25), run_id="run-1")
    fired = {e.rule: e for e in summary.events if e.event_type == "fired"}
    assert fired["slate_no_data"].severity == "critical"
    assert dict(fired["slate_no_data"].labels)["game_date"] == str(GAME_DAY)
    blocked = fired["batch_blocked"]
    assert blocked.severity == "critical"
    assert dict(blocked.labels) == {"system_id": "catboost_v8", "build_commit_sha": "bad0003"}
    # The slate left without data is the blocked commit's doing: one incident, one
    # message, naming the batch and the gate's reasons.
    (message, thread), = [(m, t) for m, t in notifier.messages if "bad0003" in m.title]
    assert thread is None and message.title == "CRITICAL #1: commit bad0003 (open)"
    text = message_text(message)
    assert "batch_blocked" in text and "slate_no_data" in text
    assert "commit bad0003" in text and "exec-blocked-1" in text
    assert "has_vegas_line mismatch_share 88.0%" in text  # the gate's reasons
    assert {e.rule: e.incident_key for e in summary.events if e.event_type == "fired"
            and e.rule in ("slate_no_data", "batch_blocked")} == {
        "slate_no_data": "commit:bad0003", "batch_blocked": "commit:bad0003"}
    # Blocked code is not the serving commit: the backfill is not judged against itself.
    stale = next(o for o in CommitsCheck().measure(db.wh, CheckContext(
        as_of=eastern(GAME_DAY, 11.25), config=config))
        if o.metric == "stale_backfill_batches" and o.label("build_commit_sha") == "bad0003")
    assert dict(stale.context)["serving_commit"] == "good001"


def test_a_blocked_batch_is_never_the_serving_commit(
        db: ContractDB, capsys: pytest.CaptureFixture[str]) -> None:
    history(db)
    db.batch(day=GAME_DAY, commit="new0009", status="blocked", started=ts(GAME_DAY, 13),
             error=REASONS)
    db.close()
    at = ts(GAME_DAY, 20).isoformat()
    assert main(["check-deployment", "--warehouse", db.url, "--expected-sha", "good001",
                 "--as-of", at]) == 0
    assert main(["check-deployment", "--warehouse", db.url, "--expected-sha", "new0009",
                 "--as-of", at]) == 1
    assert "latest daily batches run good001" in capsys.readouterr().out


def test_a_commit_only_ever_blocked_supersedes_nothing(db: ContractDB,
                                                       config: MonitorConfig) -> None:
    history(db, days=3)
    db.batch(day=GAME_DAY, commit="new0009", status="blocked", started=ts(GAME_DAY, 12),
             error=REASONS)
    db.batch(day=GAME_DAY, commit="good001", started=ts(GAME_DAY, 13))  # the old code again
    obs = CommitsCheck().measure(db.wh, CheckContext(as_of=ts(GAME_DAY, 20),
                                                        config=config))
    by_commit = {(o.metric, o.label("build_commit_sha")): o for o in obs}
    assert by_commit[("superseded_commit_batches", "good001")].value == 0
    assert by_commit[("blocked_batches", "new0009")].value == 1
    assert by_commit[("blocked_batches", "good001")].value == 0  # clear: it can resolve


def test_coverage_and_batch_health_leave_blocked_batches_out(
        db: ContractDB, config: MonitorConfig) -> None:
    history(db)
    db.batch(day=GAME_DAY, commit="good001", started=ts(GAME_DAY, 13), pct_vegas=40.0,
             requested=200, predicted=200)
    db.batch(day=GAME_DAY, commit="bad0003", status="blocked", started=ts(GAME_DAY, 14),
             pct_vegas=95.0, requested=200, predicted=20, error=REASONS)
    db.close()
    ctx = CheckContext(as_of=ts(GAME_DAY, 20), config=config, mode="daily",
                       target_date=GAME_DAY)
    via_duckdb, via_bigquery = measured_both_ways(db.path, VegasCoverageTrend(), ctx)
    assert via_duckdb == via_bigquery
    obs = {o.metric: o for o in via_duckdb}
    assert obs["vegas_coverage"].value == pytest.approx(0.40)
    assert obs["players_predicted_ratio"].value == pytest.approx(1.0)
    assert obs["failed_batches"].value == 0


def test_the_report_shows_blocked_batches_with_their_reasons(
        db: ContractDB, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history(db)
    db.game(day=GAME_DAY, game_id="tonight")
    db.batch(day=GAME_DAY, commit="bad0003", mode="backfill", status="blocked",
             started=ts(GAME_DAY, 13), error=REASONS + " <script>", execution_id="exec-b7")
    db.close()
    out = tmp_path / "report.html"
    assert main(["report", "--warehouse", db.url, "--date", str(GAME_DAY), "--days", "7",
                 "--out", str(out)]) == 0
    html = out.read_text()
    section = html.split("<h2>Blocked batches</h2>")[1].split("<h2>")[0]
    assert "bad0003" in section and "exec-b7" in section
    assert "has_vegas_line mismatch_share 88.0%" in section
    assert "&lt;script&gt;" in section and "<script>" not in section
    assert "<th>blocked</th>" in html.split("<h2>Failed, partial and blocked batches</h2>")[1]
    capsys.readouterr()
    assert main(["validate-daily", "--warehouse", db.url, "--date", str(GAME_DAY),
                 "--format", "json"]) == 1
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["provenance"]["status"] == "fail"
    assert "batch_blocked" in checks["provenance"]["summary"]
