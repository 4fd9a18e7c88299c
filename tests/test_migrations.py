"""Versioned migrations of the monitor's own tables: a warehouse made by release
cf575ae (tests/fixtures/release_cf575ae.sql) upgraded on DuckDB and through the
BigQuery REST fake, start-up checks of writing commands, pinned fingerprints."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import load_config
from monitor.migrations import (
    Applied,
    Migration,
    SchemaVersionError,
    code_migrations,
    ensure_schema,
    plan,
    schema_status,
)
from monitor.provenance import BigQueryRowWriter, DuckDBRowWriter
from monitor.rules.incidents import fold_incidents
from monitor.rules.state import fingerprint, fold
from monitor.rules.store import WarehouseAlertStore
from monitor.warehouse.base import Warehouse
from monitor.warehouse.bigquery import BigQueryWarehouse, make_client
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.fakes.bigquery_server import FakeBigQuery, start_fake_bigquery, stop_fake_bigquery
from tests.fakes.slack_server import FakeSlack

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests/fixtures/release_cf575ae.sql"
CONFIG = str(ROOT / "alerts.yaml")
D9 = dt.date(2026, 1, 9)  # the fixture's broken slate
T2 = dt.datetime(2026, 1, 9, 17, tzinfo=dt.UTC)  # the fixture's last cycle (r2)
T3 = T2 + dt.timedelta(hours=1)
SENT = "4292e729402300c7"  # catboost_v8 / bad0c0de: fired and notified by release cf575ae
OWED = "98970b5c1ceb4a07"  # ensemble_v1 / bad1c0de: fired, its message owed
MIGRATIONS = ["020_monitor_schema_migrations.sql", "021_monitor_locks_holder.sql",
              "022_monitor_alert_events_actor.sql", "023_monitor_alert_events_incident.sql"]
# Release cf575ae recorded nothing: its own files (CREATE TABLE IF NOT EXISTS, no-ops
# on its tables) are applied and recorded too.
ALL = ["010_monitor_alert_events.sql", "011_monitor_runs.sql", "012_monitor_locks.sql",
       *MIGRATIONS]


def load_fixture(warehouse: Warehouse) -> None:
    warehouse.execute_statements(FIXTURE.read_text(encoding="utf-8"), source="fixture")


@pytest.fixture
def old_duckdb(tmp_path: Path) -> Path:
    path = tmp_path / "release.duckdb"
    wh = DuckDBWarehouse(path)
    load_fixture(wh)
    wh.close()
    return path


@pytest.fixture
def slack(slack_bot: FakeSlack) -> FakeSlack:
    return slack_bot


@pytest.fixture
def old_bigquery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBigQuery]:
    """The fixture loaded through the BigQuery client into the fake's DuckDB file."""
    path = tmp_path / "bq.duckdb"
    DuckDBWarehouse(path).close()  # the dataset (a schema in the fake's file)
    fake = start_fake_bigquery(path)
    monkeypatch.setenv("BIGQUERY_API_ENDPOINT", fake.endpoint)
    big = bq(fake)
    load_fixture(big)
    big.close()
    yield fake
    stop_fake_bigquery(fake)


def bq(fake: FakeBigQuery) -> BigQueryWarehouse:
    return BigQueryWarehouse("test-project", "nba_predictions", endpoint=fake.endpoint,
                             job_timeout_seconds=10)


BQ_URL = "bigquery://test-project/nba_predictions"


def duck_url(path: Path) -> str:
    return f"duckdb:///{path}"


def run(url: str, as_of: dt.datetime, run_id: str, config: str = CONFIG) -> int:
    return main(["run", "--warehouse", url, "--as-of", as_of.isoformat(), "--run-id", run_id,
                 "--config", config])


