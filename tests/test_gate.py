"""The batch gate: the feature-default rules of alerts.yaml on a batch before it is
written — counted exactly as the warehouse query counts, blocking the demo's broken
batch and no batch of a clean season, light enough for the prediction worker."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from monitor.batch_verdict import batch_rows
from monitor.checks.feature_defaults import FEATURE_COUNTS, query_feature_defaults
from monitor.config import MonitorConfig, load_config
from monitor.demo.options import BROKEN_COMMIT, MAIN_SYSTEM, DemoOptions
from monitor.gate import MIN_ROWS, GateInputError, check_batch, feature_defaults_row
from monitor.provenance import BatchRecorder, DuckDBRowWriter
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import DEMO_OPTS
from tests.contract import ContractDB, D, features, fetch, ts

NOW = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
LOG_COLUMNS = ("execution_id, batch_id, system_id, game_date, build_commit_sha, "
               "feature_source_mode, status, error_message, players_predicted, "
               "execution_start_timestamp, execution_end_timestamp")


def healthy(n: int, line: float | None = 20.5) -> list[dict[str, Any]]:
    return [{"line_value": line, "critical_features": features(line)} for _ in range(n)]


def broken(n: int) -> list[dict[str, Any]]:
    """The seed's incident: a line, but has_vegas_line and ppm at their defaults."""
    return [{"line_value": 20.5, "critical_features": features(None, has=0.0, ppm=0.4)}
            for _ in range(n)]


def every_batch(path: Path, config: MonitorConfig) -> Iterator[tuple[dict[str, Any], Any]]:
    """Each execution-log batch of a demo file and the gate's verdict on its rows."""
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        cur = wh.connection.execute(
            f"SELECT {LOG_COLUMNS} FROM nba_predictions.prediction_execution_log "
            "ORDER BY execution_start_timestamp")
        names = [d[0] for d in cur.description]
        for values in cur.fetchall():
            batch = dict(zip(names, values, strict=True))
            yield batch, check_batch(batch_rows(wh, batch), config=config)
    finally:
        wh.close()


def test_the_demo_incident_is_blocked_at_its_first_broken_batch(
        demo_path: Path, config: MonitorConfig) -> None:
    verdicts = list(every_batch(demo_path, config))
    broken_batches = [(b, v) for b, v in verdicts if b["build_commit_sha"] == BROKEN_COMMIT]
    first, verdict = broken_batches[0]
    assert first["game_date"] == DEMO_OPTS.incident_start and first["system_id"] == MAIN_SYSTEM
    assert verdict.blocked and verdict.rows == first["players_predicted"]
    named = {r.feature: r for r in verdict.reasons if r.blocking}
    assert set(named) >= {"ppm_avg_last_10", "has_vegas_line"}
    mismatch = named["has_vegas_line"]
    assert mismatch.rule == "vegas_line_feature_mismatch" and mismatch.metric == "mismatch_share"
    assert mismatch.interval is not None and mismatch.interval[0] > 0.05
    assert mismatch.share is not None and mismatch.n > 30
    assert named["ppm_avg_last_10"].rule == "ppm_default_filled"
    assert "ppm_default_filled" in verdict.message and "vegas_line_feature_mismatch" in \
        verdict.message
    # Every broken batch with rows is blocked; no batch of another commit is.
    assert all(v.blocked for b, v in broken_batches if b["players_predicted"])
    assert [b["execution_id"] for b, v in verdicts
            if v.blocked and b["build_commit_sha"] != BROKEN_COMMIT] == []


@pytest.fixture(scope="module")
def clean_season(demo_warehouses: Callable[[str, DemoOptions], Path]) -> Path:
    return demo_warehouses("clean", replace(DEMO_OPTS, scenario="clean"))


def test_a_clean_demo_season_has_no_false_block(clean_season: Path,
                                                config: MonitorConfig) -> None:
    verdicts = list(every_batch(clean_season, config))
    assert len(verdicts) > 500
    assert [(b["execution_id"], v.message) for b, v in verdicts if v.blocked] == []
    # Its rows are there (a batch's rows are found through the execution log).
    judged = [v for b, v in verdicts if b["status"] != "failed"]
    assert all(v.rows >= MIN_ROWS for v in judged)


