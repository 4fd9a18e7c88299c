"""prediction_edge: how far a slate's predictions stand from the Vegas line against the
system's trailing baseline, on rows whose answers are known exactly, on both
warehouses."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from monitor.checks import CheckContext
from monitor.checks.prediction_edge import PredictionEdge, edge_observations
from monitor.config import MonitorConfig
from monitor.model import Observation
from monitor.rules.evaluate import FIRING, INSUFFICIENT, evaluate_rule
from tests.contract import ContractDB, D, features, ts
from tests.fakes.bigquery_server import measured_both_ways, rounded


def row(**values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "system_id": "catboost_v8", "game_date": D, "build_commit_sha": "abc123",
        "lined_rows": 4, "invalid_rows": 0,
        "sum_abs_edge": 4.0, "sum_sq_edge": 5.0, "baseline_rows": 400,
        "baseline_sum_abs_edge": 1000.0, "baseline_sum_sq_edge": 3000.0, "baseline_days": 12}
    return base | values


def by_metric(observations: list[Observation]) -> dict[str, Observation]:
    return {o.metric: o for o in observations}


def test_the_ratio_is_the_slate_mean_over_the_baseline_mean_with_its_interval() -> None:
    # |e| = 0.5, 0.5, 1.5, 1.5: mean 1, e² sums to 5, sample sd √(1/3)
    obs = by_metric(edge_observations(row(), min_baseline_rows=200))
    edge, ratio = obs["prediction_edge"], obs["prediction_edge_ratio"]
    assert (edge.value, edge.sample_size, edge.baseline) == (1.0, 4, 2.5)
    half = 1.96 * math.sqrt(1 / 3) / 2
    assert edge.interval == pytest.approx((1 - half, 1 + half), abs=1e-3)
    assert ratio.value == pytest.approx(0.4)
    # The baseline's own spread widens it: sample variance (3000 - 1000²/400) / 399.
    base_var = (3000 - 1000**2 / 400) / 399
    half = 1.96 * math.sqrt((1 / 3) / 4 + 0.4**2 * base_var / 400) / 2.5
    assert ratio.interval == pytest.approx((0.4 - half, 0.4 + half), abs=1e-3)
    assert dict(ratio.context)["baseline_edge"].startswith("2.50 points over 400")


def test_a_thin_or_flat_baseline_is_not_judged() -> None:
    thin = by_metric(edge_observations(row(baseline_rows=150), min_baseline_rows=200))
    assert thin["prediction_edge_ratio"].value is None
    assert "fewer than 200" in dict(thin["prediction_edge_ratio"].context)["not_judged"]
    assert thin["prediction_edge"].value == 1.0  # the slate's own mean is still reported
    flat = by_metric(edge_observations(row(baseline_sum_abs_edge=0.0), min_baseline_rows=200))
    assert flat["prediction_edge_ratio"].value is None
    assert "on the line" in dict(flat["prediction_edge_ratio"].context)["not_judged"]
    empty = by_metric(edge_observations(row(lined_rows=0, sum_abs_edge=None,
                                            sum_sq_edge=None), min_baseline_rows=200))
    assert empty["prediction_edge"].value is None and empty["prediction_edge_ratio"].value is None
    one = by_metric(edge_observations(row(lined_rows=1, sum_abs_edge=2.0, sum_sq_edge=4.0),
                                      min_baseline_rows=200))
    assert one["prediction_edge_ratio"].value == pytest.approx(0.8)
    assert one["prediction_edge_ratio"].interval is None  # one value has no spread
    assert dict(one["prediction_edge"].context)["edge"] == \
        "2.00 points (sd n/a) over 1 lined predictions"


def fill_slates(db: ContractDB, today_edge: float) -> None:
    """Five baseline days of 50 lined predictions 3 points off the line (either side),
    and today's slate of 60 at `today_edge`, besides rows that must not count."""
    for back in range(1, 6):
        day = D - dt.timedelta(days=back)
        for i in range(50):
            db.prediction(day=day, line=20.5, predicted=20.5 + (3.0 if i % 2 else -3.0))
    for i in range(60):
        db.prediction(line=20.5, predicted=20.5 + (today_edge if i % 2 else -today_edge),
                      player=f"today_{i}")
    # Earlier predictions of the same players with a wide edge: only the latest counts.
    for i in range(60):
        db.prediction(line=20.5, predicted=30.0, player=f"today_{i}",
                      predicted_at=ts(D, 12))
    db.prediction(line=None, predicted=40.0)              # no line: no edge
    # A player whose latest prediction lost its line: no edge, not the older one's.
    db.prediction(line=20.5, predicted=35.0, player="lost_line", predicted_at=ts(D, 12))
    db.prediction(line=None, predicted=22.0, player="lost_line")
    db.prediction(line=float("nan"), predicted=20.0)      # a bad line: counted, not used
    db.prediction(line=20.5, predicted=40.0, predicted_at=ts(D, 23))  # after as_of


