"""pick_agreement: how often a commit's picks side with the players' recent form,
against the system's earlier commits — the pure test, its calibration by simulation,
and the query on rows whose answers are known exactly, on both warehouses."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from monitor.checks import CheckContext
from monitor.checks.pick_agreement import (
    METRIC,
    AgreementBaseline,
    PickAgreementCheck,
    SlateAgreement,
    agreement_observations,
)
from monitor.config import MonitorConfig, Sequential
from monitor.model import Observation
from monitor.rules.evaluate import FIRING, INSUFFICIENT, evaluate_rule
from monitor.stats import bernoulli_llr, cusum, cusum_threshold
from tests.contract import ContractDB, D, features, ts
from tests.fakes.bigquery_server import measured_both_ways, rounded

SETTINGS = Sequential()
START = dt.date(2026, 1, 1)


def slates(first: dt.date, days: int, picks: int, agreements: int,
           **extra: int) -> list[SlateAgreement]:
    return [SlateAgreement(first + dt.timedelta(days=i), picks, agreements, **extra)
            for i in range(days)]


def observe(by_commit: dict[str, list[SlateAgreement]],
            settings: Sequential = SETTINGS) -> dict[str, Observation]:
    latest = max(s.game_date for v in by_commit.values() for s in v)
    return {o.label("build_commit_sha"): o
            for o in agreement_observations("catboost_v8", by_commit, settings, latest)}


def rule(config: MonitorConfig) -> object:
    return next(r for r in config.rules if r.name == "pick_agreement_dropped")


def test_a_commit_picking_sides_at_random_fires_on_its_second_slate(
        config: MonitorConfig) -> None:
    """Baseline: 30 slates of 40 picks, 32 on the side of the player's form (80%). The
    new commit agrees on 20 of 40 (a coin): one slate adds at most max_day_share of h,
    so it takes two."""
    old = slates(START, 30, 40, 32)
    day1 = START + dt.timedelta(days=30)
    one = observe({"old": old, "new": slates(day1, 1, 40, 20)})["new"]
    assert one.value == pytest.approx(SETTINGS.max_day_share)
    assert evaluate_rule(rule(config), one).state == INSUFFICIENT  # 40 < min_sample
    two = observe({"old": old, "new": slates(day1, 2, 40, 20)})["new"]
    assert two.value >= 1.0 and two.sample_size == 80
    assert two.baseline == pytest.approx(0.8)
    facts = dict(two.context)
    assert facts["replaced_commit"] == "old" and facts["agreement"] == "0.500"
    p0 = 0.8 - math.sqrt(0.8 * 0.2 / 1200)
    assert facts["tested_from"] == f"{p0:.3f}" and facts["alternative"] == "0.500"
    assert facts["baseline_agreement"] == "0.800 over 1200 picks"
    assert two.interval is not None and two.interval[0] < 0.5 < two.interval[1]
    assert evaluate_rule(rule(config), two).state == FIRING


def test_the_value_is_the_capped_bernoulli_cusum_over_h() -> None:
    old = slates(START, 30, 40, 30)  # 75%
    new = [SlateAgreement(START + dt.timedelta(days=30), 40, 29),
           SlateAgreement(START + dt.timedelta(days=31), 40, 25),
           SlateAgreement(START + dt.timedelta(days=32), 40, 22)]
    obs = observe({"old": old, "new": new})["new"]
    h = cusum_threshold(SETTINGS.false_alarm_rate)
    p0 = 0.75 - math.sqrt(0.75 * 0.25 / 1200)
    expected = cusum([bernoulli_llr(40, a, p0, 0.5) for a in (29, 25, 22)],
                     h * SETTINGS.max_day_share) / h
    assert obs.value == pytest.approx(expected)
    assert 0 < obs.value < 1.0


def test_a_commit_agreeing_as_its_predecessors_did_stays_at_zero() -> None:
    obs = observe({"old": slates(START, 30, 40, 30),
                   "new": slates(START + dt.timedelta(days=30), 20, 40, 30)})["new"]
    assert obs.value == 0.0


def test_what_cannot_be_judged_says_why() -> None:
    thin = observe({"old": slates(START, 5, 40, 32),
                    "new": slates(START + dt.timedelta(days=5), 2, 40, 20)})["new"]
    assert thin.value is None and thin.sample_size == 80
    assert "baseline too small: 200 picks" in dict(thin.context)["not_judged"]
    coin = observe({"old": slates(START, 30, 40, 20),
                    "new": slates(START + dt.timedelta(days=30), 2, 40, 10)})["new"]
    assert coin.value is None and "no more than a coin" in dict(coin.context)["not_judged"]
    none = observe({"old": slates(START, 30, 40, 32),
                    "new": slates(START + dt.timedelta(days=30), 2, 0, 0,
                                  picks_without_reference=12)})["new"]
    assert none.value is None and dict(none.context)["not_judged"] == \
        "no picks with a reference yet"
    assert dict(none.context)["picks_without_reference"] == "24"
    # The first commit of all has no baseline: not judged, never healthy.
    assert observe({"only": slates(START, 3, 40, 30)})["only"].value is None


def test_a_commit_that_wrote_defaults_is_no_baseline_and_old_commits_are_not_watched() -> (
        None):
    good = slates(START, 30, 40, 32)
    broken = slates(START + dt.timedelta(days=30), 5, 40, 20, defaulted_rows=30,
                    latest_rows=100)
    fix = slates(START + dt.timedelta(days=40), 2, 40, 32)
    obs = observe({"good": good, "broken": broken, "fix": fix})
    assert sorted(obs) == ["fix"]  # the others served more than serving_days ago
    assert obs["fix"].baseline == pytest.approx(0.8)  # the broken days left out
    assert dict(obs["fix"].context)["replaced_commit"] == "broken"


def test_the_baseline_reaches_back_when_its_days_hold_too_few_picks() -> None:
    old = slates(START, 60, 20, 16)  # 20 picks a day: 21 days hold 420
    obs = observe({"old": old, "new": slates(START + dt.timedelta(days=60), 1, 40, 32)})
    base = dict(obs["new"].context)["baseline_from"]
    # 1600 picks need 80 days; the data holds 60, so it reaches baseline_max_days.
    assert base == str(START + dt.timedelta(days=60 - SETTINGS.baseline_max_days))
    assert obs["new"].value == 0.0 and obs["new"].baseline == pytest.approx(0.8)


def test_false_alarms_with_a_re_estimated_baseline_stay_under_alpha() -> None:
    """Calibration by simulation (seeded): a clean commit at the baseline's own true
    agreement (75%, 40 picks a slate), its baseline re-estimated from 1,600 picks,
    watched for 30 slates. Wald's bound (alpha = false_alarm_rate) assumes the baseline
    known; starting a standard error towards the alternative restores it."""
    rng = np.random.default_rng(26)
    runs, true_p, picks, days = 20_000, 0.75, 40, 30
    base = rng.binomial(1600, true_p, runs)
    daily = rng.binomial(picks, true_p, (runs, days))
    h = cusum_threshold(SETTINGS.false_alarm_rate)
    cap = h * SETTINGS.max_day_share
    fired = 0
    for b, row in zip(base, daily, strict=True):
        baseline = AgreementBaseline(1600, int(b), START)
        p0 = baseline.in_control()
        s = 0.0
        for agreed in row:
            s = max(0.0, s + min(bernoulli_llr(picks, int(agreed), p0, 0.5), cap))
            if s >= h:
                fired += 1
                break
    assert fired / runs <= SETTINGS.false_alarm_rate, fired


# --- the query, on rows whose answers are known --------------------------------------

def fill(db: ContractDB) -> None:
    """Players p0..p5 with graded history (their form), and today's picks on them."""
    history = {"p0": [30, 30, 30], "p1": [10, 10, 10], "p2": [30, 30, 30],
               "p3": [30, 30], "p4": [20, 20, 20], "p5": [30] * 3}
    for player, points in history.items():
        for back, pts in enumerate(points, start=1):
            day = D - dt.timedelta(days=back)
            db.graded(player=player, day=day, actual=float(pts), game_id=f"g{player}{back}")
    # p0's game graded for a second system counts once; one graded after as_of not at all.
    db.graded(player="p0", day=D - dt.timedelta(days=1), actual=30.0, game_id="gp01",
              system="other")
    db.graded(player="p1", day=D - dt.timedelta(days=4), actual=99.0, game_id="gp14",
              graded_at=ts(D, 23))
    # p5's games are older than reference_days: no form.
    for back in range(60, 63):
        db.graded(player="p6", day=D - dt.timedelta(days=back), actual=30.0,
                  game_id=f"gp6{back}")
    db.prediction(player="p0", line=20.5, rec="OVER", predicted=25.0)   # form 30: agrees
    db.prediction(player="p1", line=20.5, rec="OVER", predicted=25.0)   # form 10: disagrees
    db.prediction(player="p2", line=20.5, rec="UNDER", predicted=16.0)  # form 30: disagrees
    db.prediction(player="p3", line=20.5, rec="OVER", predicted=25.0)   # 2 games: no form
    db.prediction(player="p4", line=20.0, rec="OVER", predicted=25.0)   # form on the line
    db.prediction(player="p6", line=20.5, rec="OVER", predicted=25.0)   # too old: no form
    db.prediction(player="p7", line=20.5, rec="PASS", predicted=21.0)   # no pick
    db.prediction(player="p8", line=float("nan"), rec="OVER", predicted=25.0)  # invalid
    # p5: an earlier prediction disagreeing, replaced by one that agrees.
    db.prediction(player="p5", line=20.5, rec="UNDER", predicted=15.0, predicted_at=ts(D, 12))
    db.prediction(player="p5", line=20.5, rec="OVER", predicted=25.0)
    db.prediction(player="p9", line=20.5, rec="UNDER", predicted=15.0,
                  cf=features(20.5, ppm=0.4))  # a sentinel row


