"""Anytime-valid evidence and settled grading, as plain functions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from monitor.checks.settled import GradingDay, grading_settled, settled_window
from monitor.config import Rule
from monitor.model import EASTERN, Observation, make_labels
from monitor.rules.evaluate import CLEAR, FIRING, evaluate_rule
from monitor.stats import confidence_sequence, wilson_interval

SETTLE = dt.timedelta(minutes=90)
DEADLINE = dt.time(14, 0)


def fires(rate: float, commits: int, days: int, per_day: int, seed: int) -> np.ndarray:
    """Which simulated commits' hit-rate sequence ever goes wholly below 55%, looked at
    after every game day."""
    rng = np.random.default_rng(seed)
    hits = rng.binomial(per_day, rate, size=(commits, days)).cumsum(axis=1)
    n = per_day * np.arange(1, days + 1)
    upper = np.array([[confidence_sequence(int(k), int(m))[1]  # type: ignore[index]
                       for k, m in zip(row, n, strict=True)] for row in hits])
    return np.asarray((upper < 0.55).any(axis=1))


def test_a_commit_at_56_percent_looked_at_every_day_fires_under_one_percent() -> None:
    fired = fires(0.56, 2000, 60, 40, seed=26)
    assert fired.mean() < 0.01


def test_a_commit_at_45_percent_is_caught_and_50_percent_mostly() -> None:
    # docs/statistics.md's figures: ~330 picks at 45%, ~1,300 at 50% (40 picks a game day).
    assert fires(0.45, 200, 15, 40, seed=1).mean() > 0.9
    assert fires(0.50, 200, 60, 40, seed=2).mean() > 0.5


def test_the_sequence_is_wider_than_the_one_look_interval() -> None:
    low, high = confidence_sequence(44, 100)  # type: ignore[misc]
    w_low, w_high = wilson_interval(44, 100)  # type: ignore[misc]
    assert low < w_low and high > w_high
    assert high > 0.55  # the two-day-old commit: no evidence at all
    assert confidence_sequence(0, 0) is None
    with pytest.raises(ValueError):
        confidence_sequence(5, 4)
    _, high = confidence_sequence(450, 1000)  # type: ignore[misc]
    assert high < 0.55


def hit_rate(value: float, n: int) -> Observation:
    labels = make_labels(system_id="v8", build_commit_sha="abc", window="commit")
    return Observation("hit_rate_by_commit", "hit_rate", labels, value, n,
                       wilson_interval(round(value * n), n))


def test_sequence_evidence_judges_the_anytime_bound() -> None:
    rule = Rule(name="hit_rate_below_55", metric="hit_rate", below=0.55,
                evidence="sequence", alpha=0.01, severity="critical",
                group_by=["system_id", "build_commit_sha"])
    interval_rule = rule.model_copy(update={"evidence": "interval"})
    # 200 picks at 46%: the 95% interval is below 55%, the sequence is not.
    assert evaluate_rule(interval_rule, hit_rate(0.46, 200)).state == FIRING
    assert evaluate_rule(rule, hit_rate(0.46, 200)).state == CLEAR
    finding = evaluate_rule(rule, hit_rate(0.45, 600))
    assert finding.state == FIRING and "anytime-valid upper bound" in finding.reason


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def test_a_night_is_settled_after_a_quiet_spell_or_the_deadline() -> None:
    night = dt.date(2021, 2, 16)
    morning = night + dt.timedelta(days=1)
    day = GradingDay(night, 300, at(morning, 9, 40))
    assert not grading_settled(day, at(morning, 10, 15), SETTLE, DEADLINE)
    assert grading_settled(day, at(morning, 11, 10), SETTLE, DEADLINE)
    # No grade at all yet: settled only at 14:00 ET the next day.
    empty = GradingDay(night, 0, None)
    deadline = dt.datetime.combine(morning, DEADLINE, tzinfo=EASTERN)
    assert not grading_settled(empty, deadline - dt.timedelta(minutes=1), SETTLE, DEADLINE)
    assert grading_settled(empty, deadline, SETTLE, DEADLINE)


def test_the_window_ends_before_a_night_in_progress() -> None:
    d1, d2 = dt.date(2021, 2, 15), dt.date(2021, 2, 16)
    days = [GradingDay(d1, 280, at(d2, 9, 50)),
            GradingDay(d2, 120, at(d2 + dt.timedelta(days=1), 9, 10))]
    window = settled_window(days, at(d2 + dt.timedelta(days=1), 9, 15), SETTLE, DEADLINE)
    assert window.end == d1
    assert window.context() == (("grading_in_progress", "2021-02-16 (120 graded so far)"),)
    later = settled_window(days, at(d2 + dt.timedelta(days=1), 11, 0), SETTLE, DEADLINE)
    assert later.end == d2 and later.context() == ()
    assert settled_window([], at(d2, 12), SETTLE, DEADLINE).end is None


def test_the_exported_bound_is_the_rules_bound() -> None:
    from monitor.checks.hit_rate_by_commit import bound_observation, sequence_alpha
    from monitor.config import load_config

    config = load_config()
    assert sequence_alpha(config) == 0.01
    obs = hit_rate(0.45, 600)
    bound = bound_observation(obs, sequence_alpha(config))
    expected = confidence_sequence(270, 600, 0.01)
    assert bound.metric == "hit_rate_upper_bound" and bound.labels == obs.labels
    assert expected is not None and bound.value == expected[1] and bound.value < 0.55
    assert dict(bound.context)["alpha"] == "0.01"
