"""Critical features from configuration: strict config, SQL generated on the AST for
both dialects, per-feature counts on DuckDB and through the BigQuery REST fake, and
validate-daily judging a feature added to alerts.yaml and nothing else."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.checks import CheckContext
from monitor.checks.feature_defaults import FeatureDefaults
from monitor.cli import main
from monitor.config import ConfigError, parse_config
from monitor.model import Observation
from monitor.queries import load_query
from monitor.warehouse.sql_dialect import expand_features, statement_text, to_duckdb
from tests.contract import ContractDB, D, features
from tests.fakes.bigquery_server import (
    measured_both_ways,
)

ROOT = Path(__file__).resolve().parent.parent
ALERTS = (ROOT / "alerts.yaml").read_text()
NOW = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


def with_features(block: str) -> str:
    """alerts.yaml with its critical_features block replaced by `block`."""
    start = ALERTS.index("critical_features:\n")
    end = ALERTS.index("\nsettings:\n")
    return ALERTS[:start] + block.rstrip("\n") + "\n" + ALERTS[end:]


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "alerts.yaml")
    return [f"{loc}: {msg}" for loc, msg in err.value.problems]


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


# --- configuration --------------------------------------------------------------

def test_the_shipped_block_is_read_in_order_with_sentinels_ranges_and_when() -> None:
    config = parse_config(ALERTS, "alerts.yaml")
    got = {f.key: (f.sentinel, f.when, f.range) for f in config.features}
    assert list(got)[:3] == ["ppm_avg_last_10", "has_vegas_line", "team_win_pct"]
    assert got["has_vegas_line"] == (0.0, "line_present", None)
    assert got["ppm_avg_last_10"] == (0.4, None, None)
    assert got["team_win_pct"] == (None, None, (0.0, 1.0))


@pytest.mark.parametrize("key", ["ppm'); DROP TABLE x; --", "a.b", "has vegas", "9lives",
                                 "$.x", "k\"", "", "ppm_avg_last_10\n"])
def test_an_unsafe_key_is_a_config_error_with_file_and_line(key: str) -> None:
    text = with_features(f"critical_features:\n  - key: {json.dumps(key)}\n    sentinel: 0.0\n")
    (problem,) = problems(text)
    assert problem.startswith(f"alerts.yaml:{line_of(text, '- key:')}:")
    assert "critical_features.0.key" in problem and "not a safe JSON member name" in problem


def test_duplicate_keys_bad_ranges_and_unknown_fields_are_each_reported() -> None:
    text = with_features("critical_features:\n"
                         "  - key: ppm_avg_last_10\n    sentinel: 0.4\n"
                         "  - key: ppm_avg_last_10\n    range: [1.0, 0.0]\n"
                         "  - key: rest_days\n    sentinal: 0.0\n"
                         "  - key: has_vegas_line\n    when: always\n")
    found = "\n".join(problems(text))
    assert "critical_features.1.range" in found and "low is above high" in found
    assert "critical_features.2.sentinal: unknown key" in found
    assert "critical_features.3.when" in found


def test_a_duplicate_key_names_its_line() -> None:
    text = with_features("critical_features:\n  - key: has_vegas_line\n    sentinel: 0.0\n"
                         "  - key: has_vegas_line\n    sentinel: 1.0\n")
    (problem,) = [p for p in problems(text) if "duplicate" in p]
    second = text.index("- key: has_vegas_line", text.index("- key: has_vegas_line") + 1)
    assert problem.startswith(f"alerts.yaml:{text[:second].count(chr(10)) + 1}:")
    assert "duplicate key 'has_vegas_line'" in problem


def test_an_empty_critical_features_block_is_an_error_not_the_seed_defaults() -> None:
    text = with_features("critical_features:\n")
    (problem,) = problems(text)
    assert problem.startswith(f"alerts.yaml:{line_of(text, 'critical_features:')}:")
    assert "critical_features: empty" in problem


def test_a_boolean_sentinel_or_range_is_an_error() -> None:
    text = with_features("critical_features:\n  - key: ppm_avg_last_10\n    sentinel: 0.4\n"
                         "  - key: has_vegas_line\n    sentinel: false\n"
                         "    when: line_present\n  - key: starter\n    range: [false, true]\n")
    found = "\n".join(problems(text))
    assert "critical_features.1.sentinel" in found and "not true/false" in found
    assert "critical_features.2.range" in found


def test_feature_rules_that_could_never_fire_are_errors() -> None:
    # The seed's mismatch without `when: line_present` counts rows with no line,
    # where 0.0 is right; ppm_default_share with no ppm sentinel reads 0% forever.
    text = with_features("critical_features:\n  - key: ppm_avg_last_10\n    range: [0, 3]\n"
                         "  - key: has_vegas_line\n    sentinel: 0.0\n"
                         "  - key: team_win_pct\n    range: [0.0, 1.0]\n")
    text += ("  - name: win_pct_default\n    metric: sentinel_share\n"
             "    above: 0.1\n    severity: warning\n    group_by: [system_id]\n"
             "    only: {feature: team_win_pct}\n")
    found = problems(text)
    assert any("critical_features.1: has_vegas_line with a sentinel is the line/flag "
               "mismatch" in p and "needs `when: line_present`" in p for p in found)
    assert any("ppm_default_share counts ppm_avg_last_10 at its sentinel" in p
               for p in found)
    metric_line = text[:text.index("metric:", text.index("name: win_pct_default"))].count(
        "\n") + 1
    (win_pct,) = [p for p in found if "'team_win_pct' has none" in p]
    assert win_pct.startswith(f"alerts.yaml:{metric_line}:")
    assert "sentinel_share needs a sentinel" in win_pct and "could never fire" in win_pct


def test_a_rule_on_a_feature_that_is_not_configured_is_an_error() -> None:
    text = ALERTS + ("  - name: rest_days_default\n    metric: sentinel_share\n"
                     "    above: 0.1\n    severity: warning\n    group_by: [system_id]\n"
                     "    only: {feature: rest_days}\n")
    (problem,) = problems(text)
    assert "'rest_days' is not a configured critical feature" in problem
    assert problem.startswith(f"alerts.yaml:{line_of(text, 'only: {feature: rest_days}')}:")


def test_settings_sentinels_still_work_and_check_config_says_how_to_rewrite_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = ALERTS.index("critical_features:\n")
    legacy = (ALERTS[:start] + ALERTS[ALERTS.index("\nsettings:\n"):]).replace(
        "settings:\n", "settings:\n  sentinels:\n    has_vegas_line: -1.0\n"
                       "    ppm_avg_last_10: 0.35\n", 1)
    config = parse_config(legacy, "alerts.yaml")
    assert {f.key: (f.sentinel, f.when) for f in config.features} == {
        "ppm_avg_last_10": (0.35, None), "has_vegas_line": (-1.0, "line_present")}
    path = tmp_path / "alerts.yaml"
    path.write_text(legacy)
    assert main(["check-config", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    hint = out[out.index("critical_features:\n"):]
    assert "settings.sentinels is read as critical_features" in out
    # The printed block, pasted in place of settings.sentinels, says the same thing.
    rewritten = parse_config(with_features(hint), "alerts.yaml")
    assert rewritten.features == config.features
    both = with_features(hint).replace("settings:\n", "settings:\n  sentinels: {}\n", 1)
    assert any("not both" in p for p in problems(both))


# --- the generated SQL, as strings, for both dialects ---------------------------

KEYS = ("ppm_avg_last_10", "has_vegas_line")


def test_generated_bigquery_sql_has_each_key_as_a_json_path_and_its_own_parameters() -> None:
    sql = expand_features(load_query("feature_defaults"), KEYS)
    assert "JSON_VALUE(critical_features, '$.ppm_avg_last_10')" in sql
    assert "JSON_QUERY(critical_features, '$.has_vegas_line')" in sql
    for i in range(2):
        for name in ("present", "wrong_type", "eligible", "at_sentinel", "out_of_range"):
            assert f" AS f{i}_{name}" in sql
        assert f"@f{i}_sentinel" in sql and f"@f{i}_line_only" in sql
    assert "fx_" not in sql and "@fx" not in sql and "ANY_FEATURE" not in sql
    # Row-level flags OR the features together.
    assert re.search(r"COALESCE\(\(\(f0_wrong\) OR \(f1_wrong\)\), FALSE\) AS wrong_type", sql)
    # One scan, however many features.
    assert len(re.findall(r"\bFROM player_prop_predictions\b", sql)) == 1


def test_generated_duckdb_sql_uses_guarded_json_functions_and_dollar_parameters() -> None:
    (sql,) = to_duckdb(expand_features(load_query("feature_defaults"), KEYS), "nba_predictions")
    assert ("CASE WHEN JSON_VALID(critical_features) THEN "
            "JSON_EXTRACT_STRING(critical_features, '$.ppm_avg_last_10') END") in sql
    assert "$f1_sentinel" in sql and "$f0_has_range" in sql and "@" not in sql
    assert sql.count("FROM nba_predictions.player_prop_predictions") == 1


def test_twenty_features_still_one_scan() -> None:
    keys = tuple(f"feature_{i}" for i in range(20))
    sql = expand_features(load_query("feature_defaults"), keys)
    assert len(re.findall(r"\bFROM player_prop_predictions\b", sql)) == 1
    assert "'$.feature_19'" in sql and "@f19_sentinel" in sql


def test_an_unsafe_key_never_reaches_sql_even_past_the_config() -> None:
    with pytest.raises(ValueError, match="unsafe critical feature key"):
        statement_text(load_query("feature_defaults"), {"feature_keys": ("a') OR 1=1 --",)})


def test_without_keys_the_file_runs_as_written_for_its_placeholder() -> None:
    sql = statement_text(load_query("feature_defaults"), {})
    assert "'$.fx'" in sql and "ANY_FEATURE" not in sql and "@fx_sentinel" in sql


# --- per-feature counts on DuckDB and through BigQuery's REST API ----------------

BLOCK = ("critical_features:\n"
         "  - key: ppm_avg_last_10\n    sentinel: 0.4\n"
         "  - key: has_vegas_line\n    sentinel: 0.0\n    when: line_present\n"
         "  - key: team_win_pct\n    range: [0.0, 1.0]\n"
         "  - key: minutes_avg_last_10\n    sentinel: 0.0\n    range: [0.0, 48.0]\n")


def cf(**values: object) -> str:
    base: dict[str, object] = {"vegas_points_line": 20.5, "has_vegas_line": 1.0,
                               "ppm_avg_last_10": 0.7, "team_win_pct": 0.5,
                               "minutes_avg_last_10": 30.0}
    base.update(values)
    return json.dumps({k: v for k, v in base.items() if v is not ...})


def fill(db: ContractDB) -> None:
    db.prediction(cf=cf())                                        # healthy
    db.prediction(cf=cf(minutes_avg_last_10=0.0))               # at sentinel
    db.prediction(cf=cf(minutes_avg_last_10=0.0), line=None)    # at sentinel, no line
    db.prediction(cf=cf(minutes_avg_last_10="fast"))              # wrong type
    db.prediction(cf=cf(minutes_avg_last_10=...))                 # key absent
    db.prediction(cf=cf(minutes_avg_last_10=None))                # JSON null
    db.prediction(cf=cf(team_win_pct=1.4, minutes_avg_last_10=50.0))  # out of range
    db.prediction(cf=cf(has_vegas_line=0.0))                      # mismatch
    db.prediction(cf=cf(has_vegas_line=0.0), line=None)           # no line: not judged
    db.prediction(cf="null")                                      # no features at all


def feature_obs(observations: list[Observation], feature: str) -> dict[str, float | None]:
    return {o.metric: o.value for o in observations
            if dict(o.labels).get("feature") == feature and o.metric != "feature_absent"}


def test_a_key_no_row_carried_is_one_warning_not_a_missing_share_per_commit(
        db: ContractDB) -> None:
    from monitor.rules.evaluate import FIRING, evaluate_check

    for commit in ("aaa", "bbb"):  # the contract's four keys only
        for _ in range(3):
            db.prediction(cf=cf(minutes_avg_last_10=...), commit=commit)
    config = parse_config(with_features(BLOCK), "alerts.yaml")
    check = FeatureDefaults()
    obs = check.measure(db.wh, CheckContext(NOW, config, "daily", D))
    absent = {o.label("feature"): o.value for o in obs if o.metric == "feature_absent"}
    assert absent == {"ppm_avg_last_10": 0.0, "has_vegas_line": 0.0, "team_win_pct": 0.0,
                      "minutes_avg_last_10": 1.0}
    assert {o.value for o in obs if o.metric == "features_missing_share"} == {0.0}
    result = evaluate_check(check.name, check.metrics, obs,
                            config.rules_for(set(check.metrics)), "empty")
    firing = [(f.rule, f.observation.label("feature")) for f in result.findings
              if f.state == FIRING]
    assert firing == [("critical_feature_absent", "minutes_avg_last_10")]
    # A key some row carried is counted as before: a commit that drops it is missing it.
    db.prediction(cf=cf(), commit="aaa")
    obs = check.measure(db.wh, CheckContext(NOW, config, "daily", D))
    assert {o.value for o in obs if o.metric == "feature_absent"} == {0.0}
    missing = {o.label("build_commit_sha"): o.value for o in obs
               if o.metric == "features_missing_share"}
    assert missing == {"aaa": pytest.approx(3 / 4), "bbb": 1.0}


def test_each_feature_is_counted_with_a_feature_label(db: ContractDB) -> None:
    fill(db)
    config = parse_config(with_features(BLOCK), "alerts.yaml")
    obs = FeatureDefaults().measure(db.wh, CheckContext(NOW, config, "daily", D))
    opp = feature_obs(obs, "minutes_avg_last_10")
    assert opp == {"feature_present": 6, "feature_missing": 3, "feature_wrong_type": 1,
                   "feature_at_sentinel": 2, "feature_out_of_range": 1,
                   "sentinel_share": pytest.approx(2 / 6),
                   "out_of_range_share": pytest.approx(1 / 6)}
    vegas = feature_obs(obs, "has_vegas_line")
    # when: line_present — the two rows without a line are not judged
    assert vegas["sentinel_share"] == pytest.approx(1 / 7)
    assert vegas["feature_at_sentinel"] == 1 and "out_of_range_share" not in vegas
    assert feature_obs(obs, "team_win_pct")["out_of_range_share"] == pytest.approx(1 / 9)
    assert "sentinel_share" not in feature_obs(obs, "team_win_pct")
    # The seed's metrics are the same numbers under their old names and labels.
    seed = {o.metric: o for o in obs if "feature" not in dict(o.labels)}
    assert seed["mismatch_share"].value == vegas["sentinel_share"]
    assert seed["ppm_default_share"].value == 0.0
    assert dict(seed["mismatch_share"].labels).keys() == {"system_id", "game_date",
                                                           "build_commit_sha"}
    # A wrong JSON type still makes its row malformed, as before.
    assert dict(seed["feature_rows"].context)["features_malformed"] == "1"


@pytest.fixture
def filled(db: ContractDB) -> Iterator[ContractDB]:
    fill(db)
    db.close()
    yield db


def test_the_same_feature_observations_through_bigquery(filled: ContractDB) -> None:
    config = parse_config(with_features(BLOCK), "alerts.yaml")
    ctx = CheckContext(NOW, config, "daily", D)
    via_duckdb, via_bigquery = measured_both_ways(filled.path, FeatureDefaults(), ctx)
    assert via_bigquery == via_duckdb
    assert feature_obs(via_bigquery, "minutes_avg_last_10")["feature_wrong_type"] == 1


# --- acceptance: a feature added to alerts.yaml and nothing else ------------------

def test_adding_a_feature_makes_validate_daily_fail_naming_it_and_the_commit(
        db: ContractDB, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def with_rest(rest: float) -> str:
        return json.dumps({**json.loads(features(20.5)), "rest_days": rest})

    for _ in range(40):
        db.prediction(cf=with_rest(2.0))
    for i in range(40):  # another commit writes the default 0.0 in most of its rows
        db.prediction(commit="bad999", cf=with_rest(0.0 if i % 8 else 1.0))
    db.batch()
    for i in range(40):
        db.graded(correct=i < 18, actual=25.0 if i < 18 else 18.0)
    db.close()

    def validate(config_text: str) -> tuple[int, str]:
        path = tmp_path / "alerts.yaml"
        path.write_text(config_text)
        code = main(["validate-daily", "--warehouse", db.url, "--date", D.isoformat(),
                     "--config", str(path)])
        return code, capsys.readouterr().out

    code, out = validate(ALERTS)
    assert code == 0, out
    added = ALERTS.replace("critical_features:\n", "critical_features:\n"
                           "  - key: rest_days\n    sentinel: 0.0\n", 1)
    code, out = validate(added)
    assert code == 1
    failing = [line for line in out.splitlines() if "rest_days" in line]
    assert any("bad999" in line and "critical_feature_default_filled" in line
               for line in failing), out
    assert not any("abc123" in line for line in failing)
    assert validate(ALERTS)[0] == 0


def test_check_config_with_a_warehouse_names_a_key_no_row_carries(
        db: ContractDB, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    today = dt.datetime.now(dt.UTC).date()
    for _ in range(3):
        db.prediction(cf=cf(minutes_avg_last_10=...), day=today,
                      predicted_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    db.close()
    config = tmp_path / "alerts.yaml"
    config.write_text(with_features(BLOCK))
    assert main(["check-config", "--config", str(config), "--warehouse", db.url]) == 0
    out = capsys.readouterr().out
    assert "critical feature absent: minutes_avg_last_10" in out
    assert "critical feature absent: team_win_pct" not in out
