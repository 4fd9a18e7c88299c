"""Bad rows are counted, never trusted, never a crash: NaN and infinite numbers,
critical_features of the wrong JSON type, aggregates over only NULLs, predicted_at
in the future and duplicate prediction ids."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest

from monitor.checks import CheckContext
from monitor.checks.commits import CommitsCheck
from monitor.checks.feature_defaults import FeatureDefaults
from monitor.checks.hit_rate_by_commit import HitRateByCommit
from monitor.checks.outcome_drift import NO_SENTINELS
from monitor.checks.vegas_coverage_trend import VegasCoverageTrend
from monitor.cli import main
from monitor.config import MonitorConfig
from monitor.demo.options import BROKEN_COMMIT
from monitor.model import Observation, Status
from monitor.report.strict_json import dumps
from monitor.validate import validate_daily
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import DEMO_OPTS
from tests.contract import ContractDB, D, features, ts

NOW = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
FAR_FUTURE = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


def daily(config: MonitorConfig) -> CheckContext:
    return CheckContext(as_of=NOW, config=config, mode="daily", target_date=D)


def pick(obs: list[Observation], metric: str, **labels: str) -> Observation:
    found = [o for o in obs if o.metric == metric
             and all(o.label(k) == v for k, v in labels.items())]
    assert len(found) == 1, f"{metric} {labels}: {found}"
    return found[0]


def strict_loads(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def outcome_rows(db: ContractDB) -> list[dict[str, Any]]:
    return db.wh.query("outcome_daily_by_commit", {"start_date": D, "end_date": D,
                                                   "as_of": NOW, **NO_SENTINELS})


# --- NaN / infinity --------------------------------------------------------------

def test_a_picks_margin_is_how_far_past_the_line_it_landed_on_its_side(
        db: ContractDB) -> None:
    db.graded(line=20.5, actual=25.0, correct=True)                 # OVER: +4.5
    db.graded(line=20.5, actual=18.0, correct=True, side="UNDER")   # UNDER: +2.5
    db.graded(line=20.5, actual=23.0, correct=False, side="UNDER")  # UNDER: -2.5
    db.graded(line=20.5, actual=30.0, correct=None)                 # PASS: no margin
    db.graded(line=math.nan, actual=30.0, correct=True)             # a pick, no margin
    db.graded(line=None, actual=30.0, correct=True)                 # a pick, no margin
    row, = outcome_rows(db)
    assert (row["picks"], row["hits"], row["margin_picks"]) == (5, 4, 3)
    assert row["sum_margin"] == pytest.approx(4.5)
    assert row["sum_sq_margin"] == pytest.approx(4.5**2 + 2 * 2.5**2)
    assert row["weighted_picks"] == 3  # the same picks carry a weighted margin
    assert row["invalid_rows"] == 1  # the NaN line: counted, as in hit_rate_by_commit


def test_the_edge_cusums_margin_is_standardized_and_weighted_by_the_claimed_edge(
        db: ContractDB) -> None:
    # OVER, line 16 (scatter 4): margin 4 -> z 1; claimed edge 8 -> weight 8 / 4 = 2.
    db.graded(predicted=24.0, line=16.0, actual=20.0, correct=True)
    # UNDER, line 9 (scatter 3): margin 6 -> z 2; claimed edge 1 -> weight 1 / 3.
    db.graded(predicted=8.0, line=9.0, actual=3.0, correct=True, side="UNDER")
    # A claimed edge of 40 on line 4 (scatter 2) weighs at most 3; it misses by 2 -> z -1.
    db.graded(predicted=44.0, line=4.0, actual=2.0, correct=False)
    db.graded(predicted=21.0, line=20.5, actual=30.0, correct=None)  # PASS: no weight
    row, = outcome_rows(db)
    mean_weight = (2 + 1 / 3 + 3) / 3  # each weight relative to the day's mean weight
    ys = [1 * 2 / mean_weight, 2 * (1 / 3) / mean_weight, -1 * 3 / mean_weight]
    assert row["weighted_picks"] == 3
    assert row["sum_weighted_margin"] == pytest.approx(sum(ys))
    assert row["sum_sq_weighted_margin"] == pytest.approx(sum(y * y for y in ys))
    assert row["sum_margin"] == pytest.approx(4 + 6 - 2)  # the points, as before


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_errors_are_left_out_of_statistics_and_counted(
        db: ContractDB, config: MonitorConfig, bad: float) -> None:
    for _ in range(10):
        db.graded(predicted=22.0, actual=25.0, correct=True)  # error 3 each
    db.graded(predicted=22.0, actual=bad, correct=False)
    obs = HitRateByCommit().measure(db.wh, daily(config))
    mae = pick(obs, "mae", window="7d")
    assert (mae.value, mae.sample_size) == (pytest.approx(3.0), 10)
    assert dict(mae.context)["invalid_rows"] == "1"
    # The row's pick still counts: only the numbers that are not numbers are left out.
    assert pick(obs, "hit_rate", window="7d").sample_size == 11
    direction = pick(obs, "direction_accuracy", window="7d")
    assert direction.sample_size == 10
    row, = outcome_rows(db)
    assert (row["graded"], row["invalid_rows"]) == (10, 1)
    assert row["sum_abs_error"] == pytest.approx(30.0)
    # The edge CUSUM's margin (OVER: actual - line) leaves the row out too.
    assert (row["picks"], row["margin_picks"]) == (11, 10)
    assert row["sum_margin"] == pytest.approx(10 * 4.5)
    assert row["sum_sq_margin"] == pytest.approx(10 * 4.5**2)


def test_non_finite_vegas_coverage_is_left_out_and_counted(db: ContractDB,
                                                           config: MonitorConfig) -> None:
    db.batch(pct_vegas=40.0)
    db.batch(pct_vegas=math.nan)
    db.batch(pct_vegas=math.inf)
    obs = VegasCoverageTrend().measure(db.wh, daily(config))
    coverage = pick(obs, "vegas_coverage")
    assert coverage.value == pytest.approx(0.40)
    assert dict(coverage.context)["invalid_batches"] == "2"


def test_json_output_is_strict_whatever_the_numbers() -> None:
    text = dumps({"value": math.nan, "interval": (-math.inf, math.inf), "n": [1.5, math.nan]})
    assert strict_loads(text) == {"value": None, "interval": [None, None], "n": [1.5, None]}


def test_validate_daily_json_is_strict_with_nan_rows(
        db: ContractDB, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(40):
        db.prediction()
    db.prediction(line=math.nan)
    db.batch(pct_vegas=math.nan)
    for i in range(30):
        db.graded(correct=i % 2 == 0, actual=25.0 if i % 2 == 0 else 18.0)
    db.graded(actual=math.nan)
    db.close()
    code = main(["validate-daily", "--warehouse", db.url, "--date", D.isoformat(),
                 "--format", "json"])
    report = strict_loads(capsys.readouterr().out)
    checks = {c["name"]: c for c in report["checks"]}
    assert code in (0, 1)
    assert all(c["status"] != "error" for c in checks.values())
    mae = next(o for o in checks["hit_rate_by_commit"]["observations"]
               if o["metric"] == "mae" and o["labels"]["window"] == "7d")
    assert (mae["sample_size"], mae["context"]["invalid_rows"]) == (30, "1")
    rows = next(o for o in checks["feature_defaults"]["observations"]
                if o["metric"] == "feature_rows")
    assert rows["context"]["invalid_rows"] == "1"


# --- wrong JSON types in critical_features ----------------------------------------

def test_wrong_json_types_are_malformed_numeric_strings_are_numbers(
        db: ContractDB, config: MonitorConfig) -> None:
    def cf(has: object) -> str:
        return json.dumps({"vegas_points_line": None, "has_vegas_line": has,
                           "ppm_avg_last_10": 0.71, "team_win_pct": 0.5,
                           "minutes_avg_last_10": 27.5})

    db.prediction(cf=features(20.5))     # healthy
    db.prediction(cf=cf("no"))           # a string that is not a number
    db.prediction(cf=cf(True))           # a boolean
    db.prediction(cf=cf({"v": 0.0}))     # an object
    db.prediction(cf=cf("0.0"))          # a numeric string: the number, a mismatch
    obs = FeatureDefaults().measure(db.wh, daily(config))
    mismatch = pick(obs, "mismatch_share")
    assert (mismatch.value, mismatch.sample_size) == (pytest.approx(0.5), 2)
    missing = pick(obs, "features_missing_share")
    assert (missing.value, missing.sample_size) == (pytest.approx(3 / 5), 5)
    assert dict(missing.context)["features_malformed"] == "3"


# --- aggregates over only NULLs ---------------------------------------------------

def test_a_slate_lacking_every_key_is_counted_not_a_crash(db: ContractDB,
                                                          config: MonitorConfig) -> None:
    for _ in range(3):
        db.prediction(cf="{}")
    obs = FeatureDefaults().measure(db.wh, daily(config))
    mismatch = pick(obs, "mismatch_share")
    assert (mismatch.value, mismatch.sample_size) == (None, 0)
    missing = pick(obs, "features_missing_share")
    assert (missing.value, dict(missing.context)["features_incomplete"]) == (1.0, "3")


def test_a_window_of_only_null_picks_is_no_evidence_not_a_crash(
        db: ContractDB, config: MonitorConfig) -> None:
    for _ in range(4):
        db.graded(correct=None)
    obs = HitRateByCommit().measure(db.wh, daily(config))
    hit = pick(obs, "hit_rate", window="7d")
    assert (hit.value, hit.sample_size, hit.interval) == (None, 0, None)
    assert pick(obs, "high_edge_hit_rate", window="7d").sample_size == 0
    row, = outcome_rows(db)
    assert (row["picks"], row["hits"]) == (0, 0)


# --- predicted_at in the future ---------------------------------------------------

def test_future_predictions_are_counted_and_reported(db: ContractDB,
                                                     config: MonitorConfig) -> None:
    db.prediction(cf=features(20.5))
    db.prediction(cf=features(None, has=0.0), predicted_at=FAR_FUTURE)
    obs = FeatureDefaults().measure(db.wh, daily(config))
    mismatch = pick(obs, "mismatch_share")
    # The future row is evidence, not hidden behind as_of.
    assert (mismatch.value, mismatch.sample_size) == (0.5, 2)
    assert dict(mismatch.context)["future_rows"] == "1"
    future = pick(CommitsCheck().measure(db.wh, daily(config)), "future_predictions")
    assert (future.value, future.sample_size) == (1.0, 2)
    assert dict(future.context)["latest_future_predicted_at"].startswith("2099-01-01")


def test_in_a_replay_rows_after_as_of_are_not_written_yet(db: ContractDB,
                                                          config: MonitorConfig) -> None:
    db.prediction(predicted_at=ts(D, 14))
    db.prediction(predicted_at=ts(D, 18))  # after the replay's as_of, before the clock
    ctx = CheckContext(as_of=ts(D, 16), config=config)
    obs = FeatureDefaults().measure(db.wh, ctx)
    assert pick(obs, "feature_rows", game_date=str(D)).value == 1
    future = pick(CommitsCheck().measure(db.wh, ctx), "future_predictions",
                  game_date=str(D))
    assert future.value == 0


# --- duplicate prediction ids -----------------------------------------------------

def test_duplicate_grades_count_once_and_the_latest_wins(db: ContractDB,
                                                         config: MonitorConfig) -> None:
    for _ in range(5):
        db.graded(correct=True)
    db.graded(correct=False, actual=18.0, graded_at=ts(D + dt.timedelta(days=1), 8))
    db.graded(correct=True, actual=25.0, graded_at=ts(D + dt.timedelta(days=1), 12))
    db.wh.connection.execute(
        "UPDATE nba_predictions.prediction_accuracy SET prediction_id = 'dup' "
        "WHERE graded_at != ?", [ts(D + dt.timedelta(days=1), 9)])
    hit = pick(HitRateByCommit().measure(db.wh, daily(config)), "hit_rate", window="7d")
    assert (hit.value, hit.sample_size) == (1.0, 6)
    assert dict(hit.context)["duplicate_rows"] == "1"
    row, = outcome_rows(db)
    assert (row["graded"], row["picks"], row["duplicate_rows"]) == (6, 6, 1)


def test_duplicate_predictions_count_once_and_are_reported(db: ContractDB,
                                                           config: MonitorConfig) -> None:
    db.prediction(cf=features(20.5))
    first = db.prediction(cf=features(None, has=0.0), predicted_at=ts(D, 14))
    db.wh.connection.execute(
        "INSERT INTO nba_predictions.player_prop_predictions "
        "SELECT * REPLACE (TIMESTAMPTZ '2026-01-09 16:00:00+00' AS predicted_at) "
        "FROM nba_predictions.player_prop_predictions WHERE prediction_id = ?", [first])
    obs = FeatureDefaults().measure(db.wh, daily(config))
    rows = pick(obs, "feature_rows")
    assert (rows.value, dict(rows.context)["duplicate_rows"]) == (2.0, "1")
    assert dict(rows.context)["last_predicted_at"].startswith("2026-01-09T16:00")
    dup = pick(CommitsCheck().measure(db.wh, daily(config)), "duplicate_predictions")
    assert (dup.value, dup.sample_size) == (1.0, 3)


# --- the incident still fails with every bad-row class mixed in -------------------

BAD_ROW_CLASSES = {
    "nan": ["UPDATE nba_predictions.player_prop_predictions SET line_value = 'NaN'::DOUBLE "
            "WHERE {broken} AND hash(prediction_id) % 10 = 0",
            "UPDATE nba_predictions.prediction_accuracy SET absolute_error = 'Infinity'::DOUBLE "
            "WHERE {broken} AND hash(prediction_id) % 10 = 0"],
    "wrong_type": ["UPDATE nba_predictions.player_prop_predictions SET critical_features = "
                   "json_object('vegas_points_line', NULL, 'has_vegas_line', 'no', "
                   "'ppm_avg_last_10', true, 'team_win_pct', 0.5) "
                   "WHERE {broken} AND hash(prediction_id) % 10 = 0"],
    "null_only": ["UPDATE nba_predictions.player_prop_predictions SET critical_features = '{{}}' "
                  "WHERE {broken} AND hash(prediction_id) % 10 = 0",
                  "UPDATE nba_predictions.prediction_accuracy SET prediction_correct = NULL "
                  "WHERE {broken} AND hash(prediction_id) % 10 = 0"],
    "future": ["UPDATE nba_predictions.player_prop_predictions SET predicted_at = "
               "TIMESTAMPTZ '2099-01-01 00:00:00+00' "
               "WHERE {broken} AND hash(prediction_id) % 10 = 0"],
    "duplicate": ["INSERT INTO nba_predictions.player_prop_predictions "
                  "SELECT * FROM nba_predictions.player_prop_predictions WHERE {broken}",
                  "INSERT INTO nba_predictions.prediction_accuracy "
                  "SELECT * FROM nba_predictions.prediction_accuracy WHERE {broken}"],
}
COUNTED = {"nan": "invalid_rows", "wrong_type": "features_malformed",
           "null_only": "features_incomplete", "future": "future_rows",
           "duplicate": "duplicate_rows"}


@pytest.mark.parametrize("kind", sorted(BAD_ROW_CLASSES))
def test_incident_still_fails_with_bad_rows_mixed_in(
        demo_path: Path, tmp_path: Path, config: MonitorConfig, kind: str) -> None:
    date = DEMO_OPTS.incident_start
    path = tmp_path / "bad.duckdb"
    path.write_bytes(demo_path.read_bytes())
    wh = DuckDBWarehouse(path)
    broken = f"build_commit_sha = '{BROKEN_COMMIT}' AND game_date = DATE '{date}'"
    for statement in BAD_ROW_CLASSES[kind]:
        wh.connection.execute(statement.format(broken=broken))
    try:
        report = validate_daily(wh, config, date, dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    finally:
        wh.close()
    results = {r.name: r for r in report.results}
    assert results["feature_defaults"].status is Status.FAIL
    assert BROKEN_COMMIT in results["feature_defaults"].summary
    counted = [int(dict(o.context)[COUNTED[kind]])
               for o in results["feature_defaults"].observations
               if o.metric == "feature_rows" and o.label("build_commit_sha") == BROKEN_COMMIT]
    assert counted and sum(counted) > 0
    assert all(r.status is not Status.ERROR for r in report.results)
    strict_loads(dumps(report.to_json()))
