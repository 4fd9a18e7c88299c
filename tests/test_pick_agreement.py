"""pick_agreement: how often a commit's picks side with the players' recent form,
against the system's earlier commits — the pure test, its calibration by simulation,
and the query on rows whose answers are known exactly, on both warehouses."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from pydantic import ValidationError

from monitor.checks import CheckContext
from monitor.checks.pick_agreement import (
    BASELINE_Z,
    METRIC,
    PickAgreementCheck,
    SlateAgreement,
    agreement_observations,
    baseline_of,
)
from monitor.config import MonitorConfig, PickAgreement, Rule, Sequential
from monitor.model import Observation
from monitor.rules.evaluate import FIRING, INSUFFICIENT, evaluate_rule
from monitor.stats import cusum_gaussian_mean, cusum_threshold
from tests.contract import ContractDB, D, features, ts
from tests.fakes.bigquery_server import measured_both_ways, rounded

SETTINGS = Sequential()
START = dt.date(2026, 1, 1)


def slates(first: dt.date, days: int, picks: int, agreements: int, *, over: int | None = None,
           above: float = 0.5, **extra: object) -> list[SlateAgreement]:
    """`days` slates of `picks` picks with a form, `agreements` of them on the form's
    side; `over` of them OVER (half by default); forms above the line on `above` of the
    slate's 100 lined players."""
    return [SlateAgreement(first + dt.timedelta(days=i), picks, agreements,
                           picks // 2 if over is None else over, 100, round(100 * above),
                           **extra)  # type: ignore[arg-type]
            for i in range(days)]


def observe(by_commit: dict[str, list[SlateAgreement]],
            settings: Sequential = SETTINGS) -> dict[str, Observation]:
    latest = max(s.game_date for v in by_commit.values() for s in v)
    return {o.label("build_commit_sha"): o
            for o in agreement_observations("catboost_v8", by_commit, settings, latest)}


def rule(config: MonitorConfig) -> Rule:
    return next(r for r in config.rules if r.name == "pick_agreement_dropped")


def test_a_commit_picking_sides_by_chance_fires_on_its_second_slate(
        config: MonitorConfig) -> None:
    """Baseline: 30 slates of 40 picks, 32 on the side of the player's form (80%; chance
    is half with forms above the line on half the slate). The new commit agrees on 20
    of 40: chance alone. One slate adds at most max_day_share of h, so it takes two."""
    old = slates(START, 30, 40, 32)
    day1 = START + dt.timedelta(days=30)
    one = observe({"old": old, "new": slates(day1, 1, 40, 20)})["new"]
    assert one.value == pytest.approx(SETTINGS.max_day_share)
    assert evaluate_rule(rule(config), one).state == INSUFFICIENT  # 40 < min_sample
    two = observe({"old": old, "new": slates(day1, 2, 40, 20)})["new"]
    assert two.value is not None and two.value >= 1.0 and two.sample_size == 80
    assert two.baseline == pytest.approx(0.8)
    facts = dict(two.context)
    assert facts["replaced_commit"] == "old" and facts["agreement"] == "0.500"
    assert facts["beyond_chance"] == "+0.000"
    # Identical slates scatter less than the binomial: its 0.4 a pick is the floor.
    m0 = 0.3 - BASELINE_Z * 0.4 / math.sqrt(1200)
    assert facts["tested_from"] == f"{m0:+.3f}" and facts["alternative"] == "+0.000"
    assert facts["baseline_agreement"] == "0.800 (+0.300 beyond chance) over 1200 picks"
    assert two.interval is not None and two.interval[0] < 0.5 < two.interval[1]
    assert evaluate_rule(rule(config), two).state == FIRING