def test_a_small_batch_passes_and_says_it_is_too_small(config: MonitorConfig) -> None:
    verdict = check_batch(broken(MIN_ROWS - 1), config=config)
    assert not verdict.blocked and verdict.rows == MIN_ROWS - 1
    (reason,) = verdict.reasons
    assert "too small to judge" in reason.message and not reason.blocking
    assert check_batch(broken(MIN_ROWS + 30), config=config).blocked


def copies(rows: list[dict[str, Any]], ids: int) -> list[dict[str, Any]]:
    """The rows, their prediction_id cycling through `ids` values."""
    return [{**r, "prediction_id": f"p{i % ids}", "system_id": "catboost_v8",
             "predicted_at": ts(D) + dt.timedelta(seconds=i)} for i, r in enumerate(rows)]


def test_copies_of_a_prediction_do_not_make_a_batch_big_enough_and_many_block(
        config: MonitorConfig) -> None:
    # 60 rows, but 3 predictions written 20 times each: the query counts 3.
    verdict = check_batch(copies(broken(60), 3), config=config)
    assert verdict.blocked and verdict.rows == 60
    copied, small = verdict.reasons
    assert (small.rule, small.n, small.severity) == ("min_rows", 3, "info")
    assert small.message == ("too small to judge: 3 rows < 10 (57 more rows were copies of "
                             "a prediction_id)")
    # More copies than predictions is no batch to publish, whatever its size.
    assert (copied.rule, copied.severity, copied.n) == ("duplicate_prediction_ids",
                                                        "critical", 57)
    assert copied.message == ("duplicate_prediction_ids: 57 extra copies of a prediction_id "
                              "beside 3 distinct predictions: more copies than predictions "
                              "blocks")
    # 300 rows of one prediction: "too small to judge" alone would pass them.
    one = check_batch(copies(broken(300), 1), config=config)
    assert one.blocked and one.message.startswith(
        "blocked by the batch gate: duplicate_prediction_ids: 299 extra copies")


def test_a_copied_prediction_id_is_a_warning_that_passes(config: MonitorConfig) -> None:
    rows = copies(healthy(40), 40) + copies(healthy(3), 3)
    verdict = check_batch(rows, config=config)
    assert not verdict.blocked and verdict.rows == 43
    assert [(r.rule, r.severity, r.n) for r in verdict.reasons] == [
        ("duplicate_prediction_ids", "warning", 3)]
    # As many copies as predictions: still a warning.
    assert not check_batch(copies(healthy(40), 20), config=config).blocked