def measure(db: ContractDB, config: MonitorConfig) -> list[dict[str, object]]:
    rows = db.wh.query("pick_agreement_by_commit", {
        "start_date": D - dt.timedelta(days=2), "end_date": D, "as_of": ts(D, 20),
        "reference_games": 10, "min_reference_games": 3, "reference_days": 45,
        "vegas_sentinel": 0.0, "ppm_sentinel": 0.4})
    return [r for r in rows if r["game_date"] in (D, D.isoformat())]


def test_the_query_counts_sides_against_the_players_form(
        db: ContractDB, config: MonitorConfig) -> None:
    fill(db)
    (row,) = measure(db, config)
    assert row["build_commit_sha"] == "abc123"
    # Picks with a form: p0 (agrees), p1 (disagrees), p2 (disagrees), p5 (agrees).
    assert (row["picks"], row["agreements"]) == (4, 2)
    # p3 (two games), p4 (form on the line), p6 (games too old), p9 (no history).
    assert row["picks_without_reference"] == 4
    assert (row["invalid_rows"], row["defaulted_rows"], row["latest_rows"]) == (1, 1, 10)


def test_only_the_last_reference_games_make_the_form(db: ContractDB,
                                                     config: MonitorConfig) -> None:
    # Twelve games: the oldest two at 0 points, the last ten at 30; form 30 with 10
    # games (OVER 20.5 agrees), 25 with all twelve.
    for back in range(1, 13):
        db.graded(player="x", day=D - dt.timedelta(days=back),
                  actual=0.0 if back > 10 else 30.0, game_id=f"gx{back}")
    db.prediction(player="x", line=26.5, rec="OVER", predicted=30.0)
    (row,) = measure(db, config)
    assert (row["picks"], row["agreements"]) == (1, 1)


