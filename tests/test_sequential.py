"""Sequential detection as plain functions: CUSUM statistics and drift observations."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from monitor.checks.outcome_drift import (
    BASELINE_Z,
    Baseline,
    CommitDays,
    drift_observations,
    in_control_margin,
    in_control_rate,
)
from monitor.config import Sequential
from monitor.model import Observation
from monitor.stats import bernoulli_llr, cusum, cusum_gaussian_mean, cusum_threshold, lost_edge

D0 = dt.date(2026, 1, 1)
SETTINGS = Sequential(false_alarm_rate=0.001, mae_shift=0.15, edge_loss=1.0,
                      baseline_days=21, min_baseline_graded=300, min_baseline_picks=400,
                      baseline_picks=400, serving_days=3)
SETTINGS_800 = Sequential()  # the shipped defaults


def test_threshold_is_log_inverse_alpha() -> None:
    assert cusum_threshold(0.001) == pytest.approx(math.log(1000))
    with pytest.raises(ValueError):
        cusum_threshold(0)


def test_gaussian_cusum_accumulates_only_evidence_of_a_rise() -> None:
    # per-day LLR = (5 - 4) / 1 * (sum - n * 4.5)
    assert cusum_gaussian_mean([(10, 50.0)], 4.0, 1.0, 5.0) == pytest.approx(5.0)
    assert cusum_gaussian_mean([(10, 40.0)], 4.0, 1.0, 5.0) == 0.0  # reset at zero
    assert cusum_gaussian_mean([(10, 40.0), (10, 50.0), (10, 50.0)], 4.0, 1.0,
                               5.0) == pytest.approx(10.0)


def test_bernoulli_cusum() -> None:
    win, loss = math.log(0.5 / 0.6), math.log(0.5 / 0.4)
    assert cusum([bernoulli_llr(100, 50, 0.6, 0.5)]) == pytest.approx(50 * win + 50 * loss)
    assert cusum([bernoulli_llr(100, 60, 0.6, 0.5)]) == 0.0


def test_lost_edge_alternative() -> None:
    assert lost_edge(0.62, 1.0) == 0.5
    assert lost_edge(0.62, 0.5) == pytest.approx(0.56)


def days(commit: str, start: dt.date, count: int, mae: float, hit: float,
         graded: int = 200, picks: int = 80, margin: float | None = None) -> CommitDays:
    """Days of one commit; a pick's realized margin has sd 5.7 points and, unless
    given, a mean of 14 points per unit of hit rate above 50% (about the demo's). The
    edge CUSUM's weighted margin is the margin itself here (lines of unit scatter,
    every pick claiming the same edge)."""
    sigma, margin_sd = 3.4, 5.7
    m = 14 * (hit - 0.5) if margin is None else margin
    return CommitDays(commit, [{
        "game_date": start + dt.timedelta(days=i), "graded": graded,
        "sum_abs_error": mae * graded, "sum_sq_abs_error": (sigma**2 + mae**2) * graded,
        "picks": picks, "hits": round(hit * picks), "margin_picks": picks,
        "sum_margin": m * picks, "sum_sq_margin": (margin_sd**2 + m**2) * picks,
        "weighted_picks": picks, "sum_weighted_margin": m * picks,
        "sum_sq_weighted_margin": (margin_sd**2 + m**2) * picks}
        for i in range(count)])


def test_a_worse_commit_is_detected_against_the_one_it_replaced() -> None:
    old = days("old", D0, 10, 4.4, 0.63)
    bad = days("bad", D0 + dt.timedelta(days=10), 3, 5.8, 0.50)
    obs = {o.metric: o for o in drift_observations("v8", [old, bad], SETTINGS,
                                                   D0 + dt.timedelta(days=12))}
    assert obs["mae_drift"].value > 1.0 and obs["mae_drift"].baseline == pytest.approx(4.4)
    assert dict(obs["mae_drift"].context)["replaced_commit"] == "old"
    assert obs["mae_drift"].sample_size == 600
    # The tests start one standard error of the baseline's estimate towards the
    # alternative: 3.4 / sqrt(2000) above the MAE, sqrt(p (1 - p) / 800) under the rate.
    assert dict(obs["mae_drift"].context)["tested_from"] == f"{4.4 + 3.4 / 2000**0.5:.3f}"
    assert obs["hit_rate_drift"].baseline == pytest.approx(0.625)
    assert dict(obs["hit_rate_drift"].context)["tested_from"] == \
        f"{0.625 - (0.625 * 0.375 / 800)**0.5:.3f}"
    # Three days of picks are not yet enough for hit rate: MAE reacts first.
    assert 0.5 < obs["hit_rate_drift"].value < 1.0
    # How far each pick landed past the line carries more than whether it hit: the
    # same 240 picks are enough for the edge CUSUM.
    assert obs["edge_drift"].value > 1.0
    assert obs["edge_drift"].baseline == pytest.approx(14 * 0.13)
    assert obs["edge_drift"].sample_size == 240
    assert dict(obs["edge_drift"].context)["alternative"] == "0.000"


def test_edge_cusum_needs_a_third_fewer_picks_than_the_hit_rate_one_or_better() -> None:
    old = days("old", D0, 10, 4.4, 0.63)
    needed = {}
    for metric in ("hit_rate_drift", "edge_drift"):
        for n in range(1, 30):
            lost = days("lost", D0 + dt.timedelta(days=10), n, 4.4, 0.50, picks=20)
            obs = {o.metric: o for o in drift_observations(
                "v8", [old, lost], SETTINGS, D0 + dt.timedelta(days=9 + n))}
            if obs[metric].value >= 1.0:
                needed[metric] = 20 * n
                break
    assert needed["edge_drift"] * 1.5 <= needed["hit_rate_drift"], needed


def test_edge_cusum_value_by_hand() -> None:
    # Baseline: 10 days x 80 picks, margin mean 1.82, sd 5.7. One new day of 80 picks
    # at mean 0: LLR = (m1 - m0) / sd^2 * (sum - n (m0 + m1) / 2), cap 0.6 h.
    old = days("old", D0, 10, 4.4, 0.63)
    sd, h = 5.7, math.log(1000)
    m0 = 14 * 0.13 - BASELINE_Z * sd / math.sqrt(800)  # where the test starts
    for edge_loss, mean, cap_binds in ((1.0, 0.0, False), (0.5, 0.0, False),
                                       (1.0, -6.0, True)):
        settings = SETTINGS.model_copy(update={"edge_loss": edge_loss})
        new = days("new", D0 + dt.timedelta(days=10), 1, 4.4, 0.5, margin=mean)
        obs = {o.metric: o for o in drift_observations("v8", [old, new], settings,
                                                       D0 + dt.timedelta(days=10))}
        m1 = (1 - edge_loss) * m0
        llr = (m1 - m0) / sd**2 * (mean * 80 - 80 * (m0 + m1) / 2)
        assert (llr > 0.6 * h) is cap_binds
        expected = min(llr, 0.6 * h) / h
        assert obs["edge_drift"].value == pytest.approx(expected, rel=1e-3), edge_loss
        assert dict(obs["edge_drift"].context)["alternative"] == f"{m1:.3f}"


def test_edge_cusum_reads_the_margins_spread() -> None:
    """The same fall of the mean is stronger evidence when margins vary less."""
    values = []
    for sd in (4.0, 8.0):
        old = CommitDays("old", [{
            "game_date": D0 + dt.timedelta(days=i), "graded": 200, "sum_abs_error": 880.0,
            "sum_sq_abs_error": (3.4**2 + 4.4**2) * 200, "picks": 80, "hits": 50,
            "margin_picks": 80, "sum_margin": 2.0 * 80, "sum_sq_margin": (sd**2 + 4.0) * 80,
            "weighted_picks": 80, "sum_weighted_margin": 2.0 * 80,
            "sum_sq_weighted_margin": (sd**2 + 4.0) * 80}
            for i in range(10)])
        new = days("new", D0 + dt.timedelta(days=10), 1, 4.4, 0.5, picks=20, margin=0.0)
        obs = {o.metric: o for o in drift_observations("v8", [old, new], SETTINGS,
                                                       D0 + dt.timedelta(days=10))}
        values.append(obs["edge_drift"].value)
    # From m0 = 2 less one standard error (sd / sqrt(800)) to 0, on 20 picks at 0:
    # LLR = m0^2 * 20 / (2 sd^2), under the cap.
    for sd, value in zip((4.0, 8.0), values, strict=True):
        m0 = 2.0 - BASELINE_Z * sd / math.sqrt(800)
        assert value == pytest.approx(m0 * m0 * 10 / sd**2 / math.log(1000), rel=1e-6)
    assert values[0] > 4 * values[1]


def test_edge_cusum_counts_picks_without_a_margin() -> None:
    old = days("old", D0, 10, 4.4, 0.63)
    new = days("new", D0 + dt.timedelta(days=10), 2, 4.4, 0.63)
    for d in new.days:
        d["margin_picks"] = d["weighted_picks"] = 70  # ten a day without a finite line
        d["sum_margin"] = d["sum_weighted_margin"] = 70 * 1.82
    obs = {o.metric: o for o in drift_observations("v8", [old, new], SETTINGS,
                                                   D0 + dt.timedelta(days=11))}
    assert obs["edge_drift"].sample_size == 140
    assert dict(obs["edge_drift"].context)["picks_without_margin"] == "20"


def judged(observations: list[Observation]) -> dict[str, str | None]:
    """metric → None when judged, else its not_judged reason."""
    return {o.metric: dict(o.context).get("not_judged") for o in observations}


def test_edge_cusum_is_not_judged_without_an_edge_to_lose() -> None:
    later = D0 + dt.timedelta(days=12)
    new = days("new", D0 + dt.timedelta(days=10), 3, 4.4, 0.63)
    short = days("old", D0, 10, 4.4, 0.63, margin=-0.2)  # picks landed short on average
    verdicts = judged(drift_observations("v8", [short, new], SETTINGS, later))
    assert verdicts["hit_rate_drift"] is None
    assert "margin shows no edge" in str(verdicts["edge_drift"])
    # A positive margin at a coin flip's hit rate: the lines' skew, not an edge.
    skew = days("old", D0, 10, 4.4, 0.50, margin=0.8)
    verdicts = judged(drift_observations("v8", [skew, new], SETTINGS, later))
    assert verdicts["hit_rate_drift"] == "baseline shows no edge over 50% to lose"
    assert verdicts["edge_drift"] == verdicts["hit_rate_drift"]
    # Margins that barely vary: no spread to judge a fall by.
    flat = days("old", D0, 10, 4.4, 0.63)
    for d in flat.days:
        d["sum_sq_weighted_margin"] = (0.1**2 + 1.82**2) * d["weighted_picks"]
    verdicts = judged(drift_observations("v8", [flat, new], SETTINGS, later))
    assert verdicts["hit_rate_drift"] is None and verdicts["edge_drift"] is not None


def test_a_thin_baseline_reaches_back_over_earlier_commits() -> None:
    # 21 days of 15 picks (315 < 400) right before; more days further back.
    older = days("older", D0, 30, 4.4, 0.63, picks=40)
    thin = days("thin", D0 + dt.timedelta(days=30), 21, 4.4, 0.63, picks=15)
    new = days("new", D0 + dt.timedelta(days=51), 2, 4.4, 0.63)
    obs = [o for o in drift_observations("v8", [older, thin, new], SETTINGS,
                                         D0 + dt.timedelta(days=52))
           if o.label("build_commit_sha") == "new"]
    assert judged(obs) == {"mae_drift": None, "hit_rate_drift": None, "edge_drift": None}
    reach = dict(obs[0].context)["baseline_from"]
    assert reach == str(D0 + dt.timedelta(days=51 - 28))
    # Wanting more picks than it needs to judge, it reaches on: 315 + 14 x 40 >= 800.
    more = SETTINGS.model_copy(update={"baseline_picks": 800})
    obs = [o for o in drift_observations("v8", [older, thin, new], more,
                                         D0 + dt.timedelta(days=52))
           if o.label("build_commit_sha") == "new"]
    assert dict(obs[0].context)["baseline_from"] == str(D0 + dt.timedelta(days=51 - 35))
    # A commit whose own days wrote defaults is no baseline: without it, too few picks.
    obs = [o for o in drift_observations("v8", [older, thin, new], SETTINGS,
                                         D0 + dt.timedelta(days=52),
                                         excluded=frozenset({"older"}))
           if o.label("build_commit_sha") == "new"]
    assert judged(obs)["hit_rate_drift"] == "baseline too small: 315 picks < 400"


def test_an_equal_commit_stays_quiet() -> None:
    old = days("old", D0, 10, 4.4, 0.63)
    same = days("same", D0 + dt.timedelta(days=10), 10, 4.4, 0.63)
    obs = drift_observations("v8", [old, same], SETTINGS, D0 + dt.timedelta(days=19))
    assert [o.value for o in obs] == [0.0, 0.0, 0.0]


def test_system_wide_cusum_spans_commits() -> None:
    from monitor.checks.outcome_drift import system_drift_observations

    before = days("a", D0, 21, 4.4, 0.63)
    # The regression starts mid-commit and continues on the next commit.
    b = days("b", D0 + dt.timedelta(days=21), 3, 4.4, 0.50)
    c = days("c", D0 + dt.timedelta(days=24), 3, 4.4, 0.50)
    obs = {o.metric: o for o in system_drift_observations("v8", [before, b, c], SETTINGS,
                                                          D0 + dt.timedelta(days=26))}
    assert obs["hit_rate_drift"].label("build_commit_sha") == "all"
    assert obs["hit_rate_drift"].value > 1.0 and obs["mae_drift"].value == 0.0
    assert obs["edge_drift"].label("build_commit_sha") == "all"
    assert obs["edge_drift"].value > 1.0


def test_hit_rate_only_regression_shows_in_hit_rate_drift() -> None:
    old = days("old", D0, 10, 4.4, 0.63)
    worse = days("worse", D0 + dt.timedelta(days=10), 5, 4.5, 0.50)
    obs = {o.metric: o for o in drift_observations("v8", [old, worse], SETTINGS,
                                                   D0 + dt.timedelta(days=13))}
    assert obs["hit_rate_drift"].value > 1.0
    assert obs["mae_drift"].value < 1.0


def test_no_baseline_and_retired_commits_give_nothing() -> None:
    first = days("first", D0, 3, 4.4, 0.63)
    unjudged = drift_observations("v8", [first], SETTINGS, D0 + dt.timedelta(days=2))
    unjudged = [o for o in unjudged if o.label("build_commit_sha") == "first"]
    assert [(o.metric, o.value, o.sample_size) for o in unjudged] == [
        ("mae_drift", None, 600), ("hit_rate_drift", None, 240), ("edge_drift", None, 240)]
    tiny = days("tiny", D0, 1, 4.4, 0.63, graded=50)
    new = days("new", D0 + dt.timedelta(days=1), 3, 6.0, 0.5)
    assert [o.value for o in drift_observations("v8", [tiny, new], SETTINGS,
                                                D0 + dt.timedelta(days=3))] == [None, None, None]
    old = days("old", D0, 10, 4.4, 0.63)
    retired = days("retired", D0 + dt.timedelta(days=10), 2, 6.0, 0.5)
    later = D0 + dt.timedelta(days=20)  # retired has had no graded day for 8 days
    assert drift_observations("v8", [old, retired], SETTINGS, later) == []


# --- calibration with a re-estimated baseline ------------------------------------------
# h = ln(1/alpha) bounds the false-alarm rate for a known in-control value; the monitor
# estimates it from a finite baseline. These simulate clean commits watched for 10 game
# days (a commit's life between deploys, the system-wide window), with the baseline
# re-estimated from the smallest sample the defaults judge on, as the code does.
RUNS, WATCHED_DAYS = 20_000, 10


def cusum_fired(daily_llr: np.ndarray, h: float) -> np.ndarray:
    """Which runs' winsorised CUSUM (monitor.stats.cusum, vectorised) reaches h."""
    s = np.zeros(daily_llr.shape[0])
    fired = np.zeros(daily_llr.shape[0], bool)
    for day in range(daily_llr.shape[1]):
        s = np.maximum(0.0, s + np.minimum(daily_llr[:, day], 0.6 * h))
        fired |= s >= h
    return fired