def nested_dict(depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for _ in range(depth):
        out = {"has_vegas_line": out}
    return out


LACKING = {
    "NULL": None, "JSON null": "null", "an empty object": "{}", "an empty mapping": {},
    "a number": 5, "a number in JSON": "5", "an array": "[1.0]", "malformed JSON": "{broken",
    "every key null": json.dumps(dict.fromkeys(
        ("has_vegas_line", "ppm_avg_last_10", "team_win_pct", "vegas_points_line"))),
    "every key of the wrong type": json.dumps({"has_vegas_line": "yes", "ppm_avg_last_10":
                                               [0.4], "team_win_pct": True}),
    "JSON nested 5,000 deep": '{"has_vegas_line": ' * 5000 + "1" + "}" * 5000,
    "an array nested 5,000 deep": "[" * 5000 + "]" * 5000,
}


@pytest.mark.parametrize("what", LACKING)
def test_a_batch_whose_rows_mostly_lack_the_critical_features_blocks(
        what: str, config: MonitorConfig) -> None:
    cell = LACKING[what]
    verdict = check_batch([{"line_value": 20.5, "critical_features": cell}
                           for _ in range(40)], config=config)
    assert verdict.blocked, what
    first = verdict.reasons[0]
    assert (first.rule, first.severity, first.n, first.share) == (
        "most_rows_lack_features", "critical", 40, 1.0)
    assert first.message.startswith("most_rows_lack_features: 40 of 40 rows (100.0%) hold "
                                    "no critical feature")
    # The alerts.yaml rule on the same rows stays what it is: a warning (where it
    # counts them: a key holding null is present to the query).
    assert {r.severity for r in verdict.reasons if r.rule == "critical_features_missing"
            } == (set() if what == "every key null" else {"warning"})
    # At any size: a batch of 5 such rows is not "too small" to block.
    small = check_batch([{"line_value": 20.5, "critical_features": cell}] * 5, config=config)
    assert small.blocked and [r.rule for r in small.reasons] == [
        "most_rows_lack_features", "min_rows"]


def test_a_mapping_nested_5000_deep_is_an_object_without_the_features(
        config: MonitorConfig) -> None:
    deep = nested_dict(5000)
    verdict = check_batch([{"line_value": 20.5, "critical_features": deep}] * 40,
                          config=config)
    assert verdict.blocked and verdict.reasons[0].rule == "most_rows_lack_features"


def test_half_the_rows_lacking_features_or_a_missing_key_alone_does_not_block(
        config: MonitorConfig) -> None:
    null = [{"line_value": 20.5, "critical_features": None}]
    assert not check_batch(null * 20 + healthy(20), config=config).blocked
    assert check_batch(null * 21 + healthy(20), config=config).blocked
    # Every row misses minutes_avg_last_10 and team_win_pct, but holds the others.
    partial = json.dumps({"vegas_points_line": 20.5, "has_vegas_line": 1.0,
                          "ppm_avg_last_10": 0.71})
    verdict = check_batch([{"line_value": 20.5, "critical_features": partial}] * 40,
                          config=config)
    assert not verdict.blocked
    assert "most_rows_lack_features" not in {r.rule for r in verdict.reasons}
    assert ("critical_features_missing", "warning") in [(r.rule, r.severity)
                                                        for r in verdict.reasons]


def test_a_rule_whose_sample_is_too_small_says_it_did_not_judge(
        config: MonitorConfig) -> None:
    """Between MIN_ROWS and the rules' min_sample a batch is not judged by them: it
    passes, and each rule says so rather than nothing."""
    verdict = check_batch(broken(20), config=config)
    assert not verdict.blocked and verdict.rows == 20
    assert all(r.severity == "info" and not r.blocking for r in verdict.reasons)
    by_rule = {(r.rule, r.feature): r for r in verdict.reasons}
    assert set(by_rule) == {
        ("vegas_line_feature_mismatch", "has_vegas_line"),
        ("ppm_default_filled", "ppm_avg_last_10"),
        ("critical_feature_out_of_range", "team_win_pct"),
        ("critical_features_missing", None)}
    mismatch = by_rule["vegas_line_feature_mismatch", "has_vegas_line"]
    assert mismatch.message == ("vegas_line_feature_mismatch: has_vegas_line mismatch_share "
                                "not judged: n=20 < min_sample 30") and mismatch.n == 20
    assert "not judged: n=20 < min_sample 30" in verdict.message
    # A rule with no row to judge (no prediction has a line) says so too, with n=0.
    no_line = check_batch(healthy(40, line=None), config=config)
    assert [r.message for r in no_line.reasons] == [
        "vegas_line_feature_mismatch: has_vegas_line mismatch_share not judged: "
        "n=0 < min_sample 30"]
    # From min_sample on, the rules judge: nothing to say of a healthy batch.
    assert check_batch(healthy(30), config=config).reasons == ()


def test_thresholds_and_samples_are_the_rules_own(config: MonitorConfig) -> None:
    mismatch = next(r for r in config.rules if r.name == "vegas_line_feature_mismatch")
    # Under min_sample the rule does not judge: 1 broken row in min_sample - 1 passes...
    assert not check_batch(broken(1) + healthy(mismatch.min_sample - 2), config=config).blocked
    # ...a clear majority of a full sample blocks...
    assert check_batch(broken(20) + healthy(20), config=config).blocked
    # ...and with the rule's threshold moved above it, the same batch passes.
    lenient = config.model_copy(update={"rules": [
        r.model_copy(update={"above": 0.9}) if r.metric in (
            "mismatch_share", "ppm_default_share") else r for r in config.rules]})
    assert not check_batch(broken(20) + healthy(20), config=lenient).blocked
    # A share whose interval still reaches below the threshold is not evidence.
    edge = broken(3) + healthy(37)  # 7.5% > 5%, but the interval's lower bound is not
    assert not check_batch(edge, config=config).blocked


def test_a_warning_rule_is_a_reason_that_lets_the_batch_pass(config: MonitorConfig) -> None:
    rows = healthy(40) + [{"line_value": 20.5, "critical_features": "{broken"}
                          for _ in range(30)]
    verdict = check_batch(rows, config=config)
    assert not verdict.blocked
    assert "most_rows_lack_features" not in {r.rule for r in verdict.reasons}
    assert ("critical_features_missing", "warning") in [(r.rule, r.severity)
                                                        for r in verdict.reasons]


def test_a_dataframe_gets_the_verdict_of_its_records(config: MonitorConfig) -> None:
    import pandas  # a dev dependency; the gate itself never imports it

    rows = broken(20) + healthy(20, line=None) + healthy(20)
    frame = pandas.DataFrame(rows)  # line_value None becomes NaN, as workers hold it
    from_frame = check_batch(frame, config=config)
    from_dicts = check_batch(rows, config=config)
    assert from_frame.blocked and from_frame == from_dicts
    assert from_frame.rows == 60
    # A line held as text (an object column) is the number it spells.
    as_text = frame.astype({"line_value": str}).replace({"line_value": {"nan": None}})
    assert check_batch(as_text, config=config) == from_dicts


def test_a_line_in_a_string_is_that_number_and_a_line_that_is_no_number_is_invalid(
        config: MonitorConfig) -> None:
    numeric = [{**r, "line_value": "20.5"} for r in broken(40)]
    assert check_batch(numeric, config=config) == check_batch(broken(40), config=config)
    counts = feature_defaults_row(
        [{"line_value": v, "critical_features": features(20.5, has=0.0)}
         for v in (" 20.5 ", "2e1", "abc", "", "nan", "1_0", True, [20.5], float("inf"),
                   None, 20.5)], config.features, now=NOW)
    # Like the query: a value that is not a finite number is invalid and no line; only
    # the numbers (" 20.5 ", "2e1", 20.5) are rows with a line for the mismatch rule.
    assert counts["invalid_rows"] == 7
    has_vegas_line = [f.key for f in config.features].index("has_vegas_line")
    assert counts[f"f{has_vegas_line}_eligible"] == 3
    assert counts[f"f{has_vegas_line}_at_sentinel"] == 3


@pytest.mark.parametrize(("rows", "error"), [
    pytest.param([{"vegas_line": 20.5, "critical_features": features()}] * 40,
                 "row 0 has no line_value column", id="renamed line column"),
    pytest.param([{"line_value": 20.5, "critical_features": features()}] * 40
                 + [{"line_value": 20.5}], "row 40 has no critical_features column",
                 id="a row without critical_features"),
    pytest.param([None] * 20, "row 0 is None, not a mapping", id="None rows"),
    pytest.param(healthy(30) + ["x"], "row 30 is str, not a mapping", id="a string row"),
    pytest.param(healthy(1)[0], "not dict", id="one row, not a list of rows"),
    pytest.param(None, "not None", id="None"),
    pytest.param([{**r, "predicted_at": "2026-01-09T15:00:00Z"} for r in healthy(40)],
                 "row 0: predicted_at is str, not a datetime", id="predicted_at text"),
    pytest.param([{**r, "prediction_id": "p1", "predicted_at": (
        dt.datetime(2026, 1, 9, 15) if i % 2 else ts(D))} for i, r in enumerate(healthy(40))],
                 "row 1: predicted_at is naive but row 0's is timezone-aware",
                 id="naive and aware predicted_at"),
    pytest.param([{**r, "prediction_id": [i]} for i, r in enumerate(healthy(40))],
                 "row 0: prediction_id is list, not a string or an integer",
                 id="unhashable prediction_id"),
    pytest.param([{**r, "system_id": {"x": 1}} for r in healthy(40)],
                 "row 0: system_id is dict, not a string or an integer", id="system_id dict"),
])
def test_rows_of_the_wrong_shape_are_a_loud_error(rows: Any, error: str,
                                                  config: MonitorConfig) -> None:
    with pytest.raises(GateInputError, match=error.replace("(", r"\(")) as raised:
        check_batch(rows, config=config)
    assert isinstance(raised.value, ValueError)


def test_a_dataframe_missing_a_column_is_a_loud_error(config: MonitorConfig) -> None:
    import pandas

    frame = pandas.DataFrame(broken(40))
    for column in ("line_value", "critical_features"):
        with pytest.raises(GateInputError, match=f"row 0 has no {column} column"):
            check_batch(frame.drop(columns=[column]), config=config)
    # Missing values are no error: NaN ids, NaT stamps, pandas' NA line are NULLs.
    nulls = frame.assign(prediction_id=float("nan"), predicted_at=pandas.NaT,
                         line_value=pandas.array([None] * 40, dtype="Float64"))
    verdict = check_batch(nulls, config=config)
    assert verdict.blocked and verdict.rows == 40  # 40 rows: no id makes them one
    assert [(r.rule, r.severity, r.n) for r in verdict.reasons] == [
        ("ppm_default_filled", "critical", 40),
        ("vegas_line_feature_mismatch", "info", 0)]  # NA is no line, not an error


def test_a_worker_bug_inside_a_batch_recorder_logs_the_batch_failed(
        tmp_path: Path, config: MonitorConfig) -> None:
    db = ContractDB(tmp_path / "w.duckdb")
    db.close()
    with pytest.raises(GateInputError), BatchRecorder(
            DuckDBRowWriter(str(db.path)), game_date=D, system_id="catboost_v8",
            players_requested=40, env={"BUILD_COMMIT": "abc123", "K_REVISION": "w-1"}) as batch:
        for record in broken(40):
            batch.add({"vegas_line": record["line_value"],
                       "critical_features": record["critical_features"]})
        check_batch(batch.predictions, config=config)
    (status, error), = fetch(
        db.path, "SELECT status, error_message FROM nba_predictions.prediction_execution_log")
    assert status == "failed" and error.startswith("GateInputError: row 0 has no line_value")


def test_without_a_config_the_gate_reads_the_file_the_commands_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: MonitorConfig) -> None:
    """./alerts.yaml of the working directory first (as the commands without --config),
    else the packaged one; a worker points elsewhere with config=load_config(path)."""
    lenient = Path(__file__).parents[1].joinpath("alerts.yaml").read_text().replace(
        "above: 0.05", "above: 0.95").replace("above: 0.10", "above: 0.95")
    monkeypatch.setattr("monitor.gate._config", None)  # the lazy load, not yet done
    monkeypatch.chdir(tmp_path)
    (tmp_path / "alerts.yaml").write_text(lenient)
    assert not check_batch(broken(40)).blocked
    assert check_batch(broken(40), config=load_config(Path(__file__).parents[1] /
                                                      "alerts.yaml")).blocked
    monkeypatch.setattr("monitor.gate._config", None)
    (tmp_path / "alerts.yaml").unlink()
    assert check_batch(broken(40)).blocked  # the packaged (or checkout's) alerts.yaml


