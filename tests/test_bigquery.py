"""The real google-cloud-bigquery client against a BigQuery REST fake on 127.0.0.1
that runs each job's SQL on DuckDB over the same rows."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.checks import CheckContext, all_checks
from monitor.cli import main
from monitor.config import MonitorConfig
from monitor.queries import load_query, query_names
from monitor.warehouse.base import MissingTableError, WarehouseError, bigquery_type
from monitor.warehouse.bigquery import BigQueryWarehouse
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.contract import ContractDB, D, features, ts
from tests.fakes.bigquery_server import (
    FakeBigQuery,
    bq_warehouse,
    rounded,
    start_fake_bigquery,
    stop_fake_bigquery,
)
from tests.partition_pruning import partition_violations

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


def fill(db: ContractDB) -> None:
    for i in range(30):
        db.prediction(commit="abc123" if i % 3 else None, line=20.5 if i % 2 else None,
                      cf=features(None, has=0.0) if i % 5 == 0 else None)
    db.prediction(cf="{broken")
    db.prediction(cf="null", superseded=True)
    for i in range(40):
        db.graded(commit="abc123" if i % 4 else "unknown", correct=None if i % 7 == 0 else
                  i % 3 != 0, actual=25.0 if i % 3 else 18.0)
    for back in range(0, 8):
        db.batch(day=D - dt.timedelta(days=back), pct_vegas=40.0 - back)
    db.batch(status="failed", predicted=0)


@pytest.fixture
def bq(db: ContractDB) -> Iterator[tuple[FakeBigQuery, ContractDB]]:
    fill(db)
    db.close()
    fake = start_fake_bigquery(db.path)
    yield fake, db
    stop_fake_bigquery(fake)


@pytest.mark.parametrize("mode", ["daily", "cycle"])
def test_every_check_gives_the_same_observations_on_both_warehouses(
        bq: tuple[FakeBigQuery, ContractDB], config: MonitorConfig, mode: str) -> None:
    fake, db = bq
    ctx = (CheckContext(as_of=NOW, config=config, mode="daily", target_date=D) if mode == "daily"
           else CheckContext(as_of=ts(D, 20), config=config))
    duck = DuckDBWarehouse(db.path)
    big = bq_warehouse(fake)
    try:
        for check in all_checks():
            via_duckdb = check.measure(duck, ctx)
            via_bigquery = check.measure(big, ctx)
            assert rounded(via_bigquery) == rounded(via_duckdb), check.name
            if mode == "daily":
                assert via_duckdb, f"{check.name} measured nothing: the test data is too thin"
    finally:
        duck.close()
        big.close()


def test_parameters_arrive_typed_and_jobs_carry_cost_guard_and_labels(
        bq: tuple[FakeBigQuery, ContractDB], config: MonitorConfig) -> None:
    fake, _ = bq
    big = bq_warehouse(fake)
    ctx = CheckContext(as_of=NOW, config=config, mode="daily", target_date=D)
    for check in all_checks():
        check.measure(big, ctx)
    big.close()
    types = {p["name"]: p["parameterType"]["type"]
             for c in fake.job_configs() for p in c["query"].get("queryParameters", [])}
    assert types["start_date"] == "DATE" and types["as_of"] == "TIMESTAMP"
    assert types["baseline_days"] == "INT64" and types["edge_threshold"] == "FLOAT64"
    for config_sent in fake.job_configs():
        assert config_sent["query"]["maximumBytesBilled"] == str(10**9)
        assert config_sent["query"]["useLegacySql"] is False
        assert config_sent["query"]["defaultDataset"]["datasetId"] == "nba_predictions"
        labels = config_sent["labels"]
        assert labels["app"] == "prediction-monitor" and labels["run_id"] == "run-2026-01-09"
    assert {c["labels"]["check"] for c in fake.job_configs()} >= {
        "hit_rate_by_commit", "feature_defaults", "vegas_coverage_trend"}


def test_an_array_parameter_is_typed_by_its_elements() -> None:
    assert bigquery_type(["abc123"]) == "ARRAY<STRING>"
    assert bigquery_type((D, D)) == "ARRAY<DATE>"
    assert bigquery_type([]) == "ARRAY<STRING>"
    with pytest.raises(TypeError):
        bigquery_type(["abc123", D])


def test_string_values_are_data_not_sql(bq: tuple[FakeBigQuery, ContractDB],
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    fake, db = bq
    monkeypatch.setenv("BIGQUERY_API_ENDPOINT", fake.endpoint)
    evil = "x'; DROP TABLE prediction_accuracy; --"
    code = main(["query", "feature_values_at_prediction_time", "--warehouse",
                 "bigquery://test-project/nba_predictions", "--param", f"game_date={D}",
                 "--param", f"player_lookup={evil}", "--format", "json"])
    assert code == 0 and json.loads(capsys.readouterr().out) == []
    sent = [p for c in fake.job_configs() for p in c["query"]["queryParameters"]]
    assert {"name": "player_lookup", "parameterType": {"type": "STRING"},
            "parameterValue": {"value": evil}} in sent
    (count,), = fake.con.execute(
        "SELECT count(*) FROM nba_predictions.prediction_accuracy").fetchall()
    assert count == 40


@pytest.mark.parametrize("how", ["errorResult", "http"])
def test_a_failing_job_is_an_error_for_its_check_only(
        bq: tuple[FakeBigQuery, ContractDB], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], how: str) -> None:
    fake, _ = bq
    fake.fail_when["FROM prediction_accuracy"] = how
    monkeypatch.setenv("BIGQUERY_API_ENDPOINT", fake.endpoint)
    code = main(["validate-daily", "--warehouse", "bigquery://test-project/nba_predictions",
                 "--date", D.isoformat(), "--format", "json"])
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["hit_rate_by_commit"]["status"] == "error"
    assert "BadRequest" in checks["hit_rate_by_commit"]["summary"]
    assert checks["feature_defaults"]["status"] == "ok"
    assert checks["vegas_coverage_trend"]["status"] in ("ok", "warn")
    assert code == 2


def test_refused_connection_fails_fast_with_a_short_deadline() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    big = BigQueryWarehouse("p", "nba_predictions", endpoint=f"http://127.0.0.1:{port}",
                            job_timeout_seconds=2)
    started = time.monotonic()
    with pytest.raises(WarehouseError, match="grading_progress"):
        big.query("grading_progress", {"start_date": D, "end_date": D, "as_of": NOW})
    assert time.monotonic() - started < 30  # not the client's default of minutes


def test_schema_apply_twice_on_duckdb_leaves_the_same_schema(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duckdb:///{tmp_path / 'fresh.duckdb'}"

    def describe() -> list[tuple[object, ...]]:
        wh = DuckDBWarehouse(tmp_path / "fresh.duckdb")
        try:
            return wh.connection.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'nba_predictions' ORDER BY ALL").fetchall()
        finally:
            wh.close()

    assert main(["schema", "apply", "--warehouse", url]) == 0
    first = describe()
    assert main(["schema", "apply", "--warehouse", url]) == 0
    assert describe() == first
    tables = {row[0] for row in first}
    assert tables == {"player_prop_predictions", "prediction_accuracy",
                      "prediction_execution_log", "game_schedule", "monitor_alert_events",
                      "monitor_runs", "monitor_locks", "monitor_schema_migrations"}
    assert ("player_prop_predictions", "critical_features", "JSON") in first
    capsys.readouterr()
    assert main(["schema", "apply", "--dry-run", "--warehouse", url]) == 0
    out = capsys.readouterr().out
    assert "-- 003_prediction_execution_log.sql" in out and "CREATE TABLE IF NOT EXISTS" in out


def test_schema_apply_on_bigquery_keeps_partitioning_and_clustering(
        bq: tuple[FakeBigQuery, ContractDB]) -> None:
    fake, _ = bq
    big = bq_warehouse(fake)
    statements = big.schema_statements(
        (ROOT / "queries/schema/003_prediction_execution_log.sql").read_text())
    big.close()
    assert "PARTITION BY DATE(execution_start_timestamp)" in statements[0]
    assert "CLUSTER BY system_id, game_date" in statements[0]
    assert "nba_predictions.prediction_execution_log" in statements[0]


@pytest.mark.parametrize("name", query_names() + query_names("investigate"))
def test_every_query_bounds_its_partitions_with_parameters(name: str) -> None:
    assert partition_violations(load_query(name)) == []


@pytest.mark.parametrize("path", sorted((ROOT / "tests/fixtures/bad_queries").glob("*.sql")),
                         ids=lambda p: p.name)
def test_the_partition_check_catches_bad_queries(path: Path) -> None:
    assert partition_violations(path.read_text()) != []


def test_estimate_prints_bytes_per_query_and_monthly_cost(
        bq: tuple[FakeBigQuery, ContractDB], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = bq
    monkeypatch.setenv("BIGQUERY_API_ENDPOINT", fake.endpoint)
    assert main(["estimate", "--warehouse", "bigquery://test-project/nba_predictions"]) == 0
    out = capsys.readouterr().out
    assert "hit_rate_by_commit" in out and "feature_defaults" in out
    # feature_shift's second query is planned even though a dry run finds no sample day
    names = [line.split()[0] for line in out.splitlines() if line.endswith(" bytes")]
    assert {"feature_shift_samples", "feature_shift"} <= set(names)
    assert "720 cycles/month" in out and "$" in out
    assert all(c.get("dryRun") for c in fake.job_configs())


def test_investigation_query_on_duckdb(db: ContractDB,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    for correct in (True, True, False, None):
        db.graded(correct=correct)
    db.graded(commit=None, correct=True)
    db.close()
    assert main(["query", "predictions_by_code_version", "--warehouse", db.url,
                 "--param", f"start_date={D}", "--param", f"end_date={D}",
                 "--format", "json"]) == 0
    rows = {r["build_commit_sha"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["abc123"]["predictions"] == 4 and rows["abc123"]["picks"] == 3
    assert rows["abc123"]["hit_rate_pct"] == pytest.approx(66.7)
    assert rows["unknown"]["picks"] == 1
    assert main(["query", "predictions_by_code_version", "--warehouse", db.url]) == 2
    assert "missing --param start_date" in capsys.readouterr().err


def test_the_calendar_through_bigquery_with_a_configured_table(
        db: ContractDB, config: MonitorConfig) -> None:
    from monitor.config import Calendar
    from monitor.league_calendar import load_calendar
    from monitor.model import Status
    from monitor.validate import validate_daily

    off_day = D + dt.timedelta(days=1)
    for back in range(0, 6):
        day = D - dt.timedelta(days=back)
        db.game(day=day)
        db.prediction(day=day, predicted_at=ts(day, 13))
        db.batch(day=day)
    db.game(day=D, game_id="rained_out", status="postponed", tipoff_hour=17.5)
    db.wh.connection.execute("ALTER TABLE nba_predictions.game_schedule RENAME TO schedule_v2")
    renamed = config.model_copy(update={"calendar": Calendar(table="schedule_v2")})
    db.close()
    fake = start_fake_bigquery(db.path)
    duck = DuckDBWarehouse(db.path, tables=renamed.table_names())
    big = bq_warehouse(fake, tables=renamed.table_names())
    try:
        via_bigquery = load_calendar(big, renamed, off_day)
        assert via_bigquery == load_calendar(duck, renamed, off_day)
        assert via_bigquery.known and via_bigquery.expects_slate(off_day) is False
        assert via_bigquery.called_off_keys() == [f"rained_out|{D}"]
        # The postponed game tipped earlier: a called-off game sets no deadline.
        assert via_bigquery.first_tipoff(D) == ts(D, 0) + dt.timedelta(hours=24)
        calendar_sql = [c["query"]["query"] for c in fake.job_configs()
                        if "schedule_v2" in c["query"]["query"]]
        assert len(calendar_sql) == 2 and all("@start_date" in q for q in calendar_sql)
        report = validate_daily(big, renamed, off_day, NOW)
        assert report.status is Status.NO_GAMES and int(report.exit_code) == 0
        assert validate_daily(big, renamed, D, NOW).status is not Status.NO_GAMES
    finally:
        duck.close()
        big.close()
        stop_fake_bigquery(fake)
def test_a_missing_table_is_told_apart_from_other_failures_on_both_warehouses(
        bq: tuple[FakeBigQuery, ContractDB]) -> None:
    fake, db = bq
    duck = DuckDBWarehouse(db.path)
    big = bq_warehouse(fake)
    try:
        for wh in (duck, big):
            with pytest.raises(MissingTableError, match="no_such_table"):
                wh.run_sql("missing", "SELECT x FROM no_such_table", {})
            with pytest.raises(WarehouseError) as info:
                wh.run_sql("bad_column", "SELECT no_such_column FROM prediction_accuracy", {})
            assert not isinstance(info.value, MissingTableError)
    finally:
        duck.close()
        big.close()