def test_the_value_is_the_capped_gaussian_cusum_of_excess_agreement_over_h() -> None:
    # Baseline slates that scatter: 26, 30 and 34 agreements of 40, ten of each.
    old = [s for i, a in enumerate((26, 30, 34))
           for s in slates(START + dt.timedelta(days=10 * i), 10, 40, a)]
    new = [SlateAgreement(START + dt.timedelta(days=30 + i), 40, a, 20, 100, 50)
           for i, a in enumerate((29, 25, 22))]
    obs = observe({"old": old, "new": new})["new"]
    h = cusum_threshold(SETTINGS.false_alarm_rate)
    scatter = (10 * 4**2 * 2) / 1200  # slate excesses 6, 10, 14 about 10
    sigma = math.sqrt(max(scatter, 0.75 * 0.25))
    m0 = 10 / 40 - BASELINE_Z * sigma / math.sqrt(1200)
    expected = cusum_gaussian_mean([(40, 29 - 20), (40, 25 - 20), (40, 22 - 20)], m0,
                                   sigma, 0.0, h * SETTINGS.max_day_share) / h
    assert obs.value == pytest.approx(expected)
    assert obs.value is not None and 0 < obs.value < 1.0


def test_chance_is_the_sides_mix_against_the_forms_not_a_coin() -> None:
    """Forms above the line for 70% of the slate's players. The baseline picks OVER on
    32 of 40 and agrees on 35 (chance 32 x 0.7 + 8 x 0.3 = 24.8): +0.255 a pick. A
    fixed commit picks OVER on 20 and agrees on 30 (chance 20): the same lean, no
    alarm, though its raw agreement fell from 87.5% to 75%. A commit without
    information keeping the OVER lean agrees on 25 (62.5%, well above a coin): chance,
    and it fires."""
    old = slates(START, 30, 40, 35, over=32, above=0.7)
    day = START + dt.timedelta(days=30)
    fixed = observe({"old": old, "new": slates(day, 5, 40, 30, over=20, above=0.7)})["new"]
    assert fixed.value == 0.0
    assert dict(fixed.context)["beyond_chance"] == "+0.250"
    blind = observe({"old": old, "new": slates(day, 2, 40, 25, over=32, above=0.7)})["new"]
    assert blind.value is not None and blind.value >= 1.0
    assert dict(blind.context)["agreement"] == "0.625"
    assert SlateAgreement(day, 40, 25, 32, 100, 70).chance == pytest.approx(24.8)
    assert SlateAgreement(day, 40, 25, 32, 0, 0).chance == 20  # no forms: a coin


def test_a_commit_agreeing_as_its_predecessors_did_stays_at_zero() -> None:
    obs = observe({"old": slates(START, 30, 40, 30),
                   "new": slates(START + dt.timedelta(days=30), 20, 40, 30)})["new"]
    assert obs.value == 0.0


def test_what_cannot_be_judged_says_why() -> None:
    thin = observe({"old": slates(START, 5, 40, 32),
                    "new": slates(START + dt.timedelta(days=5), 2, 40, 20)})["new"]
    assert thin.value is None and thin.sample_size == 80
    assert "baseline too small: 200 picks" in dict(thin.context)["not_judged"]
    coin = observe({"old": slates(START, 30, 40, 21),
                    "new": slates(START + dt.timedelta(days=30), 2, 40, 10)})["new"]
    assert coin.value is None and "no more than chance" in dict(coin.context)["not_judged"]
    none = observe({"old": slates(START, 30, 40, 32),
                    "new": slates(START + dt.timedelta(days=30), 2, 0, 0,
                                  picks_without_reference=12)})["new"]
    assert none.value is None and dict(none.context)["not_judged"] == \
        "no picks with a reference yet"
    assert dict(none.context)["picks_without_reference"] == "24"
    # The first commit of all has no baseline: not judged, never healthy.
    assert observe({"only": slates(START, 3, 40, 30)})["only"].value is None


def test_a_slate_that_wrote_defaults_is_no_baseline_and_old_commits_are_not_watched() -> (
        None):
    good = slates(START, 30, 40, 32)
    # A commit whose last five slates wrote defaults, at chance; its first ten are good.
    mixed = (slates(START + dt.timedelta(days=30), 10, 40, 32)
             + slates(START + dt.timedelta(days=40), 5, 40, 20, defaulted_rows=30,
                      latest_rows=100))
    fix = slates(START + dt.timedelta(days=50), 2, 40, 32)
    obs = observe({"good": good, "mixed": mixed, "fix": fix})
    assert sorted(obs) == ["fix"]  # the others served more than serving_days ago
    assert obs["fix"].baseline == pytest.approx(0.8)  # the defaulted slates left out
    assert dict(obs["fix"].context)["baseline_agreement"].endswith("over 1600 picks")
    assert dict(obs["fix"].context)["replaced_commit"] == "mixed"


