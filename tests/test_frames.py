"""monitor.frames: DataFrames with asserted columns and dtypes, on the demo DuckDB
warehouse and through the BigQuery REST fake, and a CLI that never loads pandas."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from monitor import frames
from monitor.cli import main
from monitor.config import MonitorConfig
from monitor.demo import incident_first_date
from monitor.demo.options import BROKEN_COMMIT
from monitor.migrations import ensure_schema
from monitor.rules.incidents import incident_event
from monitor.rules.store import WarehouseAlertStore
from monitor.warehouse.bigquery import BigQueryWarehouse
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import DEMO_OPTS
from tests.contract import ContractDB, D, features, ts
from tests.fakes.bigquery_server import start_fake_bigquery, stop_fake_bigquery
from tests.incident_history import BAD, CHANNEL, FIRST_TS, H, T, incident_history, member

DATE = "datetime64[us]"
TIMESTAMP = "datetime64[us, UTC]"
INCIDENT = incident_first_date(DEMO_OPTS)
OBSERVATION_DTYPES = {"check": "string", "metric": "string", "value": "float64",
                      "sample_size": "Int64", "interval_low": "float64",
                      "interval_high": "float64", "baseline": "float64",
                      "not_judged": "string", "system_id": "string", "build_commit_sha": "string",
                      "game_date": DATE}


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {c: str(t) for c, t in frame.dtypes.items()}


@pytest.fixture
def quiet_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cycle that prints to the console and writes metrics under tmp_path."""
    monkeypatch.setenv("MONITOR_METRICS_DIR", str(tmp_path / "metrics"))
    for var in ("GOOGLE_CLOUD_PROJECT", "SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def demo_copy(demo_path: Path, tmp_path: Path, quiet_env: None) -> Path:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    # One cycle after the first broken batch writes alert events into the copy.
    as_of = dt.datetime.combine(INCIDENT, dt.time(15, 15), tzinfo=dt.UTC)
    assert main(["run", "--warehouse", f"duckdb:///{path}", "--as-of", as_of.isoformat()]) == 0
    return path


def test_observations_on_the_demo_warehouse(demo_copy: Path, config: MonitorConfig) -> None:
    obs = frames.observations(f"duckdb:///{demo_copy}", INCIDENT.isoformat(), config=config)
    assert {c: t for c, t in dtypes(obs).items() if c in OBSERVATION_DTYPES} == \
        OBSERVATION_DTYPES
    assert list(obs.columns[:8]) == list(frames.OBSERVATION_COLUMNS)
    assert obs.attrs["checks"]["feature_defaults"] == "fail"
    broken = obs[(obs.metric == "mismatch_share") & (obs.value > 0.5)]
    assert len(broken) >= 1
    assert (broken.game_date == pd.Timestamp(INCIDENT)).all()
    assert (broken.sample_size >= 100).all() and (broken.interval_low > 0.5).all()
    assert set(obs.check) >= {"feature_defaults", "hit_rate_by_commit", "vegas_coverage_trend"}
    # A test that could not run has no value and says why; one that ran, no reason.
    unjudged = obs[obs.not_judged.notna()]
    assert unjudged.value.isna().all()
    assert obs[obs.value.notna()].not_judged.isna().all()


def test_query_on_the_demo_warehouse(demo_copy: Path) -> None:
    url = f"duckdb:///{demo_copy}"
    frame = frames.query(url, "predictions_by_code_version", start_date="2025-12-01",
                         end_date=dt.date(2025, 12, 14))
    assert dtypes(frame) == {
        "build_commit_sha": "string", "system_id": "string", "first_game_date": DATE,
        "last_game_date": DATE, "predictions": "Int64", "picks": "Int64",
        "hit_rate_pct": "float64", "mae": "float64"}
    assert len(frame) >= 2
    assert (frame.first_game_date >= pd.Timestamp("2025-12-01")).all()
    assert ((frame.hit_rate_pct > 30) & (frame.hit_rate_pct < 90)).all()
    with pytest.raises(KeyError, match="unknown query"):
        frames.query(url, "nope")
    with pytest.raises(TypeError, match="missing parameter end_date"):
        frames.query(url, "predictions_by_code_version", start_date="2025-12-01")


def test_alert_events_and_backtest_on_the_demo_warehouse(demo_copy: Path,
                                                         config: MonitorConfig) -> None:
    url = f"duckdb:///{demo_copy}"
    events = frames.alert_events(url, INCIDENT, config=config)
    expected = {"event_time": TIMESTAMP, "event_type": "string", "rule": "string",
                "severity": "string", "value": "float64", "sample_size": "Int64",
                "threshold": "float64", "system_id": "string", "build_commit_sha": "string"}
    assert {c: t for c, t in dtypes(events).items() if c in expected} == expected
    fired = events[(events.event_type == "fired")
                   & (events.rule == "vegas_line_feature_mismatch")]
    assert len(fired) >= 1 and (fired.value > fired.threshold).all()
    assert (fired.event_time == pd.Timestamp(f"{INCIDENT}T15:15:00Z")).all()
    assert frames.alert_events(url, INCIDENT + dt.timedelta(days=1)).empty
    # The cycle's incident for the broken commit: its alerts are its members.
    incidents = frames.incidents(url, INCIDENT, config=config)
    (row,) = incidents[incidents.key == f"commit:{BROKEN_COMMIT}"].itertuples()
    assert row.open and row.severity == "critical" and row.commit == BROKEN_COMMIT
    assert row.members >= 2 and "vegas_line_feature_mismatch" in row.rules.split(",")
    assert (fired.incident_id == row.incident_id).all()

    replay = frames.backtest(url, INCIDENT, INCIDENT, schedule="15 */4 * * *", config=config)
    expected = {"time": TIMESTAMP, "event": "string", "rule": "string", "severity": "string",
                "metric": "string", "value": "float64", "sample_size": "Int64",
                "threshold": "float64", "first_date": DATE, "system_id": "string"}
    assert {c: t for c, t in dtypes(replay).items() if c in expected} == expected
    first = replay[(replay.event == "fired") & (replay.rule == "vegas_line_feature_mismatch")]
    assert len(first) >= 1 and (first.first_date == pd.Timestamp(INCIDENT)).all()
    assert dtypes(replay)["incident_id"] == "string" and first.incident_id.notna().all()


INCIDENT_DTYPES = {
    "incident_id": "string", "number": "Int64", "key": "string", "commit": "string",
    "severity": "string", "open": "boolean", "opened_at": TIMESTAMP,
    "resolved_at": TIMESTAMP, "reopened_at": TIMESTAMP, "members": "Int64",
    "firing": "Int64", "inhibited": "Int64", "rules": "string", "slack_channel": "string",
    "slack_ts": "string", "posted_at": TIMESTAMP, "pages": "Int64", "replies": "Int64",
    "reminders": "Int64", "updates": "Int64", "acknowledged_by": "string",
    "acknowledged_at": TIMESTAMP, "silenced_until": TIMESTAMP, "silenced_by": "string"}


@pytest.fixture
def incident_log(tmp_path: Path) -> Iterator[tuple[DuckDBWarehouse, str, str]]:
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    ensure_schema(wh, migrate=True)
    events, first, second = incident_history()
    WarehouseAlertStore(wh).append(events)
    yield wh, first, second
    wh.close()


def test_incidents_and_the_events_of_each(incident_log: tuple[DuckDBWarehouse, str, str],
                                          config: MonitorConfig) -> None:
    wh, first, second = incident_log
    frame = frames.incidents(wh, D, until=T + 40 * H, config=config)
    assert dtypes(frame) == INCIDENT_DTYPES
    assert list(frame.columns) == list(frames.INCIDENT_COLUMNS)
    one, two = (frame.iloc[i] for i in range(2))
    assert (one.incident_id, one.number, one.key, one.commit, one.severity) == (
        first, 1, "commit:0b5e11ad", "0b5e11ad", "critical")
    assert not one.open and one.resolved_at == pd.Timestamp(T + 30 * H)
    assert (one.members, one.firing, one.inhibited) == (2, 0, 0)
    assert one.rules == "hit_rate_below_55,ppm_default_filled"
    assert (one.slack_channel, one.slack_ts) == (CHANNEL, FIRST_TS)
    assert (one.pages, one.replies, one.reminders, one.updates) == (1, 3, 1, 2)
    assert (two.incident_id, two.key, two.severity, two.open) == (
        second, "system_id=catboost_v9", "warning", True)
    assert pd.isna(two.commit) and pd.isna(two.resolved_at)
    assert (two.members, two.firing, two.acknowledged_by) == (1, 1, "U123")
    assert two.acknowledged_at == pd.Timestamp(T + 26 * H)
    # At the inhibition: the symptom counts as inhibited, the incident as open.
    early = frames.incidents(wh, D, until=T + H, config=config)
    assert list(early.number) == [1]
    assert (early.firing[0], early.inhibited[0], early.open[0]) == (1, 1, True)
    # From after #1 resolved: only what was open then or opened since.
    assert list(frames.incidents(wh, T + 31 * H, until=T + 40 * H).number) == [2]
    events = frames.alert_events(wh, D, until=T + 40 * H, config=config)
    assert dtypes(events)["incident_id"] == dtypes(events)["incident_key"] == "string"
    assert events.incident_id.notna().all()  # every hand-made event is an incident's
    members = events[(events.incident_id == first) & (events.rule != "incident")]
    assert set(members.event_type) == {"fired", "inhibited", "resolved"}
    assert set(members.incident_key) == {"commit:0b5e11ad"}
    assert "incident_key" not in set(events.columns) - set(frames.ALERT_EVENT_COLUMNS)
    # #1 reopened in a later period: read whole, though it opened and resolved before.
    key = "commit:0b5e11ad"
    WarehouseAlertStore(wh).append([
        incident_event(T + 35 * H, "r6", "reopened", first, key, "critical"),
        member(T + 35 * H, "r6", "fired", "ppm_default_filled", "critical", BAD, first, key)])
    reopened = frames.incidents(wh, T + 34 * H, until=T + 40 * H, config=config)
    assert list(reopened.number) == [1, 2]
    assert reopened.open[0] and reopened.reopened_at[0] == pd.Timestamp(T + 35 * H)
    assert (reopened.members[0], reopened.firing[0], reopened.pages[0]) == (2, 1, 1)


def test_a_warehouse_older_than_the_incident_columns_still_reads(
        incident_log: tuple[DuckDBWarehouse, str, str], config: MonitorConfig) -> None:
    wh, _, _ = incident_log
    for column in ("incident_id", "incident_key"):
        wh.connection.execute(
            f"ALTER TABLE nba_predictions.monitor_alert_events DROP COLUMN {column}")
    events = frames.alert_events(wh, D, until=T + 40 * H, config=config)
    assert len(events) > 0 and events.incident_id.isna().all()
    assert dtypes(events)["incident_id"] == "string"
    frame = frames.incidents(wh, D, until=T + 40 * H, config=config)
    assert frame.empty and dtypes(frame) == INCIDENT_DTYPES


# --- the same frames through the BigQuery REST fake ---------------------------------

@pytest.fixture
def both(db: ContractDB, quiet_env: None) -> Iterator[tuple[DuckDBWarehouse,
                                                            BigQueryWarehouse]]:
    for i in range(40):
        db.prediction(line=21.5, cf=features(None, has=0.0) if i % 2 else None,
                      commit=None if i % 10 == 0 else "abc123")
    for i in range(30):
        db.graded(correct=None if i % 7 == 0 else i % 3 != 0,
                  commit="unknown" if i % 5 == 0 else "abc123")
    db.batch()
    db.close()
    assert main(["run", "--warehouse", db.url, "--as-of", ts(D, 20).isoformat()]) == 0
    writer = DuckDBWarehouse(db.path)
    WarehouseAlertStore(writer).append(incident_history()[0])
    writer.close()
    fake = start_fake_bigquery(db.path)
    duck = DuckDBWarehouse(db.path)  # the fake holds the file open read-write
    big = BigQueryWarehouse("test-project", "nba_predictions", endpoint=fake.endpoint,
                            maximum_bytes_billed=10**9, job_timeout_seconds=10)
    yield duck, big
    big.close()
    duck.close()
    stop_fake_bigquery(fake)


def test_frames_are_the_same_through_bigquery(
        both: tuple[DuckDBWarehouse, BigQueryWarehouse], config: MonitorConfig) -> None:
    duck, big = both
    via_duck = frames.query(duck, "predictions_by_code_version", start_date=D, end_date=D)
    via_bq = frames.query(big, "predictions_by_code_version", start_date=D, end_date=D)
    assert dtypes(via_bq)["first_game_date"] == DATE and dtypes(via_bq)["picks"] == "Int64"
    assert sorted(via_bq.build_commit_sha) == ["abc123", "unknown"]
    pd.testing.assert_frame_equal(via_bq, via_duck)

    detail_duck = frames.query(duck, "feature_values_at_prediction_time", game_date=D)
    detail_bq = frames.query(big, "feature_values_at_prediction_time", game_date=str(D))
    assert dtypes(detail_bq)["prediction_correct"] == "boolean"
    assert dtypes(detail_bq)["line_value"] == "float64"
    pd.testing.assert_frame_equal(detail_bq, detail_duck)

    events_duck = frames.alert_events(duck, D, config=config)
    events_bq = frames.alert_events(big, D, config=config)
    assert dtypes(events_bq)["event_time"] == TIMESTAMP
    assert "vegas_line_feature_mismatch" in set(events_bq.rule)
    pd.testing.assert_frame_equal(events_bq, events_duck)

    assert events_bq.incident_id.notna().sum() > 0
    incidents_duck = frames.incidents(duck, D, until=T + 40 * H, config=config)
    incidents_bq = frames.incidents(big, D, until=T + 40 * H, config=config)
    # The hand-made two and the one the cycle opened for abc123.
    _, first, second = incident_history()
    assert {first, second} < set(incidents_bq.incident_id)
    assert "commit:abc123" in set(incidents_bq.key)
    pd.testing.assert_frame_equal(incidents_bq, incidents_duck)
    # Begun before the period and read whole (its members and thread), through both.
    later = frames.incidents(big, T + 3 * H, until=T + 40 * H, config=config)
    pd.testing.assert_frame_equal(later, incidents_bq)

    obs_duck = frames.observations(duck, D, config=config)
    obs_bq = frames.observations(big, D, config=config)
    assert {c: t for c, t in dtypes(obs_bq).items() if c in OBSERVATION_DTYPES} == \
        OBSERVATION_DTYPES
    pd.testing.assert_frame_equal(obs_bq, obs_duck)


def pandas_modules(code: list[str]) -> list[str]:
    """Modules named pandas* that `python -X importtime` saw imported."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *code], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:")]
    assert len(names) > 20
    return [n for n in names if n.split(".")[0] == "pandas"]


def test_the_cli_does_not_import_pandas() -> None:
    assert pandas_modules(["-m", "monitor", "--help"]) == []
    assert pandas_modules(["-c", "import monitor.frames"]) != []  # the probe can see it


def test_typed_gives_one_dtype_per_kind_of_value() -> None:
    import decimal

    raw = pd.DataFrame({
        "day": pd.Series([dt.date(2026, 1, 9), None], dtype=object),
        "at": pd.Series([dt.datetime(2026, 1, 9, 15), None], dtype="datetime64[ns]"),
        "n": pd.Series([3, None], dtype=object),
        "rounded": pd.Series([decimal.Decimal("50.5"), None], dtype=object),
        "ok": pd.Series([True, None], dtype=object),
        "name": pd.Series(["a", None], dtype=object),
        "empty": pd.Series([None, None], dtype=object),
    })
    out = frames.typed(raw)
    assert dtypes(out) == {"day": DATE, "at": TIMESTAMP, "n": "Int64", "rounded": "float64",
                           "ok": "boolean", "name": "string", "empty": "object"}
    assert out.at[0, "at"] == pd.Timestamp("2026-01-09T15:00:00Z")  # naive means UTC
    assert out.at[0, "rounded"] == 50.5 and pd.isna(out.at[1, "rounded"])
    assert out.at[0, "n"] == 3 and out.at[1, "n"] is pd.NA