def test_mappings_and_json_text_count_alike(config: MonitorConfig) -> None:
    rows = broken(20) + healthy(20)
    as_dicts = [{**r, "critical_features": json.loads(r["critical_features"])} for r in rows]
    assert check_batch(as_dicts, config=config) == check_batch(rows, config=config)


HOSTILE = [
    features(20.5), features(None, has=0.0), features(None, has=0.0, ppm=0.4),
    "{not json", "null", '"just a string"', "[1, 2]", '{"has_vegas_line": 1.0}',
    json.dumps({"has_vegas_line": "no", "ppm_avg_last_10": 0.4}),
    json.dumps({"has_vegas_line": True, "ppm_avg_last_10": "0.4", "team_win_pct": 1.5}),
    json.dumps({"has_vegas_line": None, "ppm_avg_last_10": {"x": 1}, "team_win_pct": -0.1,
                "minutes_avg_last_10": 0.0}),
    json.dumps({"has_vegas_line": "0.0", "ppm_avg_last_10": "nan", "team_win_pct": [0.5],
                "minutes_avg_last_10": 60.0}),
    '{"has_vegas_line": NaN, "ppm_avg_last_10": 0.4}',
    '{"has_vegas_line": 1e400, "ppm_avg_last_10": 0.4, "team_win_pct": 0.5, '
    '"minutes_avg_last_10": 20}',
    # A key written twice: the first value is the one read (DuckDB's reader and the gate).
    '{"has_vegas_line": 1.0, "has_vegas_line": 0.0, "ppm_avg_last_10": 0.4, '
    '"ppm_avg_last_10": 0.7, "team_win_pct": {"a": 1, "a": 2}}',
]