def test_commits_of_one_day_are_ordered_by_when_they_first_predicted() -> None:
    day = START + dt.timedelta(days=30)
    early = slates(day, 2, 40, 20, first_predicted_at=dt.datetime(2026, 1, 31, 13, tzinfo=dt.UTC))
    late = slates(day, 2, 40, 32, first_predicted_at=dt.datetime(2026, 1, 31, 17, tzinfo=dt.UTC))
    # "a..." sorts before "z..." by name; the hot-fix deployed later comes after.
    obs = observe({"old": slates(START, 30, 40, 32), "zzz-bad": early, "aaa-fix": late})
    assert dict(obs["aaa-fix"].context)["replaced_commit"] == "zzz-bad"
    assert dict(obs["zzz-bad"].context)["replaced_commit"] == "old"


def test_the_baseline_reaches_back_when_its_days_hold_too_few_picks() -> None:
    old = slates(START, 60, 20, 16)  # 20 picks a day: 21 days hold 420
    obs = observe({"old": old, "new": slates(START + dt.timedelta(days=60), 1, 40, 32)})
    facts = dict(obs["new"].context)
    # 1600 picks need 80 days; the data holds 60: it reaches back to baseline_max_days
    # and takes all 60, from the first.
    assert facts["baseline_from"] == str(START)
    assert facts["baseline_agreement"].endswith("over 1200 picks")
    assert obs["new"].value == 0.0 and obs["new"].baseline == pytest.approx(0.8)


def test_a_form_needs_more_games_than_it_reads_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="no player would ever have a form"):
        PickAgreement(reference_games=3, min_reference_games=5)


