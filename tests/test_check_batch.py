"""`check-batch`: one batch, judged alone before it is published — on the demo's
incident, on hand-built batches, on DuckDB and through the BigQuery REST fake."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.demo.options import BROKEN_COMMIT, MAIN_SYSTEM
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import DEMO_OPTS
from tests.contract import ContractDB, D, features, ts
from tests.fakes.bigquery_server import start_fake_bigquery, stop_fake_bigquery

FIRST_BROKEN = f"exec_{DEMO_OPTS.incident_start:%Y%m%d}_{MAIN_SYSTEM}_0"
HEALTHY = f"exec_{DEMO_OPTS.incident_start:%Y%m%d}_ensemble_v1_0"
AS_OF = dt.datetime.combine(DEMO_OPTS.incident_start, dt.time(23), tzinfo=dt.UTC).isoformat()
BQ_URL = "bigquery://test-project/nba_predictions"


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check-batch", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_first_broken_batch_is_blocked_naming_commit_and_rules(
        demo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duckdb:///{demo_path}"
    code, out, _ = check(capsys, "--warehouse", url, "--execution-id", FIRST_BROKEN,
                         "--as-of", AS_OF)
    assert code == 1
    assert out.startswith(f"BLOCK: {MAIN_SYSTEM} {DEMO_OPTS.incident_start} commit "
                          f"{BROKEN_COMMIT} (backfill batch")
    for rule in ("vegas_line_feature_mismatch", "ppm_default_filled",
                 "backfill_on_stale_commit"):
        assert f"- critical {rule}: " in out
    assert "has_vegas_line mismatch_share" in out and "ppm_avg_last_10" in out

    code, out, _ = check(capsys, "--warehouse", url, "--execution-id", FIRST_BROKEN,
                         "--as-of", AS_OF, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["verdict"] == "block"
    (batch,) = data["batches"]
    assert batch["build_commit_sha"] == BROKEN_COMMIT and batch["rows"] > 100
    assert batch["serving_commit"] not in (None, BROKEN_COMMIT)
    reasons = {r["rule"]: r for r in batch["reasons"]}
    assert reasons["vegas_line_feature_mismatch"]["feature"] == "has_vegas_line"
    assert reasons["ppm_default_filled"]["feature"] == "ppm_avg_last_10"
    low, high = reasons["vegas_line_feature_mismatch"]["interval"]
    assert 0.05 < low < reasons["vegas_line_feature_mismatch"]["share"] < high
    assert BROKEN_COMMIT in reasons["backfill_on_stale_commit"]["message"]


def test_a_healthy_batch_passes_and_an_unknown_or_old_id_cannot_be_told(
        demo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duckdb:///{demo_path}"
    code, out, _ = check(capsys, "--warehouse", url, "--execution-id", HEALTHY,
                         "--as-of", AS_OF)
    assert code == 0 and out.startswith("PASS: ensemble_v1 ")
    code, out, err = check(capsys, "--warehouse", url, "--execution-id", "no-such-batch",
                           "--as-of", AS_OF)
    assert code == 2 and out == ""
    assert err.startswith("cannot tell: no batch with execution_id no-such-batch")
    # The lookup reads the log's last days only: a week later the batch is out of reach.
    later = (dt.datetime.fromisoformat(AS_OF) + dt.timedelta(days=7)).isoformat()
    code, out, err = check(capsys, "--warehouse", url, "--execution-id", FIRST_BROKEN,
                           "--as-of", later, "--format", "json")
    assert code == 2 and json.loads(out)["verdict"] == "cannot-tell"
    assert "--lookback-days 3" in err
    code, _, _ = check(capsys, "--warehouse", url, "--execution-id", FIRST_BROKEN,
                       "--as-of", later, "--lookback-days", "8")
    assert code == 1


def test_a_batch_id_judges_every_system_that_ran_it(
        demo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(capsys, "--warehouse", f"duckdb:///{demo_path}", "--batch-id",
                         f"batch_{DEMO_OPTS.incident_start:%Y%m%d}_0", "--as-of", AS_OF,
                         "--format", "json")
    data = json.loads(out)
    verdicts = {b["system_id"]: b["verdict"] for b in data["batches"]}
    assert verdicts == {MAIN_SYSTEM: "block", "ensemble_v1": "pass",
                        "moving_average_baseline": "pass", "similarity_balanced_v1": "pass"}
    assert code == 1 and data["verdict"] == "block"


def test_the_demo_worker_stamps_rows_inside_their_batch(demo_path: Path) -> None:
    """Every prediction row is found by exactly one batch: the join check-batch uses."""
    wh = DuckDBWarehouse(demo_path, read_only=True)
    try:
        (predictions, matched, wrong_counts), = wh.connection.execute("""
            WITH matched AS (
              SELECT l.execution_id, l.players_predicted, count(p.prediction_id) AS n
              FROM nba_predictions.prediction_execution_log AS l
              LEFT JOIN nba_predictions.player_prop_predictions AS p
                ON p.system_id = l.system_id AND p.game_date = l.game_date
               AND coalesce(nullif(nullif(p.build_commit_sha, ''), 'unknown'), 'unknown')
                   = l.build_commit_sha
               AND p.predicted_at BETWEEN l.execution_start_timestamp
                                      AND l.execution_end_timestamp
              GROUP BY ALL)
            SELECT (SELECT count(*) FROM nba_predictions.player_prop_predictions),
                   sum(n), count_if(n != players_predicted) FROM matched""").fetchall()[0:1]
    finally:
        wh.close()
    assert predictions == matched and wrong_counts == 0


def small_warehouse(db: ContractDB) -> dict[str, str]:
    """Daily batches on good001, then a backfill on bad0003 with default-filled features,
    a daily batch on an older commit, a batch the worker's gate blocked, and one whose
    rows were never written."""
    for back in range(3, 0, -1):
        day = D - dt.timedelta(days=back)
        db.batch(day=day, commit="old0000" if back == 3 else "good001", started=ts(day, 13))
    ids = {"stale": db.batch(commit="bad0003", mode="backfill", started=ts(D, 13),
                             predicted=40, execution_id="exec-stale"),
           "older": db.batch(commit="old0000", started=ts(D, 14), predicted=40,
                             execution_id="exec-older"),
           "blocked": db.batch(commit="bad0003", status="blocked", started=ts(D, 15),
                               error="blocked by the batch gate: ppm_default_filled: ...",
                               execution_id="exec-blocked"),
           "lost": db.batch(commit="good001", started=ts(D, 16), predicted=40,
                            execution_id="exec-lost"),
           "good": db.batch(commit="good001", started=ts(D, 17), predicted=40,
                            execution_id="exec-good")}
    for i in range(40):
        broken = features(None, has=0.0, ppm=0.4) if i % 4 else features(20.5)
        db.prediction(commit="bad0003", cf=broken, predicted_at=ts(D, 13) + dt.timedelta(
            minutes=1))
        db.prediction(commit="old0000", predicted_at=ts(D, 14) + dt.timedelta(minutes=2))
        db.prediction(commit="good001", predicted_at=ts(D, 17) + dt.timedelta(minutes=3))
    # Rows of the same commit outside the batch's window belong to no batch.
    db.prediction(commit="good001", cf=features(None, has=0.0, ppm=0.4),
                  predicted_at=ts(D, 18))
    return ids


@pytest.mark.parametrize("json_column", [False, True], ids=["varchar", "json"])
def test_the_same_answers_on_duckdb_and_through_bigquery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        json_column: bool) -> None:
    db = ContractDB(tmp_path / "w.duckdb", varchar_features=not json_column)
    ids = small_warehouse(db)
    db.close()
    as_of = ts(D, 20).isoformat()
    expected = {"stale": 1, "older": 0, "blocked": 1, "lost": 1, "good": 0}
    answers: dict[str, dict[str, Any]] = {}
    for name, eid in ids.items():
        code, out, _ = check(capsys, "--warehouse", db.url, "--execution-id", eid,
                             "--as-of", as_of, "--format", "json")
        assert code == expected[name], (name, out)
        answers[name] = json.loads(out)
    stale = {r["rule"] for r in answers["stale"]["batches"][0]["reasons"]}
    assert stale == {"backfill_on_stale_commit", "vegas_line_feature_mismatch",
                     "ppm_default_filled"}
    older = answers["older"]["batches"][0]["reasons"]
    assert [(r["rule"], r["severity"]) for r in older] == [
        ("superseded_commit_predicting", "warning")]
    assert "older than the serving good001" in older[0]["message"]
    blocked = answers["blocked"]["batches"][0]
    assert [r["rule"] for r in blocked["reasons"]] == ["batch_blocked", "min_rows"]
    assert "ppm_default_filled" in blocked["reasons"][0]["message"]
    # Its rows never written: an empty batch blocks.
    lost = answers["lost"]["batches"][0]
    assert answers["lost"]["verdict"] == "block" and lost["cannot_tell"] is None
    assert [r["rule"] for r in lost["reasons"]] == ["empty_batch"]
    assert lost["reasons"][0]["message"] == (
        "empty batch: no prediction rows found between 2026-01-09T16:00:00+00:00 and "
        "2026-01-09T16:05:00+00:00 (the log says 40 predicted)")
    assert answers["good"]["batches"][0]["rows"] == 40

    shutil.copy(db.path, tmp_path / "bq.duckdb")
    fake = start_fake_bigquery(tmp_path / "bq.duckdb")
    monkeypatch.setenv("BIGQUERY_API_ENDPOINT", fake.endpoint)
    try:
        for name, eid in ids.items():
            code, out, _ = check(capsys, "--warehouse", BQ_URL, "--execution-id", eid,
                                 "--as-of", as_of, "--format", "json")
            assert (code, json.loads(out)) == (expected[name], answers[name]), name
        sent = [c["query"] for c in fake.job_configs()]
    finally:
        stop_fake_bigquery(fake)
    lookups = [q for q in sent if "prediction_execution_log" in q["query"]
               and "@execution_id" in q["query"]]
    params = {p["name"]: p["parameterValue"]["value"] for p in lookups[0]["queryParameters"]}
    assert params["exec_from"].startswith(str(D - dt.timedelta(days=3)))
    assert all(c["labels"]["check"] == "check_batch" for c in fake.job_configs())


def run_all(capsys: pytest.CaptureFixture[str], db: ContractDB,
            *ids: str) -> dict[str, tuple[int, dict[str, Any]]]:
    """check-batch --format json on each execution id: id → (exit code, answer)."""
    answers = {}
    for eid in ids:
        code, out, _ = check(capsys, "--warehouse", db.url, "--execution-id", eid,
                             "--as-of", ts(D, 23).isoformat(), "--format", "json")
        answers[eid] = (code, json.loads(out)["batches"][0])
    return answers


def test_a_failed_batch_and_a_batch_missing_rows_cannot_be_told(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ContractDB(tmp_path / "w.duckdb")
    db.batch(day=D - dt.timedelta(days=1), started=ts(D - dt.timedelta(days=1), 10))
    broken = features(None, has=0.0, ppm=0.4)
    # Failed half way: the rows it wrote are no batch to judge, pass or block.
    db.batch(status="failed", predicted=6, error="KeyError: 'ppm'", started=ts(D, 10),
             execution_id="failed")
    # The log says 200 predicted; 150 rows are in its run, the rest stamped after its end.
    db.batch(predicted=200, started=ts(D, 11), execution_id="short")
    # The log says 40; 35 found, and they are broken enough to block: a block blocks.
    db.batch(predicted=40, started=ts(D, 12), execution_id="short-broken")
    # Every row found: judged.
    db.batch(predicted=40, started=ts(D, 13), execution_id="whole")
    for i in range(200):
        late = dt.timedelta(minutes=1 if i < 150 else 6, seconds=i % 60)
        db.prediction(predicted_at=ts(D, 11) + late)
        if i < 6:
            db.prediction(cf=broken, predicted_at=ts(D, 10) + dt.timedelta(minutes=1))
        if i < 35:
            db.prediction(cf=broken, predicted_at=ts(D, 12) + dt.timedelta(minutes=1))
        if i < 40:
            db.prediction(predicted_at=ts(D, 13) + dt.timedelta(minutes=1))
    db.close()
    answers = run_all(capsys, db, "failed", "short", "short-broken", "whole")
    code, failed = answers["failed"]
    assert code == 2 and failed["verdict"] == "cannot-tell" and failed["rows"] == 6
    assert failed["cannot_tell"] == ("the batch failed (status 'failed': KeyError: 'ppm'): "
                                     "nothing was published to judge")
    code, short = answers["short"]
    assert code == 2 and short["verdict"] == "cannot-tell"
    assert short["cannot_tell"].startswith(
        "log says 200 predicted, 150 rows found between 2026-01-09T11:00:00+00:00 and "
        "2026-01-09T11:05:00+00:00")
    code, short_broken = answers["short-broken"]
    assert code == 1 and short_broken["verdict"] == "block"
    assert short_broken["cannot_tell"] is None and short_broken["rows"] == 35
    assert answers["whole"][0] == 0 and answers["whole"][1]["cannot_tell"] is None

    code, out, _ = check(capsys, "--warehouse", db.url, "--execution-id", "failed",
                         "--as-of", ts(D, 23).isoformat())
    assert code == 2 and out.startswith("CANNOT-TELL: catboost_v8 2026-01-09 ")
    assert "  cannot tell: the batch failed (status 'failed': KeyError: 'ppm')" in out


def test_a_batch_whose_rows_are_gone_or_mostly_gone_blocks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No rows, or under half of what the log says was predicted, is no batch to
    publish: it blocks, where "too small to judge" would pass it."""
    db = ContractDB(tmp_path / "w.duckdb")
    db.batch(day=D - dt.timedelta(days=1), started=ts(D - dt.timedelta(days=1), 10))
    # The log row is there, its predictions are gone and its count is NULL.
    db.batch(predicted=0, started=ts(D, 10), execution_id="gone")
    db.wh.connection.execute(
        "UPDATE nba_predictions.prediction_execution_log SET players_predicted = NULL "
        "WHERE execution_id = 'gone'")
    db.batch(predicted=40, started=ts(D, 11), execution_id="none-of-40")
    # 12 healthy rows of the 40 announced: under half.
    db.batch(predicted=40, started=ts(D, 12), execution_id="twelve-of-40")
    for i in range(12):
        db.prediction(predicted_at=ts(D, 12) + dt.timedelta(minutes=1, seconds=i))
    db.close()
    answers = run_all(capsys, db, "gone", "none-of-40", "twelve-of-40")
    code, gone = answers["gone"]
    assert code == 1 and gone["verdict"] == "block" and gone["rows"] == 0
    assert [(r["rule"], r["severity"]) for r in gone["reasons"]] == [
        ("empty_batch", "critical")]
    assert gone["reasons"][0]["message"] == (
        "empty batch: no prediction rows found between 2026-01-09T10:00:00+00:00 and "
        "2026-01-09T10:05:00+00:00 (the log gives no players_predicted)")
    code, none = answers["none-of-40"]
    assert code == 1 and none["reasons"][0]["message"].endswith("(the log says 40 predicted)")
    code, twelve = answers["twelve-of-40"]
    assert code == 1 and twelve["verdict"] == "block" and twelve["cannot_tell"] is None
    assert twelve["reasons"][0]["rule"] == "partial_batch"
    assert twelve["reasons"][0]["message"].startswith("partial batch: 12 rows found between ")
    assert twelve["reasons"][0]["message"].endswith(
        "under half of the 40 the log says were predicted")
    code, out, _ = check(capsys, "--warehouse", db.url, "--execution-id", "gone",
                         "--as-of", ts(D, 23).isoformat())
    assert code == 1 and out.startswith("BLOCK: catboost_v8 2026-01-09 ")
    assert "  - critical empty batch: no prediction rows found" in out
    assert "too small to judge" not in out