def test_the_gate_counts_what_the_warehouse_query_counts(db: ContractDB,
                                                         config: MonitorConfig) -> None:
    for i, cf in enumerate(HOSTILE):
        for line in (20.5, None, float("nan")):
            db.prediction(cf=cf, line=line, predicted_at=ts(D, 15) + dt.timedelta(seconds=i))
    db.prediction(cf=None, line=20.5)
    db.wh.connection.execute(  # SQL NULL critical_features, and a prediction written twice
        "INSERT INTO nba_predictions.player_prop_predictions (prediction_id, system_id, "
        "player_lookup, game_date, line_value, build_commit_sha, predicted_at, "
        "critical_features) VALUES ('x', 'catboost_v8', 'px', ?, 20.5, 'abc123', ?, NULL), "
        "('p1', 'catboost_v8', 'p1', ?, 20.5, 'abc123', ?, ?)",
        [D, ts(D), D, ts(D, 16), features(None, has=0.0, ppm=0.4)])
    (sql_row,) = query_feature_defaults(db.wh, config.features, D, D, NOW)
    records = db.wh.run_sql("rows", "SELECT * FROM player_prop_predictions", {})
    gate_row = feature_defaults_row(records, config.features, now=NOW)
    counted = ["feature_rows", "features_absent", "features_null", "features_malformed",
               "features_incomplete", "invalid_rows", "duplicate_rows", "future_rows",
               *(f"f{i}_{c}" for i in range(len(config.features))
                 for c in (*FEATURE_COUNTS[:1], "wrong_type", "eligible", "at_sentinel",
                           "out_of_range"))]
    assert {k: gate_row[k] for k in counted} == {k: int(sql_row[k]) for k in counted}
    assert gate_row["build_commit_sha"] == sql_row["build_commit_sha"] == "abc123"
    assert gate_row["first_predicted_at"] == sql_row["first_predicted_at"]
    # Both kinds of every count happen in the rows above: the comparison means something.
    assert all(gate_row[f"f{i}_{c}"] for i in (0, 1) for c in ("present", "wrong_type",
                                                                  "at_sentinel"))
    assert gate_row["features_malformed"] and gate_row["features_incomplete"]


