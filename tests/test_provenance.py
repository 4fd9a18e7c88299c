"""The worker's side: stamping, execution-log rows, writers, the backfill guard."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.provenance import (
    BatchRecorder,
    BigQueryRowWriter,
    DuckDBRowWriter,
    StaleDeploymentError,
    assert_deployed_commit,
    build_commit_sha,
    critical_features,
    execution_log_row,
    stamp_prediction,
)
from monitor.warehouse.bigquery import make_client
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.contract import ContractDB, D
from tests.fakes.bigquery_server import start_fake_bigquery, stop_fake_bigquery
from tests.known_batch import ENV, T, known_batch


def test_stamp_carries_commit_and_revision_from_the_environment() -> None:
    record = stamp_prediction({"prediction_id": "p1", "predicted_points": 21.5},
                              {"vegas_points_line": 20.5, "ppm_avg_last_10": 0.71,
                               "team_win_pct": 0.6}, env=ENV, predicted_at=T)
    assert record["build_commit_sha"] == "ea88e526f00d"
    assert record["deployment_revision"] == "prediction-worker-00042-abc"
    assert record["predicted_at"] == T and record["prediction_id"] == "p1"
    assert json.loads(record["critical_features"]) == {
        "vegas_points_line": 20.5, "has_vegas_line": 1.0, "ppm_avg_last_10": 0.71,
        "team_win_pct": 0.6}


def test_missing_environment_gives_unknown_never_empty() -> None:
    record = stamp_prediction({}, {}, env={"BUILD_COMMIT": "  ", "K_REVISION": ""})
    assert record["build_commit_sha"] == "unknown"
    assert record["deployment_revision"] == "unknown"
    jobs = stamp_prediction({}, {}, env={"CLOUD_RUN_EXECUTION": "monitor-job-x2k"})
    assert jobs["deployment_revision"] == "monitor-job-x2k"
    assert record["predicted_at"].tzinfo == dt.UTC


def test_critical_features_keep_missing_apart_from_default() -> None:
    no_line = critical_features({"ppm_avg_last_10": 0.5})
    assert no_line == {"vegas_points_line": None, "has_vegas_line": 0.0,
                       "ppm_avg_last_10": 0.5, "team_win_pct": None}
    assert json.loads(json.dumps(no_line)) == no_line  # nulls survive the round trip
    zero_line = critical_features({"vegas_points_line": 0.0})
    assert zero_line["has_vegas_line"] == 1.0  # a 0.0 line is still a line
    assert critical_features({"ppm_avg_last_10": float("nan")})["ppm_avg_last_10"] is None


def test_execution_log_row_from_a_known_batch_has_exact_percentages() -> None:
    row = execution_log_row(game_date=D, system_id="catboost_v8", started_at=T,
                            ended_at=T + dt.timedelta(seconds=90), players_requested=10,
                            predictions=known_batch(), feature_source_mode="backfill",
                            batch_id="b1", execution_id="e1", env=ENV)
    assert row["pct_with_vegas_line"] == 37.5  # 3 of 8
    assert row["pct_with_ppm"] == 87.5  # 7 of 8
    assert row["pct_with_shot_zones"] == 50.0
    assert row["avg_feature_quality_score"] == 83.5
    assert (row["players_predicted"], row["status"], row["error_count"]) == (8, "partial", 2)
    assert row["duration_seconds"] == 90.0 and row["build_commit_sha"] == "ea88e526f00d"
    assert row["feature_source_mode"] == "backfill"
    with_all = execution_log_row(game_date=D, system_id="s", started_at=T, ended_at=T,
                                 players_requested=8, predictions=known_batch(), env=ENV)
    assert with_all["status"] == "success"


def contract_db(tmp_path: Path) -> ContractDB:
    db = ContractDB(tmp_path / "w.duckdb", varchar_features=False)
    db.close()
    return db


def test_a_failing_batch_still_writes_its_row(tmp_path: Path) -> None:
    db = contract_db(tmp_path)
    writer = DuckDBRowWriter(str(db.path))
    with pytest.raises(TimeoutError), \
            BatchRecorder(writer, game_date=D, system_id="catboost_v8", players_requested=5,
                          env=ENV) as batch:
        batch.add(known_batch()[0])
        raise TimeoutError("feature store timeout")
    wh = DuckDBWarehouse(db.path)
    (status, error, predicted), = wh.connection.execute(
        "SELECT status, error_message, players_predicted "
        "FROM nba_predictions.prediction_execution_log").fetchall()
    wh.close()
    assert status == "failed" and error == "TimeoutError: feature store timeout"
    assert predicted == 1


READ_BACK = ("SELECT * EXCLUDE (execution_start_timestamp, execution_end_timestamp) "
             "FROM nba_predictions.prediction_execution_log ORDER BY execution_id")
READ_BACK_BQ = ("SELECT * EXCEPT (execution_start_timestamp, execution_end_timestamp) "
                "FROM prediction_execution_log ORDER BY execution_id")


def test_rows_written_to_duckdb_and_bigquery_read_back_identical(tmp_path: Path) -> None:
    rows = [execution_log_row(game_date=D, system_id=s, started_at=T,
                              ended_at=T + dt.timedelta(seconds=30), players_requested=9,
                              predictions=known_batch(), execution_id=f"e-{s}", env=ENV)
            for s in ("catboost_v8", "ensemble_v1")]
    local = contract_db(tmp_path / "local")
    DuckDBRowWriter(str(local.path)).write("prediction_execution_log", rows)
    remote = contract_db(tmp_path / "remote")
    fake = start_fake_bigquery(remote.path)
    try:
        client = make_client("test-project", None, fake.endpoint)
        BigQueryRowWriter("test-project", "nba_predictions", client=client).write(
            "prediction_execution_log", rows)
        from monitor.warehouse.bigquery import BigQueryWarehouse

        bq = BigQueryWarehouse("test-project", "nba_predictions", client=client)
        via_bigquery = bq.run_sql("read_back", READ_BACK_BQ, {})
        stamps_bq = bq.run_sql("read_back_times", "SELECT execution_start_timestamp AS t "
                                                  "FROM prediction_execution_log "
                                                  "ORDER BY execution_id", {})
    finally:
        stop_fake_bigquery(fake)
    wh = DuckDBWarehouse(local.path)
    via_duckdb = wh.run_sql("read_back", READ_BACK_BQ, {})
    stamps = wh.run_sql("t", "SELECT execution_start_timestamp AS t "
                             "FROM prediction_execution_log ORDER BY execution_id", {})
    wh.close()
    assert via_bigquery == via_duckdb
    assert [r["t"] for r in stamps_bq] == [r["t"] for r in stamps] == [T, T]
    assert via_duckdb[0]["pct_with_vegas_line"] == 37.5


def test_backfill_guard() -> None:
    assert_deployed_commit("ea88e526", env=ENV)  # short and full SHA of one commit
    assert_deployed_commit("EA88E526F00D", env=ENV)
    with pytest.raises(StaleDeploymentError) as info:
        assert_deployed_commit("0b5e11ad", env=ENV)
    assert "0b5e11ad" in str(info.value) and "ea88e526f00d" in str(info.value)
    with pytest.raises(StaleDeploymentError, match="unknown"):
        assert_deployed_commit("ea88e526", env={})
    assert build_commit_sha({}) == "unknown"


def test_importing_provenance_stays_light() -> None:
    code = ("import sys, monitor.provenance; "
            "print(sorted({m.split('.')[0] + ('.' + m.split('.')[1] if m.startswith('google.')"
            " and '.' in m else '') for m in sys.modules "
            "if m.startswith(('pandas', 'google', 'duckdb', 'pyarrow', 'numpy'))}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_the_monitor_reports_what_the_helpers_wrote(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    db = contract_db(tmp_path)
    writer = DuckDBRowWriter(str(db.path))
    for back in range(8, -1, -1):
        day = D - dt.timedelta(days=back)
        with BatchRecorder(writer, game_date=day, system_id="catboost_v8",
                           players_requested=8, env=ENV) as batch:
            for i, record in enumerate(known_batch()):
                row = {k: v for k, v in record.items()
                       if k not in ("feature_quality_score", "has_shot_zones")}
                row.update(prediction_id=f"{day}-{i}", system_id="catboost_v8",
                           player_lookup=f"p{i}", game_date=day, line_value=20.5,
                           predicted_at=dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC))
                writer.write("player_prop_predictions", [row])
                batch.add(record)
    main(["validate-daily", "--warehouse", db.url, "--date", D.isoformat(), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    checks = {c["name"]: c for c in report["checks"]}
    feature_obs = checks["feature_defaults"]["observations"]
    # Every per-commit observation names the commit the helpers stamped; the others are
    # the per-key absence counts (critical_feature_absent), labelled by feature alone.
    per_commit = [o for o in feature_obs if o["metric"] != "feature_absent"]
    assert per_commit and {o["labels"]["build_commit_sha"] for o in per_commit} == {
        "ea88e526f00d"}
    assert all(set(o["labels"]) == {"feature"} for o in feature_obs
               if o["metric"] == "feature_absent")
    coverage = next(o for o in checks["vegas_coverage_trend"]["observations"]
                    if o["metric"] == "vegas_coverage")
    assert coverage["value"] == pytest.approx(0.375) and coverage["baseline"] == \
        pytest.approx(0.375)


def test_skill_definition_runs_validate_daily_and_explains_exit_codes() -> None:
    text = (Path(__file__).resolve().parent.parent / "skills/validate-daily/SKILL.md").read_text()
    front, _, body = text.removeprefix("---\n").partition("\n---\n")
    import yaml

    meta = yaml.safe_load(front)
    assert meta["name"] == "validate-daily" and len(meta["description"]) > 40
    assert "prediction-monitor validate-daily --format markdown" in body
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in body
    assert "check-deployment" in body