def baselines(picks: int, hits: np.ndarray, margins: tuple[np.ndarray, np.ndarray],
              graded: int = 2000) -> list[Baseline]:
    return [Baseline(4.8, 3.6, graded, picks, hits[i] / picks, float(margins[0][i]),
                     float(margins[1][i]), picks) for i in range(len(hits))]


def test_vectorised_cusum_is_the_monitors() -> None:
    llr = np.random.default_rng(0).normal(0.5, 3.0, (50, WATCHED_DAYS))
    h = cusum_threshold(0.001)
    expected = [any(cusum(list(row[: d + 1]), 0.6 * h) >= h for d in range(WATCHED_DAYS))
                for row in llr]
    assert list(cusum_fired(llr, h)) == expected


def test_hit_rate_and_edge_cusums_keep_alpha_with_a_re_estimated_baseline() -> None:
    """A 56.5% model, margins N(0.92, 6) points, 40 picks a game day, its baseline the
    minimum 800 picks: with the baseline as estimated, both tests fire several times
    alpha; from the baseline moved BASELINE_Z standard errors towards the alternative,
    at most alpha = 0.001."""
    rng = np.random.default_rng(2026)
    p, m, sd, n_base, per_day = 0.565, 0.92, 6.0, SETTINGS_800.min_baseline_picks, 40
    hits = rng.binomial(n_base, p, RUNS)
    m_hat = rng.normal(m, sd / math.sqrt(n_base), RUNS)
    sd_hat = sd * np.sqrt(rng.chisquare(n_base - 1, RUNS) / (n_base - 1))
    bases = baselines(n_base, hits, (m_hat, sd_hat))
    day_hits = rng.binomial(per_day, p, (RUNS, WATCHED_DAYS))
    day_margin = rng.normal(per_day * m, math.sqrt(per_day) * sd, (RUNS, WATCHED_DAYS))
    h = cusum_threshold(SETTINGS_800.false_alarm_rate)
    rates = {}
    for name, start in (("estimate", (hits / n_base, m_hat)),
                        ("tested", (np.array([in_control_rate(b) for b in bases]),
                                    np.array([in_control_margin(b) for b in bases])))):
        p0, m0 = np.maximum(start[0], 0.5 + 1e-9)[:, None], start[1][:, None]
        hit_llr = (day_hits * np.log(0.5 / p0)
                   + (per_day - day_hits) * np.log(0.5 / (1 - p0)))
        edge_llr = -m0 / sd_hat[:, None] ** 2 * (day_margin - per_day * m0 / 2)
        rates[name] = (cusum_fired(hit_llr, h)[start[0] > 0.5].sum() / RUNS,
                       cusum_fired(edge_llr, h)[start[1] > 0].sum() / RUNS)
    assert min(rates["estimate"]) > 0.002, rates  # the uncorrected baseline: 3-20 x alpha
    assert max(rates["tested"]) <= 0.001, rates