def test_json_nested_past_the_parser_is_malformed_not_a_crash(config: MonitorConfig) -> None:
    # Python's parser gives up (RecursionError) long before this depth; BigQuery's JSON
    # type refuses past 500 levels, so no such row is ever written there.
    deep = '{"has_vegas_line": 0.0, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    counts = feature_defaults_row([{"line_value": 20.5, "critical_features": deep}] * 3
                                  + healthy(2), config.features, now=NOW)
    assert counts["feature_rows"] == 5 and counts["features_malformed"] == 3
    has_vegas_line = [f.key for f in config.features].index("has_vegas_line")
    assert counts[f"f{has_vegas_line}_at_sentinel"] == 0


def test_a_blocked_batch_is_logged_blocked_with_the_reasons(
        tmp_path: Path, config: MonitorConfig) -> None:
    db = ContractDB(tmp_path / "w.duckdb")
    db.close()
    writer = DuckDBRowWriter(str(db.path))
    env = {"BUILD_COMMIT": BROKEN_COMMIT, "K_REVISION": "worker-00007"}
    with BatchRecorder(writer, game_date=D, system_id="catboost_v8", players_requested=40,
                       feature_source_mode="backfill", env=env) as batch:
        for record in broken(40):
            batch.add(record)
        verdict = check_batch(batch.predictions, config=config)
        if verdict.blocked:
            batch.block(verdict)
    (status, error, predicted), = fetch(
        db.path, "SELECT status, error_message, players_predicted "
                 "FROM nba_predictions.prediction_execution_log")
    assert status == "blocked" and predicted == 40
    assert error == verdict.message and error.startswith("blocked by the batch gate: ")
    assert "vegas_line_feature_mismatch" in error and "ppm_avg_last_10" in error


def test_importing_the_gate_and_judging_a_batch_stays_light() -> None:
    code = ("import sys, json, monitor.gate as g; "
            "loaded_before = 'monitor.config' in sys.modules; "
            "rows = [{'line_value': 20.5, 'critical_features': json.dumps("
            "{'has_vegas_line': 0.0, 'ppm_avg_last_10': 0.4})}] * 40; "
            "v = g.check_batch(rows); "
            "heavy = sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in "
            "('pandas', 'google', 'duckdb', 'pyarrow', 'numpy', 'sqlglot', 'rich')}); "
            "print(loaded_before, v.blocked, heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False True []"