def measure(db: ContractDB, config: MonitorConfig) -> dict[str, Observation]:
    ctx = CheckContext(as_of=ts(D, 20), config=config, mode="daily", target_date=D)
    return by_metric(PredictionEdge().measure(db.wh, ctx))


def test_a_slate_that_hugs_the_line_fires_before_any_grading(
        db: ContractDB, config: MonitorConfig) -> None:
    fill_slates(db, today_edge=1.0)
    obs = measure(db, config)
    edge, ratio = obs["prediction_edge"], obs["prediction_edge_ratio"]
    assert (edge.value, edge.sample_size, edge.baseline) == (1.0, 60, 3.0)
    assert ratio.value == pytest.approx(1 / 3)
    assert dict(ratio.context)["invalid_rows"] == "1"
    assert "250 lined predictions, 5 game days" in dict(ratio.context)["baseline_edge"]
    rule = next(r for r in config.rules if r.name == "prediction_edge_collapsed")
    assert evaluate_rule(rule, ratio).state == FIRING


def test_a_slate_as_far_from_the_line_as_its_baseline_is_clear(
        db: ContractDB, config: MonitorConfig) -> None:
    fill_slates(db, today_edge=3.0)
    ratio = measure(db, config)["prediction_edge_ratio"]
    assert ratio.value == pytest.approx(1.0)
    rule = next(r for r in config.rules if r.name == "prediction_edge_collapsed")
    assert evaluate_rule(rule, ratio).state != FIRING


def test_a_slate_served_by_two_commits_is_judged_per_commit_against_one_baseline(
        db: ContractDB, config: MonitorConfig) -> None:
    """A hot-fix deployed mid-slate: the broken commit's predictions hug the line, the
    fixed one's do not. Each is its own observation, named by its commit, so the alert
    names the commit that broke; the baseline is the system's, whatever served it."""
    for back in range(1, 6):
        for i in range(50):
            db.prediction(day=D - dt.timedelta(days=back), line=20.5,
                          predicted=20.5 + (3.0 if i % 2 else -3.0), commit="old")
    for i in range(60):
        db.prediction(line=20.5, predicted=20.5 + (1.0 if i % 2 else -1.0), commit="bad",
                      player=f"early_{i}")
        db.prediction(line=20.5, predicted=20.5 + (3.0 if i % 2 else -3.0), commit="fixed",
                      player=f"late_{i}")
    # A player first predicted by the broken commit, then again by the fixed one: only
    # the latest prediction counts, for the commit that made it.
    db.prediction(line=20.5, predicted=21.0, commit="bad", player="both",
                  predicted_at=ts(D, 12))
    db.prediction(line=20.5, predicted=23.5, commit="fixed", player="both")
    db.prediction(line=20.5, predicted=20.0, commit=None)  # no commit: 'unknown'
    ctx = CheckContext(as_of=ts(D, 20), config=config, mode="daily", target_date=D)
    ratios = {o.label("build_commit_sha"): o
              for o in PredictionEdge().measure(db.wh, ctx)
              if o.metric == "prediction_edge_ratio" and o.label("game_date") == D.isoformat()}
    assert sorted(ratios) == ["bad", "fixed", "unknown"]
    assert (ratios["bad"].sample_size, ratios["fixed"].sample_size,
            ratios["unknown"].sample_size) == (60, 61, 1)
    assert ratios["bad"].value == pytest.approx(1 / 3)
    assert ratios["fixed"].value == pytest.approx(1.0)
    for o in ratios.values():
        assert "250 lined predictions, 5 game days" in dict(o.context)["baseline_edge"]
    rule = next(r for r in config.rules if r.name == "prediction_edge_collapsed")
    assert rule.group_by == ["system_id", "build_commit_sha"]
    assert [c for c, o in sorted(ratios.items())
            if evaluate_rule(rule, o).state == FIRING] == ["bad"]
    # One observation, too few predictions to judge: never an alert on its own.
    assert evaluate_rule(rule, ratios["unknown"]).state == INSUFFICIENT