def test_mae_cusum_keeps_alpha_from_the_smallest_baseline_judged() -> None:
    """About 140 graded rows a game day against a baseline of min_baseline_graded rows:
    absolute errors of mean 4.8 and sd 3.6 (per-day sums Gaussian)."""
    rng = np.random.default_rng(26)
    mu, sd, n_base, per_day = 4.8, 3.6, SETTINGS_800.min_baseline_graded, 140
    mu_hat = rng.normal(mu, sd / math.sqrt(n_base), RUNS)
    sd_hat = sd * np.sqrt(rng.chisquare(n_base - 1, RUNS) / (n_base - 1))
    day_sum = rng.normal(per_day * mu, math.sqrt(per_day) * sd, (RUNS, WATCHED_DAYS))
    h = cusum_threshold(SETTINGS_800.false_alarm_rate)
    rates = {}
    for name, z in (("estimate", 0.0), ("tested", BASELINE_Z)):
        mu0 = (mu_hat + z * sd_hat / math.sqrt(n_base))[:, None]
        mu1 = mu0 * (1 + SETTINGS_800.mae_shift)
        llr = (mu1 - mu0) / sd_hat[:, None] ** 2 * (day_sum - per_day * (mu0 + mu1) / 2)
        rates[name] = cusum_fired(llr, h).mean()
    assert rates["estimate"] > 0.002, rates
    assert rates["tested"] <= 0.001, rates