def test_a_batch_too_small_for_the_rules_says_which_rule_did_not_judge(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ContractDB(tmp_path / "w.duckdb")
    db.batch(day=D - dt.timedelta(days=1), started=ts(D - dt.timedelta(days=1), 10))
    db.batch(predicted=20, started=ts(D, 13), execution_id="twenty")
    for _ in range(20):  # all broken, but 20 < the rules' min_sample of 30
        db.prediction(cf=features(None, has=0.0, ppm=0.4),
                      predicted_at=ts(D, 13) + dt.timedelta(minutes=1))
    db.close()
    ((code, batch),) = run_all(capsys, db, "twenty").values()
    assert code == 0 and batch["verdict"] == "pass" and batch["rows"] == 20
    not_judged = {r["rule"]: r for r in batch["reasons"] if r["severity"] == "info"}
    assert {"vegas_line_feature_mismatch", "ppm_default_filled",
            "critical_features_missing"} <= set(not_judged)
    assert not_judged["ppm_default_filled"]["message"] == (
        "ppm_default_filled: ppm_avg_last_10 ppm_default_share not judged: "
        "n=20 < min_sample 30")
    code, out, _ = check(capsys, "--warehouse", db.url, "--execution-id", "twenty",
                         "--as-of", ts(D, 23).isoformat())
    assert code == 0
    assert ("  - info vegas_line_feature_mismatch: has_vegas_line mismatch_share not "
            "judged: n=20 < min_sample 30") in out


def test_a_batch_id_judges_the_latest_attempt_of_each_system(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ContractDB(tmp_path / "w.duckdb")
    db.batch(day=D - dt.timedelta(days=1), started=ts(D - dt.timedelta(days=1), 10))
    db.batch(status="blocked", error="blocked by the batch gate: ppm_default_filled: ...",
             predicted=40, started=ts(D, 10), execution_id="attempt-1")
    db.batch(predicted=40, started=ts(D, 11), execution_id="attempt-2")
    db.batch(system="ensemble_v1", predicted=40, started=ts(D, 11), execution_id="other")
    for i in range(40):
        at = ts(D, 11) + dt.timedelta(minutes=1, seconds=i)
        db.prediction(predicted_at=at)
        db.prediction(system="ensemble_v1", predicted_at=at)
    db.wh.connection.execute(
        "UPDATE nba_predictions.prediction_execution_log SET batch_id = 'batch-0' "
        "WHERE execution_id IN ('attempt-1', 'attempt-2', 'other')")
    db.close()
    code, out, _ = check(capsys, "--warehouse", db.url, "--batch-id", "batch-0",
                         "--as-of", ts(D, 23).isoformat(), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "pass"
    assert [(b["execution_id"], b["verdict"]) for b in data["batches"]] == [
        ("attempt-2", "pass"), ("other", "pass")]
    # The blocked attempt is still judged when asked for by its execution id.
    assert run_all(capsys, db, "attempt-1")["attempt-1"][0] == 1
