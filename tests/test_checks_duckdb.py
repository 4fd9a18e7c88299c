"""Every check on hand-built contract rows whose answers are known exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.checks import CheckContext
from monitor.checks.feature_defaults import FeatureDefaults
from monitor.checks.hit_rate_by_commit import HitRateByCommit
from monitor.checks.vegas_coverage_trend import VegasCoverageTrend
from monitor.config import MonitorConfig
from monitor.model import Observation
from tests.contract import ContractDB, D, features, ts

NOW = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


def daily(config: MonitorConfig, day: dt.date = D) -> CheckContext:
    return CheckContext(as_of=NOW, config=config, mode="daily", target_date=day)


def pick(obs: list[Observation], metric: str, **labels: str) -> Observation:
    found = [o for o in obs if o.metric == metric
             and all(o.label(k) == v for k, v in labels.items())]
    assert len(found) == 1, f"{metric} {labels}: {found}"
    return found[0]


def test_hit_rate_counts_picks_pushes_and_unknown_commits(db: ContractDB,
                                                          config: MonitorConfig) -> None:
    # commit abc123: 3 hits, 1 miss, 1 PASS (NULL), 1 push (NULL)
    for correct in (True, True, True, False):
        db.graded(correct=correct, predicted=24.0, line=20.5,
                  actual=25.0 if correct else 18.0)
    db.graded(correct=None, predicted=21.0, line=20.5, actual=30.0)  # PASS
    db.graded(correct=None, predicted=23.0, line=21.0, actual=21.0)  # push
    # NULL and 'unknown' commits form one group; empty string too.
    db.graded(commit=None, correct=True)
    db.graded(commit="unknown", correct=False, actual=18.0)
    db.graded(commit="", correct=True)
    # Outside the 7-day window: ignored by 7d, counted by 28d.
    db.graded(day=D - dt.timedelta(days=10), correct=False, actual=10.0)
    obs = HitRateByCommit().measure(db.wh, daily(config))

    hr = pick(obs, "hit_rate", build_commit_sha="abc123", window="7d")
    assert (hr.value, hr.sample_size) == (0.75, 4)
    assert hr.interval == pytest.approx((0.3006, 0.9544), abs=1e-4)
    assert pick(obs, "mae", build_commit_sha="abc123", window="7d").value == \
        pytest.approx((1 + 1 + 1 + 6 + 9 + 2) / 6)
    assert pick(obs, "mae", build_commit_sha="abc123", window="7d").sample_size == 6
    # direction: pushes and the PASS row that missed direction count, pushes do not
    direction = pick(obs, "direction_accuracy", build_commit_sha="abc123", window="7d")
    assert (direction.value, direction.sample_size) == (0.8, 5)
    high_edge = pick(obs, "high_edge_hit_rate", build_commit_sha="abc123", window="7d")
    assert (high_edge.value, high_edge.sample_size) == (0.75, 4)
    unknown = pick(obs, "hit_rate", build_commit_sha="unknown", window="7d")
    assert (unknown.value, unknown.sample_size) == (pytest.approx(2 / 3), 3)
    assert pick(obs, "picks", build_commit_sha="abc123", window="28d").value == 5


def test_hit_rate_respects_as_of(db: ContractDB, config: MonitorConfig) -> None:
    db.graded(correct=True, graded_at=ts(D + dt.timedelta(days=1), 9))
    db.graded(correct=False, graded_at=ts(D + dt.timedelta(days=1), 11))
    # At 10:00 the night's grading is in progress (its last grade 60 min old): not
    # judged yet. At 10:45, 105 quiet minutes later, it has settled on what was there.
    ctx = CheckContext(as_of=ts(D + dt.timedelta(days=1), 10), config=config)
    assert HitRateByCommit().measure(db.wh, ctx) == []
    settled = ts(D + dt.timedelta(days=1), 10) + dt.timedelta(minutes=45)
    obs = HitRateByCommit().measure(db.wh, CheckContext(as_of=settled, config=config))
    assert pick(obs, "hit_rate", window="7d").sample_size == 1
    assert pick(obs, "hit_rate", window="commit").sample_size == 1
    # Before anything is graded the check has nothing: no observations, not ok.
    early = CheckContext(as_of=ts(D, 20), config=config)
    assert HitRateByCommit().measure(db.wh, early) == []


def test_predictions_never_graded_are_counted_beside_the_commit_hit_rate(
        db: ContractDB, config: MonitorConfig) -> None:
    from monitor.rules.evaluate import summarize

    db.graded(correct=True)
    db.graded(correct=False, actual=18.0)
    for _ in range(3):  # late scratches: predicted, active, never graded
        db.prediction()
    db.prediction(superseded=True)  # an earlier batch's row: not a prediction that counts
    db.prediction(commit="def456")  # another commit with no graded row: no hit rate
    obs = HitRateByCommit().measure(db.wh, daily(config))
    commit = pick(obs, "hit_rate", build_commit_sha="abc123", window="commit")
    assert (commit.value, commit.sample_size) == (0.5, 2)  # the hit rate ignores them
    assert dict(commit.context)["ungraded"] == "3"
    assert "ungraded" not in dict(pick(obs, "hit_rate", build_commit_sha="abc123",
                                       window="7d").context)
    assert "3 predictions never graded" in summarize([], obs)


def test_feature_defaults_counts_every_kind_of_bad_json(db: ContractDB,
                                                        config: MonitorConfig) -> None:
    db.prediction(cf=features(20.5))                       # healthy, with line
    db.prediction(cf=features(None, has=0.0), line=19.5)   # the seed's mismatch
    db.prediction(cf=features(None, has=0.0, ppm=0.4), line=19.5, superseded=True)
    db.prediction(cf=features(None, has=0.0), line=None)   # no line: not a mismatch
    db.prediction(cf="{not json")                          # malformed
    db.prediction(cf="null")                               # JSON null
    db.prediction(cf='"just a string"')                    # not an object
    db.prediction(cf='{"has_vegas_line": 1.0}')            # lacks keys
    db.wh.connection.execute(  # SQL NULL
        "INSERT INTO nba_predictions.player_prop_predictions (prediction_id, system_id, "
        "player_lookup, game_date, line_value, build_commit_sha, predicted_at) "
        "VALUES ('x', 'catboost_v8', 'px', ?, 20.5, 'abc123', ?)", [D, ts(D)])
    obs = FeatureDefaults().measure(db.wh, daily(config))
    mismatch = pick(obs, "mismatch_share", build_commit_sha="abc123")
    # rows with a line and a readable has_vegas_line: healthy, 2 mismatches, lacks-keys row
    assert (mismatch.value, mismatch.sample_size) == (pytest.approx(2 / 4), 4)
    ppm = pick(obs, "ppm_default_share")
    assert (ppm.value, ppm.sample_size) == (pytest.approx(1 / 4), 4)
    missing = pick(obs, "features_missing_share")
    assert missing.sample_size == 9
    assert missing.value == pytest.approx(5 / 9)
    ctx = dict(missing.context)
    assert (ctx["features_absent"], ctx["features_null"], ctx["features_malformed"],
            ctx["features_incomplete"]) == ("1", "1", "2", "1")


def test_feature_defaults_sentinels_come_from_config(db: ContractDB,
                                                     config: MonitorConfig) -> None:
    seed = {f.key: f.sentinel for f in config.features}
    # A worker whose defaults differ from the seed's: ppm 0.55, has_vegas_line -1.
    mine = {"ppm_avg_last_10": 0.55, "has_vegas_line": -1.0}
    assert (seed["ppm_avg_last_10"], seed["has_vegas_line"]) != (0.55, -1.0)
    changed = config.model_copy(update={"critical_features": [
        f.model_copy(update={"sentinel": mine[f.key]}) if f.key in mine else f
        for f in config.features]})
    for _ in range(3):
        db.prediction(cf=features(20.5, ppm=0.55))                    # configured default
    db.prediction(cf=features(20.5, ppm=seed["ppm_avg_last_10"]))   # the seed's default
    for _ in range(2):
        db.prediction(cf=features(None, has=-1.0), line=19.5)      # configured mismatch
    db.prediction(cf=features(None, has=seed["has_vegas_line"], ppm=0.9), line=19.5)

    configured = FeatureDefaults().measure(db.wh, daily(changed))
    ppm = pick(configured, "ppm_default_share")
    assert (ppm.value, ppm.sample_size) == (pytest.approx(3 / 7), 7)
    mismatch = pick(configured, "mismatch_share")
    assert (mismatch.value, mismatch.sample_size) == (pytest.approx(2 / 7), 7)

    as_seeded = FeatureDefaults().measure(db.wh, daily(config))
    ppm = pick(as_seeded, "ppm_default_share")
    assert (ppm.value, ppm.sample_size) == (pytest.approx(1 / 7), 7)
    mismatch = pick(as_seeded, "mismatch_share")
    assert (mismatch.value, mismatch.sample_size) == (pytest.approx(1 / 7), 7)


def test_feature_defaults_groups_null_commits_as_unknown(db: ContractDB,
                                                         config: MonitorConfig) -> None:
    db.prediction(commit=None)
    db.prediction(commit="unknown")
    db.prediction(commit="abc123")
    obs = FeatureDefaults().measure(db.wh, daily(config))
    assert pick(obs, "feature_rows", build_commit_sha="unknown").value == 2
    assert pick(obs, "feature_rows", build_commit_sha="abc123").value == 1


def test_vegas_coverage_weighted_with_baseline_and_failed_batches(
        db: ContractDB, config: MonitorConfig) -> None:
    for back in range(1, 8):  # baseline: 40% for 7 days
        db.batch(day=D - dt.timedelta(days=back), pct_vegas=40.0)
    db.batch(pct_vegas=30.0, predicted=100, requested=100)
    db.batch(pct_vegas=20.0, predicted=300, requested=320, status="partial")
    db.batch(pct_vegas=0.0, predicted=0, requested=300, status="failed")
    obs = VegasCoverageTrend().measure(db.wh, daily(config))
    cov = pick(obs, "vegas_coverage")
    assert cov.value == pytest.approx((30 * 100 + 20 * 300) / 400 / 100)
    assert cov.baseline == pytest.approx(0.40)
    assert cov.sample_size == 200  # one slate: 400 players over 2 batches
    assert pick(obs, "coverage_delta").value == pytest.approx(0.225 - 0.40)
    assert pick(obs, "failed_batches").value == 1
    assert pick(obs, "partial_batches").value == 1
    assert pick(obs, "players_predicted_ratio").value == pytest.approx(400 / 420)


def test_malformed_rows_never_fail_the_query(db: ContractDB, config: MonitorConfig) -> None:
    for text in ("{", "[1,2", "", "nul", "{\"a\": }"):
        db.prediction(cf=text)
    obs = FeatureDefaults().measure(db.wh, daily(config))
    assert dict(pick(obs, "features_missing_share").context)["features_malformed"] == "5"