def columns(con: object, dataset: str = "nba_predictions") -> list[tuple[object, ...]]:
    rows = con.execute(  # type: ignore[attr-defined]
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? ORDER BY ALL", [dataset]).fetchall()
    return [tuple(r) for r in rows]


def table_rows(con: object, table: str) -> list[tuple[object, ...]]:
    """Rows in the columns release cf575ae had (later ones hold NULL for old rows)."""
    return [tuple(r) for r in con.execute(  # type: ignore[attr-defined]
        "SELECT COLUMNS(lambda c: c NOT IN ('actor', 'holder_host', 'holder_pid', "
        "'incident_id', 'incident_key')) "
        f"FROM nba_predictions.{table} ORDER BY ALL").fetchall()]


def old_events(warehouse: Warehouse) -> list[object]:
    return list(WarehouseAlertStore(warehouse).load(T2))


# --- the contract: fingerprints ---------------------------------------------------------

def test_fingerprints_are_pinned() -> None:
    """Alert identity is part of the contract: an upgrade that changed these would page
    everyone again for alerts already sent."""
    assert fingerprint("vegas_line_feature_mismatch",
                       (("build_commit_sha", "bad0c0de"), ("system_id", "catboost_v8"))) == SENT
    assert fingerprint("vegas_line_feature_mismatch",
                       (("build_commit_sha", "bad1c0de"), ("system_id", "ensemble_v1"))) == OWED
    assert fingerprint("monitor_check_error", ()) == "a02d91cd6d89d8bb"
    assert fingerprint("hit_rate_below_55", (("window", "7d"), ("system_id", "é&<x>"),
                                             ("build_commit_sha", "unknown"))) == \
        "ba7d93bdcdf830ff"


def test_events_of_release_cf575ae_fold_into_the_same_state(old_duckdb: Path) -> None:
    wh = DuckDBWarehouse(old_duckdb)
    try:
        before = old_events(wh)
        ensure_schema(wh, migrate=True)
        after = old_events(wh)
    finally:
        wh.close()
    assert len(before) == 4 and after == before  # every old event is readable, unchanged
    for event in after:
        assert fingerprint(event.rule, event.labels) == event.fingerprint  # type: ignore[attr-defined]
    states = fold(after)  # type: ignore[arg-type]
    assert set(states) == {SENT, OWED}
    assert states[SENT].pending is None and states[SENT].slack_ts == "1767225600.000001"
    assert states[OWED].pending == "firing" and states[OWED].slack_ts is None


# --- the pure plan ----------------------------------------------------------------------

def _m(version: int) -> Migration:
    return Migration(version, f"{version:03d}_x.sql", Path(f"{version:03d}_x.sql"))


def _a(version: int) -> Applied:
    return Applied(version, f"{version:03d}_x.sql", None, "0.1.0")


def test_plan_applies_every_unrecorded_file_even_one_merged_later_with_a_lower_number() -> None:
    status = plan([_a(10), _a(11), _a(12), _a(20), _a(22)],
                  [_m(10), _m(11), _m(12), _m(13), _m(20), _m(22)])
    assert [m.version for m in status.pending] == [13]
    assert status.state == "behind" and status.warehouse_version == 22
    assert status.code_version == 22


def test_plan_says_ahead_when_a_newer_release_recorded_a_version_this_code_lacks() -> None:
    status = plan([_a(10), _a(23)], [_m(10), _m(20)])
    assert status.state == "ahead" and [a.version for a in status.unknown] == [23]
    assert "newer release" in status.line() and "023_x.sql" in status.line()
    assert plan([], [_m(10)]).line().startswith("warehouse schema version none recorded")
    assert plan([_a(10)], [_m(10)]).state == "current"


def test_two_files_with_one_number_are_refused(tmp_path: Path) -> None:
    files = [tmp_path / "013_monitor_locks_a.sql", tmp_path / "013_monitor_locks_b.sql"]
    with pytest.raises(ValueError, match="013_monitor_locks_b.sql: version 13 is also "
                                         "013_monitor_locks_a.sql"):
        code_migrations(files)
    versions = [m.version for m in code_migrations()]
    assert versions == sorted(set(versions)) and versions[:3] == [10, 11, 12]


# --- DuckDB: applies itself, idempotent ---------------------------------------------------

@pytest.mark.parametrize("how", ["schema apply", "run migrates the embedded warehouse"])
def test_release_cf575ae_upgraded_on_duckdb_posts_only_what_was_owed_once(
        old_duckdb: Path, slack: FakeSlack, how: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    url = duck_url(old_duckdb)
    if how == "schema apply":
        assert main(["schema", "apply", "--warehouse", url, "--config", CONFIG]) == 0
        assert ", ".join(MIGRATIONS) in capsys.readouterr().out
    assert run(url, T3, "r3") == 0
    assert run(url, T3 + dt.timedelta(hours=1), "r4") == 0
    posts = [p for p in slack.posts() if "vegas_line_feature_mismatch" in str(p["text"])]
    assert len(posts) == 1  # the owed message, exactly once; nothing sent before is resent
    assert "ensemble_v1" in str(posts[0]["blocks"]) and "catboost_v8" not in str(
        posts[0]["blocks"])
    wh = DuckDBWarehouse(old_duckdb)
    try:
        status = schema_status(wh)
        kinds = wh.connection.execute(
            "SELECT fingerprint, event_type, run_id FROM nba_predictions.monitor_alert_events "
            "WHERE run_id IN ('r3', 'r4') ORDER BY ALL").fetchall()
    finally:
        wh.close()
    assert status.state == "current"
    assert [a.name for a in status.applied][-len(MIGRATIONS):] == MIGRATIONS
    assert (OWED, "notified", "r3") in kinds
    assert not any(fp == SENT and kind in ("fired", "notified") for fp, kind, _ in kinds)


def test_migrations_applied_twice_change_nothing_on_duckdb(old_duckdb: Path) -> None:
    wh = DuckDBWarehouse(old_duckdb)
    try:
        events_before = table_rows(wh.connection, "monitor_alert_events")
        assert [m.name for m in ensure_schema(wh, migrate=True)] == ALL
        schema = columns(wh.connection)
        recorded = table_rows(wh.connection, "monitor_schema_migrations")
        assert ensure_schema(wh, migrate=True) == []
        assert columns(wh.connection) == schema
        assert table_rows(wh.connection, "monitor_schema_migrations") == recorded
        assert table_rows(wh.connection, "monitor_alert_events") == events_before
        assert ("monitor_locks", "holder_pid", "BIGINT") in schema
        assert ("monitor_locks", "holder_host", "VARCHAR") in schema
        assert ("monitor_alert_events", "actor", "VARCHAR") in schema
        assert ("monitor_alert_events", "incident_id", "VARCHAR") in schema
    finally:
        wh.close()
    assert main(["schema", "apply", "--warehouse", duck_url(old_duckdb)]) == 0
    wh = DuckDBWarehouse(old_duckdb)
    try:
        # schema apply also creates the contract's tables the old release lacked (the
        # league calendar); the monitor's own tables are as the migrations left them.
        after = columns(wh.connection)
        assert [c for c in after if c[0] != "game_schedule"] == schema
        assert ("game_schedule", "game_status", "VARCHAR") in after
        assert table_rows(wh.connection, "monitor_schema_migrations") == recorded
    finally:
        wh.close()


def test_dry_run_lists_the_pending_migrations_and_applies_nothing(
        old_duckdb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = duck_url(old_duckdb)
    assert main(["schema", "apply", "--dry-run", "--warehouse", url]) == 0
    out = capsys.readouterr().out
    for name in MIGRATIONS:
        assert f"-- {name} (pending migration)" in out
    assert "-- 010_monitor_alert_events.sql (pending migration)" in out  # never recorded
    assert "ADD COLUMN IF NOT EXISTS holder_pid" in out
    assert main(["schema", "status", "--warehouse", url]) == 1
    out = capsys.readouterr().out
    assert out.startswith("warehouse schema version none recorded, code schema version 23: "
                          "behind")
    assert main(["schema", "apply", "--warehouse", url]) == 0
    capsys.readouterr()
    assert main(["schema", "status", "--warehouse", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("warehouse schema version 23, code schema version 23: current")
    assert "applied 021_monitor_locks_holder.sql at " in out


def test_validate_daily_reads_an_unmigrated_warehouse_without_changing_it(
        old_duckdb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate-daily", "--date", "2026-01-09", "--warehouse",
                 duck_url(old_duckdb), "--format", "json"])
    assert code == 1  # the fixture's broken slate fails feature_defaults; no monitor error
    checks = {c["name"]: c["status"] for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["feature_defaults"] == "fail" and "error" not in checks.values()
    wh = DuckDBWarehouse(old_duckdb)
    try:
        assert schema_status(wh).state == "behind"
        for table in ("monitor_alert_events", "monitor_runs", "monitor_locks"):
            wh.connection.execute(f"DROP TABLE nba_predictions.{table}")
    finally:
        wh.close()
    # Only the contract's tables: validate-daily still judges the date.
    assert main(["validate-daily", "--date", "2026-01-09", "--warehouse",
                 duck_url(old_duckdb)]) == 1


def test_a_warehouse_newer_than_the_code_is_read_but_never_written(
        old_duckdb: Path, slack: FakeSlack, capsys: pytest.CaptureFixture[str]) -> None:
    url = duck_url(old_duckdb)
    assert main(["schema", "apply", "--warehouse", url]) == 0
    wh = DuckDBWarehouse(old_duckdb)
    wh.query("record_schema_migration", {"version": 99, "name": "099_from_the_future.sql",
                                         "applied_at": T2, "release": "0.2.0+f00d"})
    events = table_rows(wh.connection, "monitor_alert_events")
    wh.close()
    capsys.readouterr()
    assert run(url, T3, "r3") == 2
    err = capsys.readouterr().err
    assert "099_from_the_future.sql (0.2.0+f00d)" in err and "deploy the newer release" in err
    assert "Traceback" not in err
    assert slack.posts() == []
    assert main(["schema", "apply", "--warehouse", url]) == 2
    assert main(["schema", "status", "--warehouse", url]) == 1
    assert "ahead" in capsys.readouterr().out
    assert main(["validate-daily", "--date", "2026-01-09", "--warehouse", url]) == 1
    wh = DuckDBWarehouse(old_duckdb)
    try:
        assert table_rows(wh.connection, "monitor_alert_events") == events
    finally:
        wh.close()


def test_demo_on_a_file_of_an_earlier_release_upgrades_it_in_place(
        old_duckdb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--path", str(old_duckdb), "--config", CONFIG]) == 0
    assert f"upgraded it in place: {', '.join(ALL)}" in capsys.readouterr().out
    wh = DuckDBWarehouse(old_duckdb, read_only=True)
    try:
        assert schema_status(wh).state == "current"
        assert len(old_events(wh)) == 4
    finally:
        wh.close()


# --- BigQuery (through the REST fake): never migrates unasked --------------------------

def test_run_on_an_unmigrated_bigquery_exits_2_with_one_line_and_writes_nothing(
        old_bigquery: FakeBigQuery, slack: FakeSlack,
        capsys: pytest.CaptureFixture[str]) -> None:
    events = table_rows(old_bigquery.con, "monitor_alert_events")
    capsys.readouterr()
    assert run(BQ_URL, T3, "r3") == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    schema_lines = [line for line in err if "schema apply" in line]
    assert len(schema_lines) == 1 and "Traceback" not in "\n".join(err)
    assert "warehouse schema version none recorded, code schema version 23: behind" \
        in schema_lines[0]
    assert slack.posts() == []
    assert table_rows(old_bigquery.con, "monitor_alert_events") == events
    assert main(["serve", "--warehouse", BQ_URL, "--port", "0", "--config", CONFIG]) == 2
    assert "schema apply" in capsys.readouterr().err


def test_release_cf575ae_upgraded_through_bigquery_posts_only_what_was_owed_once(
        old_bigquery: FakeBigQuery, slack: FakeSlack,
        capsys: pytest.CaptureFixture[str]) -> None:
    con = old_bigquery.con
    events_before = table_rows(con, "monitor_alert_events")
    assert main(["schema", "apply", "--warehouse", BQ_URL, "--config", CONFIG]) == 0
    assert ", ".join(MIGRATIONS) in capsys.readouterr().out
    schema = columns(con)
    recorded = table_rows(con, "monitor_schema_migrations")
    assert [r[1] for r in recorded][-len(MIGRATIONS):] == MIGRATIONS
    # Idempotent: applying again changes neither the schema nor the record.
    assert main(["schema", "apply", "--warehouse", BQ_URL, "--config", CONFIG]) == 0
    assert "migrations applied: none pending" in capsys.readouterr().out
    assert columns(con) == schema
    assert table_rows(con, "monitor_schema_migrations") == recorded
    assert table_rows(con, "monitor_alert_events") == events_before
    big = bq(old_bigquery)
    try:
        assert schema_status(big).state == "current"
        assert len(old_events(big)) == 4  # every old event readable through BigQuery
    finally:
        big.close()
    assert run(BQ_URL, T3, "r3") == 0
    assert run(BQ_URL, T3 + dt.timedelta(hours=1), "r4") == 0
    posts = [p for p in slack.posts() if "vegas_line_feature_mismatch" in str(p["text"])]
    assert len(posts) == 1 and "ensemble_v1" in str(posts[0]["blocks"])


def test_bigquery_configured_to_migrate_applies_pending_migrations_at_start_up(
        old_bigquery: FakeBigQuery, slack: FakeSlack, tmp_path: Path) -> None:
    config = tmp_path / "alerts.yaml"
    text = (ROOT / "alerts.yaml").read_text(encoding="utf-8")
    assert load_config(ROOT / "alerts.yaml").bigquery.auto_migrate is False  # the default
    config.write_text(text.replace("bigquery:\n", "bigquery:\n  auto_migrate: true\n", 1),
                      encoding="utf-8")
    assert run(BQ_URL, T3, "r3", str(config)) == 0
    recorded = table_rows(old_bigquery.con, "monitor_schema_migrations")
    assert [r[1] for r in recorded][-len(MIGRATIONS):] == MIGRATIONS
    assert len([p for p in slack.posts()
                if "vegas_line_feature_mismatch" in str(p["text"])]) == 1


# --- the provenance writers ---------------------------------------------------------------

LOG_ROW = {"execution_id": "e-new", "build_commit_sha": "c0ffee", "game_date": D9,
           "system_id": "catboost_v8", "status": "success",
           "execution_start_timestamp": T3}


def log_rows(con: object) -> list[object]:
    return [r[0] for r in con.execute(  # type: ignore[attr-defined]
        "SELECT execution_id FROM nba_predictions.prediction_execution_log").fetchall()]


def make_ahead(warehouse: Warehouse) -> None:
    ensure_schema(warehouse, migrate=True)
    warehouse.query("record_schema_migration", {"version": 99, "name": "099_next.sql",
                                                "applied_at": T2, "release": "0.2.0"})


def test_duckdb_writer_migrates_an_older_file_and_refuses_a_newer_one(old_duckdb: Path) -> None:
    DuckDBRowWriter(str(old_duckdb)).write("prediction_execution_log", [LOG_ROW])
    wh = DuckDBWarehouse(old_duckdb)
    try:
        assert schema_status(wh).state == "current" and log_rows(wh.connection) == ["e-new"]
        make_ahead(wh)
    finally:
        wh.close()
    with pytest.raises(SchemaVersionError, match="099_next.sql .*deploy the newer release"):
        DuckDBRowWriter(str(old_duckdb)).write(
            "prediction_execution_log", [{**LOG_ROW, "execution_id": "e-refused"}])
    wh = DuckDBWarehouse(old_duckdb)
    try:
        assert log_rows(wh.connection) == ["e-new"]
    finally:
        wh.close()


def test_bigquery_writer_warns_when_behind_and_refuses_a_newer_warehouse(
        old_bigquery: FakeBigQuery, caplog: pytest.LogCaptureFixture) -> None:
    client = make_client("test-project", None, old_bigquery.endpoint)
    with caplog.at_level(logging.WARNING, logger="monitor.migrations"):
        BigQueryRowWriter("test-project", "nba_predictions", client=client).write(
            "prediction_execution_log", [LOG_ROW])
    assert "behind" in caplog.text and "schema apply" in caplog.text
    assert log_rows(old_bigquery.con) == ["e-new"]  # the contract's table is written
    assert schema_status(bq(old_bigquery)).state == "behind"  # and nothing migrated
    make_ahead(bq(old_bigquery))
    with pytest.raises(SchemaVersionError, match="newer release"):
        BigQueryRowWriter("test-project", "nba_predictions", client=client).write(
            "prediction_execution_log", [{**LOG_ROW, "execution_id": "e-refused"}])
    assert log_rows(old_bigquery.con) == ["e-new"]


def test_release_19ecf6d_with_open_alerts_becomes_incidents_without_a_new_page(
        tmp_path: Path, slack: FakeSlack) -> None:
    """The last release before incidents left one alert notified and one owed. After the
    upgrade each commit is an incident: the notified alert's message is adopted as its
    incident's thread (nothing re-posted), the owed one is posted once."""
    path = tmp_path / "release.duckdb"
    wh = DuckDBWarehouse(path)
    try:
        wh.execute_statements((ROOT / "tests/fixtures/release_19ecf6d.sql").read_text(
            encoding="utf-8"), source="fixture")
    finally:
        wh.close()
    url = duck_url(path)
    assert run(url, T3, "r3") == 0
    assert run(url, T3 + dt.timedelta(hours=1), "r4") == 0
    top = [p for p in slack.posts() if not p.get("thread_ts")]
    assert len(top) == 1 and "bad1c0de" in str(top[0]["text"])  # the owed one, once
    assert "catboost_v8" not in json.dumps(top[0]["blocks"])
    wh = DuckDBWarehouse(path)
    try:
        store = WarehouseAlertStore(wh)
        incidents = fold_incidents(store.load(T3 + dt.timedelta(hours=1)))
    finally:
        wh.close()
    by_key = {inc.key: inc for inc in incidents.values()}
    assert set(by_key) == {"commit:bad0c0de", "commit:bad1c0de"}
    adopted = by_key["commit:bad0c0de"]
    assert adopted.slack_ts == "1767225600.000001" and adopted.open  # the old message
    assert [m.rule for m in adopted.members.values()] == ["vegas_line_feature_mismatch"]