def test_the_check_reads_the_same_on_bigquery_as_on_duckdb(
        db: ContractDB, config: MonitorConfig) -> None:
    for back in range(1, 40):  # a baseline commit whose picks follow form, 30 a day
        day = D - dt.timedelta(days=back)
        for i in range(30):
            db.graded(player=f"q{i}", day=day, actual=30.0 if i % 2 else 10.0,
                      game_id=f"gq{i}{back}")
            if back < 35:  # 9 in 10 on the side of form
                follows = (i % 2 == 1) != (i % 10 == 0)
                db.prediction(player=f"q{i}", day=day, line=20.5, commit="old",
                              rec="OVER" if follows else "UNDER")
    for i in range(30):  # today, the new commit picks against form
        db.prediction(player=f"q{i}", line=20.5, commit="new",
                      rec="UNDER" if i % 2 else "OVER")
    db.close()
    ctx = CheckContext(as_of=ts(D, 20), config=config)
    via_duckdb, via_bigquery = measured_both_ways(db.path, PickAgreementCheck(), ctx)
    assert rounded(via_bigquery) == rounded(via_duckdb)
    new = next(o for o in via_duckdb if o.label("build_commit_sha") == "new")
    assert new.metric == METRIC and new.sample_size == 30
    assert new.baseline == pytest.approx(0.9, abs=0.01)
    assert new.value == pytest.approx(SETTINGS.max_day_share)  # one slate: capped