def test_bigquery_reads_the_same_edges_as_duckdb(db: ContractDB, config: MonitorConfig) -> None:
    """The real BigQuery client against the REST fake (which runs the job's SQL on
    DuckDB): the parameters' types and the rows' round trip, in both modes. It cannot
    see a BigQuery-only dialect difference; tests/partition_pruning.py and
    test_sql_dialect.py look at the SQL itself."""
    fill_slates(db, today_edge=1.0)
    db.close()
    for ctx in (CheckContext(as_of=ts(D, 20), config=config, mode="daily", target_date=D),
                CheckContext(as_of=ts(D, 20), config=config)):
        via_duckdb, via_bigquery = measured_both_ways(db.path, PredictionEdge(), ctx)
        assert any(o.metric == "prediction_edge_ratio" and o.value for o in via_duckdb)
        assert rounded(via_bigquery) == rounded(via_duckdb)


def test_a_small_slate_never_fires_however_close_to_the_line(config: MonitorConfig) -> None:
    rule = next(r for r in config.rules if r.name == "prediction_edge_collapsed")
    small = by_metric(edge_observations(row(lined_rows=rule.min_sample - 1,
                                            sum_abs_edge=0.1, sum_sq_edge=0.01),
                                        min_baseline_rows=200))["prediction_edge_ratio"]
    assert small.value is not None and small.value < 0.01
    assert evaluate_rule(rule, small).state == INSUFFICIENT


def test_days_of_a_commit_that_wrote_defaults_are_no_baseline(
        db: ContractDB, config: MonitorConfig) -> None:
    """After a broken stretch the fix is not measured against the broken rows: their
    predictions stood anywhere from the line (a default-filled ppm_avg_last_10), and a
    healthy slate measured against them would look collapsed."""
    for back in range(1, 6):  # healthy days, 3 points off the line
        for i in range(50):
            db.prediction(day=D - dt.timedelta(days=back), line=20.5, commit="good",
                          predicted=20.5 + (3.0 if i % 2 else -3.0))
    for back in range(6, 9):  # the broken commit's days: 9 points off, ppm at 0.4
        for i in range(100):
            db.prediction(day=D - dt.timedelta(days=back), line=20.5, commit="broken",
                          predicted=20.5 + (9.0 if i % 2 else -9.0),
                          cf=features(20.5, ppm=0.4))
    for i in range(60):  # the fix: as far from the line as the healthy days
        db.prediction(line=20.5, predicted=20.5 + (3.0 if i % 2 else -3.0), commit="fix",
                      player=f"today_{i}")
    obs = measure(db, config)
    edge, ratio = obs["prediction_edge"], obs["prediction_edge_ratio"]
    assert edge.baseline == pytest.approx(3.0) and ratio.value == pytest.approx(1.0)
    assert "250 lined predictions, 5 game days" in dict(ratio.context)["baseline_edge"]
    rule = next(r for r in config.rules if r.name == "prediction_edge_collapsed")
    assert evaluate_rule(rule, ratio).state != FIRING