def simulate(rng: np.random.Generator, runs: int, agree: float, base_picks: int,
             watched: int, swing: float) -> np.ndarray:
    """Clean commits, vectorized: slates of 10-70 picks at a true agreement `agree`
    (chance a half), each slate's lean swinging by N(0, swing); the baseline's lean and
    spread re-estimated as baseline_of does; the capped CUSUM after every slate.
    Returns which runs fired."""
    lean = agree - 0.5
    h = cusum_threshold(SETTINGS.false_alarm_rate)

    def draw(k: int) -> tuple[np.ndarray, np.ndarray]:
        n = rng.integers(10, 71, (runs, k))
        p = np.clip(agree + rng.normal(0, swing, (runs, k)), 0.01, 0.99)
        return n, rng.binomial(n, p) - n / 2  # excess over chance
    bn, bx = draw(max(base_picks // 40, 2))
    picks = bn.sum(1)
    m = bx.sum(1) / picks
    rate = (bx.sum(1) + picks / 2) / picks
    sigma = np.sqrt(np.maximum(((bx - bn * m[:, None]) ** 2).sum(1) / picks,
                               np.maximum(rate * (1 - rate), 1e-6)))
    m0 = m - BASELINE_Z * sigma / np.sqrt(picks)
    wn, wx = draw(watched)
    s = np.zeros(runs)
    fired = np.zeros(runs, bool)
    for t in range(watched):
        llr = -m0 / sigma**2 * (wx[:, t] - wn[:, t] * m0 / 2)
        s = np.maximum(0.0, s + np.minimum(llr, h * SETTINGS.max_day_share))
        fired |= s >= h
    assert lean > 0
    return fired & (m0 > 0)


def test_false_alarms_with_a_re_estimated_baseline_stay_rare() -> None:
    """Calibration by simulation (seeded): clean commits watched for 60 slates against
    a baseline re-estimated from 800 picks, for a model that leans on form much (85%
    agreement, the real-season benchmark's) and little (60%), the first also with
    slates whose lean swings by 5 points. The CUSUM's h = ln(1/alpha) assumes the
    baseline known; BASELINE_Z standard errors of shift restore about that rate."""
    rng = np.random.default_rng(26)
    alpha = SETTINGS.false_alarm_rate
    assert simulate(rng, 20_000, 0.85, 800, 60, 0.0).mean() <= alpha
    assert simulate(rng, 20_000, 0.60, 800, 60, 0.0).mean() <= alpha
    assert simulate(rng, 20_000, 0.85, 800, 60, 0.05).mean() <= 2 * alpha


def test_the_simulation_is_the_check_s_own_test() -> None:
    """The vectorized simulation above against agreement_observations at every look,
    on runs drawn to sit near the threshold: they fire at the same looks."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        base = [SlateAgreement(START + dt.timedelta(days=i), int(n), int(a), int(n) // 2,
                               100, 50)
                for i, (n, a) in enumerate(
                    (n, rng.binomial(n, 0.7)) for n in rng.integers(10, 71, 30))]
        new = [SlateAgreement(START + dt.timedelta(days=30 + i), int(n), int(a), int(n) // 2,
                              100, 50)
               for i, (n, a) in enumerate(
                   (n, rng.binomial(n, 0.6)) for n in rng.integers(10, 71, 10))]
        b = baseline_of(base, START)
        m0 = b.in_control()
        h = cusum_threshold(SETTINGS.false_alarm_rate)
        s = 0.0
        for t in range(len(new)):
            x = new[t]
            llr = -m0 / b.sigma**2 * (x.excess - x.picks * m0 / 2)
            s = max(0.0, s + min(llr, h * SETTINGS.max_day_share))
            obs = observe({"old": base, "new": new[:t + 1]})["new"]
            assert obs.value == pytest.approx(s / h)


# --- the query, on rows whose answers are known --------------------------------------

def fill(db: ContractDB) -> None:
    """Players with graded history (their form), and today's predictions on them."""
    history = {"p0": [30, 30, 30], "p1": [10, 10, 10], "p2": [30, 30, 30],
               "p3": [30, 30], "p4": [20, 20, 20], "p5": [30] * 3, "p7": [10] * 3,
               "p10": [None, 10, 10, 10]}
    for player, points in history.items():
        for back, pts in enumerate(points, start=1):
            if pts is not None:
                db.graded(player=player, day=D - dt.timedelta(days=back), actual=float(pts),
                          game_id=f"g{player}{back}")
    # p0's game of D-1 graded for another system, earlier, at 0 points: one game, the
    # latest grade's points (a double count, or the older grade, would put the form
    # under p0's line of 25.5).
    db.graded(player="p0", day=D - dt.timedelta(days=1), actual=0.0, game_id="gp01",
              system="other", graded_at=ts(D, 8))
    # Graded after as_of: never in a form.
    db.graded(player="p1", day=D - dt.timedelta(days=4), actual=99.0, game_id="gp14",
              graded_at=ts(D, 23))
    # Graded after the pick was made (15:00), before the cycle: not in the pick's form.
    db.graded(player="p10", day=D - dt.timedelta(days=1), actual=100.0, game_id="gp101",
              graded_at=ts(D, 16))
    # Games without a game_id: three games, not one.
    for back in range(1, 4):
        db.graded(player="p11", day=D - dt.timedelta(days=back), actual=30.0,
                  null_game_id=True)
    # p6's games are older than reference_days: no form.
    for back in range(60, 63):
        db.graded(player="p6", day=D - dt.timedelta(days=back), actual=30.0,
                  game_id=f"gp6{back}")
    db.prediction(player="p0", line=25.5, rec="OVER", predicted=28.0)   # form 30: agrees
    db.prediction(player="p1", line=20.5, rec="OVER", predicted=25.0)   # form 10: disagrees
    db.prediction(player="p2", line=20.5, rec="UNDER", predicted=16.0)  # form 30: disagrees
    db.prediction(player="p3", line=20.5, rec="OVER", predicted=25.0)   # 2 games: no form
    db.prediction(player="p4", line=20.0, rec="OVER", predicted=25.0)   # form on the line
    db.prediction(player="p6", line=20.5, rec="OVER", predicted=25.0)   # too old: no form
    db.prediction(player="p7", line=20.5, rec="PASS", predicted=21.0)   # no pick, form below
    db.prediction(player="p8", line=float("nan"), rec="OVER", predicted=25.0)  # invalid
    db.prediction(player="p10", line=20.5, rec="OVER", predicted=25.0)  # form 10: disagrees
    db.prediction(player="p11", line=20.5, rec="OVER", predicted=25.0)  # form 30: agrees
    db.prediction(player="p12", line=None, rec="OVER", predicted=25.0)  # no line
    # p5: an earlier prediction disagreeing, replaced by one that agrees.
    db.prediction(player="p5", line=20.5, rec="UNDER", predicted=15.0, predicted_at=ts(D, 12))
    db.prediction(player="p5", line=20.5, rec="OVER", predicted=25.0)
    db.prediction(player="p9", line=20.5, rec="UNDER", predicted=15.0,
                  cf=features(20.5, ppm=0.4))  # a sentinel row, no history


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
    # Picks with a form: p0, p5, p11 agree; p1, p2, p10 do not; p2 alone is UNDER.
    assert (row["picks"], row["agreements"], row["over_picks"]) == (6, 3, 5)
    # Lined predictions with a form: the six picks and p7's PASS; above the line: p0,
    # p2, p5, p11.
    assert (row["lined_with_form"], row["form_above"]) == (7, 4)
    # p3 (two games), p4 (form on the line), p6 (games too old), p9 (no history), p12
    # (no line).
    assert row["picks_without_reference"] == 5
    assert (row["invalid_rows"], row["defaulted_rows"], row["latest_rows"]) == (1, 1, 13)
    assert row["first_predicted_at"] is not None


def test_a_re_grade_after_the_pick_is_not_in_its_form(db: ContractDB,
                                                      config: MonitorConfig) -> None:
    """Three games at 10 points graded on time; the last re-graded at 16:00 to 100 (a
    stat correction), after the 15:00 pick. The pick saw a form of 10: its UNDER agrees.
    A later pick sees the correction: a form of 40, its UNDER disagrees."""
    for back in range(1, 4):
        db.graded(player="r", day=D - dt.timedelta(days=back), actual=10.0,
                  game_id=f"gr{back}")
    db.graded(player="r", day=D - dt.timedelta(days=1), actual=100.0, game_id="gr1",
              graded_at=ts(D, 16))
    db.prediction(player="r", line=20.5, rec="UNDER", predicted=15.0)  # at 15:00
    db.prediction(player="s", line=20.5, rec="UNDER", predicted=15.0, predicted_at=ts(D, 17))
    for back in range(1, 4):  # s: the same history, re-graded before its pick
        db.graded(player="s", day=D - dt.timedelta(days=back), actual=10.0,
                  game_id=f"gs{back}")
    db.graded(player="s", day=D - dt.timedelta(days=1), actual=100.0, game_id="gs1",
              graded_at=ts(D, 16))
    (row,) = measure(db, config)
    assert (row["picks"], row["agreements"]) == (2, 1)
    assert (row["lined_with_form"], row["form_above"]) == (2, 1)


def test_a_system_that_stopped_predicting_is_no_longer_watched(
        db: ContractDB, config: MonitorConfig) -> None:
    for back in range(1, 40):
        day = D - dt.timedelta(days=back)
        for i in range(30):
            db.graded(player=f"q{i}", day=day, actual=30.0, game_id=f"gq{i}{back}")
            for system in ("live", "retired"):
                if system == "live" or back > 10:
                    db.prediction(system=system, player=f"q{i}", day=day, line=20.5,
                                  rec="OVER", commit=f"{system}-old" if back > 5 else system)
    for i in range(30):
        db.prediction(system="live", player=f"q{i}", line=20.5, rec="OVER", commit="live")
    ctx = CheckContext(as_of=ts(D, 20), config=config)
    systems = {o.label("system_id") for o in PickAgreementCheck().measure(db.wh, ctx)}
    assert systems == {"live"}


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
