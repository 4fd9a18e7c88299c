"""One game day of the demo, drawn: the slate's players and what the world holds for
them (form, lines, outcomes, critical features), each system's code that day, its
batches, their predictions, execution-log rows and grades; and the league they come
from, drawn once a season. generate_day (monitor/demo/generator.py) calls these in a
fixed order and they draw from the season's one random stream (the per-player feature
averages have streams of their own), so moving or reordering a draw changes every
figure after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from monitor.demo.options import (
    ACTIVE_PER_TEAM,
    BROKEN_COMMIT,
    LINE_NOISE,
    MAIN_SYSTEM,
    N_TEAMS,
    OUTCOME_NOISE,
    PLAYERS_PER_TEAM,
    SYSTEM_NOISE,
    DemoOptions,
)
from monitor.demo.schedule import ScheduledGame


@dataclass
class League:
    player_ids: list[str]
    team_of: np.ndarray
    base_points: np.ndarray
    line_propensity: np.ndarray
    team_win_pct: np.ndarray


def draw_league(rng: np.random.Generator) -> League:
    n = N_TEAMS * PLAYERS_PER_TEAM
    base = np.clip(rng.gamma(shape=2.2, scale=5.0, size=n) + 3.0, 3.0, 34.0)
    # Stars get lines far more often; average propensity is ~0.40.
    rank = base.argsort().argsort() / (n - 1)
    propensity = np.clip(0.05 + 0.75 * rank**1.3, 0.02, 0.95)
    propensity *= 0.40 / propensity.mean()
    return League(
        player_ids=[f"player_{i:04d}" for i in range(n)],
        team_of=np.repeat(np.arange(N_TEAMS), PLAYERS_PER_TEAM),
        base_points=base,
        line_propensity=np.clip(propensity, 0.0, 0.98),
        team_win_pct=rng.uniform(0.2, 0.8, size=N_TEAMS),
    )


def _utc(day: dt.date, hour: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(hours=hour)


@dataclass
class Slate:
    """A game day's players and what the world holds for them: form, lines, outcomes
    and the critical features, the same for every system."""

    day: dt.date
    n: int
    mu: np.ndarray
    has_line: np.ndarray
    line: np.ndarray
    actual: np.ndarray
    ppm: np.ndarray
    minutes: np.ndarray
    win_pct: np.ndarray
    game_ids: np.ndarray
    called_off: np.ndarray  # postponed during the day: in the morning batch only
    player_lookup: np.ndarray


@dataclass
class SystemDay:
    """One system on one game day: its code and what is wrong with it."""

    system: str
    commit: str
    revision: str
    legacy: bool
    broken: bool
    regressed: bool
    noise: float
    default_filled: np.ndarray


@dataclass
class Batch:
    index: int
    final: bool
    started: dt.datetime
    status: str
    idx: np.ndarray  # the slate's rows this batch predicted


def draw_slate(day: dt.date, opts: DemoOptions, league: League, rng: np.random.Generator,
               games: list[ScheduledGame]) -> Slate:
    teams = np.array([t for g in games for t in (g.away, g.home)])
    players = np.concatenate([
        rng.choice(np.flatnonzero(league.team_of == t), ACTIVE_PER_TEAM, replace=False)
        for t in teams
    ])
    game_of = np.repeat(np.arange(len(games)), 2 * ACTIVE_PER_TEAM)
    n = players.size
    mu = league.base_points[players] * rng.normal(1.0, 0.08, n)
    affected = opts.affected(day)
    propensity = league.line_propensity[players]
    if affected and opts.scenario == "incident":
        # Backfill mode read lines from raw tables: coverage was *higher* (seed).
        propensity = np.clip(propensity * 1.13, 0, 1)
    if affected and opts.scenario == "coverage_drop":
        propensity = propensity * 0.55
    has_line = rng.random(n) < propensity
    integer_line = rng.random(n) < 0.5
    raw_line = mu + rng.normal(0, LINE_NOISE, n)
    line = np.where(integer_line, np.round(raw_line), np.floor(raw_line) + 0.5)
    line = np.maximum(line, 0.5)
    actual = np.maximum(0, np.round(mu + rng.normal(0, OUTCOME_NOISE, n)))
    rng.normal(1.0, 0.1, n)  # drawn, unused: later draws (and the figures) stay as they were
    return Slate(
        day=day, n=n, mu=mu, has_line=has_line, line=line, actual=actual,
        ppm=_ppm_avg_last_10(opts.seed, day, players, league.base_points),
        minutes=_minutes_avg_last_10(opts.seed, day, players),
        win_pct=league.team_win_pct[league.team_of[players]],
        game_ids=np.array([g.game_id for g in games])[game_of],
        called_off=np.array([g.status == "postponed" for g in games])[game_of],
        player_lookup=np.array(league.player_ids)[players])


def system_day(s_index: int, system: str, slate: Slate, opts: DemoOptions,
               commits: dict[dt.date, str], revisions: dict[str, str],
               rng: np.random.Generator) -> SystemDay:
    affected = opts.affected(slate.day)
    broken = affected and system == MAIN_SYSTEM and opts.scenario == "incident"
    commit = BROKEN_COMMIT if broken else commits[slate.day]
    # The broken commit defaulted ppm_avg_last_10 and dropped the line for most players.
    filled = rng.random(slate.n) < 0.85 if broken else np.zeros(slate.n, bool)
    return SystemDay(
        system=system, commit=commit,
        revision=revisions.setdefault(commit, f"prediction-worker-{len(revisions) + 1:05d}-"
                                      f"{commit[:3]}"),
        legacy=(slate.day - opts.start).days < opts.legacy_days, broken=broken,
        regressed=affected and system == MAIN_SYSTEM and opts.scenario == "hit_rate_regression",
        noise=SYSTEM_NOISE.get(system, 2.0 + 0.01 * (s_index % 50)), default_filled=filled)


def draw_batch(index: int, n_batches: int, start_hour: float, slate: Slate,
               rng: np.random.Generator) -> Batch:
    """Which of the slate's players a batch predicted: all, most (partial), or none
    (failed); the slate's last batch is the retry that worked."""
    final = index == n_batches - 1
    started = _utc(slate.day, start_hour + float(rng.uniform(0, 0.03)))
    roll = rng.random()
    status = "failed" if roll < 0.02 else ("partial" if roll < 0.05 else "success")
    if final and status == "failed":
        status = "success"
    n = slate.n
    keep = np.ones(n, bool) if status == "success" else (
        rng.random(n) < rng.uniform(0.91, 0.98) if status == "partial"
        else np.zeros(n, bool))
    if final:
        keep = np.ones(n, bool) if status != "partial" else keep
    if index > 0:
        keep &= ~slate.called_off
    return Batch(index, final, started, status, np.flatnonzero(keep))


def predicted_points(slate: Slate, who: SystemDay, idx: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    m = idx.size
    if who.broken:
        pred = np.where(slate.has_line[idx], slate.line[idx] + rng.normal(0, 4.4, m),
                        slate.mu[idx] + rng.normal(0, 6.0, m))
    elif who.regressed:
        pred = np.where(slate.has_line[idx], slate.line[idx] + rng.normal(0, 2.0, m),
                        slate.mu[idx] + rng.normal(0, who.noise, m))
    else:
        pred = slate.mu[idx] + rng.normal(0, who.noise, m)
    return np.asarray(np.round(np.maximum(pred, 0.0), 1))


def log_row(slate: Slate, who: SystemDay, batch: Batch, ended: dt.datetime,
            filled: np.ndarray, rng: np.random.Generator) -> dict[str, object]:
    """The batch's prediction_execution_log row (its draws after the predictions')."""
    day, idx, m = slate.day, batch.idx, batch.idx.size
    requested = slate.n if batch.index == 0 else int((~slate.called_off).sum())
    return {
        "execution_id": f"exec_{day:%Y%m%d}_{who.system}_{batch.index}",
        "batch_id": f"batch_{day:%Y%m%d}_{batch.index}",
        "build_commit_sha": who.commit if not who.legacy else "unknown",
        "deployment_revision": who.revision,
        "execution_start_timestamp": batch.started,
        "execution_end_timestamp": ended,
        "duration_seconds": (ended - batch.started).total_seconds(),
        "game_date": day,
        "system_id": who.system,
        "players_requested": requested,
        "players_predicted": m,
        "status": batch.status,
        "error_message": "feature store timeout" if batch.status == "failed" else (
            f"{slate.n - m} players without features" if batch.status == "partial" else None),
        "error_count": requested - m,
        "avg_feature_quality_score": round(float(
            rng.uniform(68, 74) if who.broken else rng.uniform(86, 94)), 2) if m else None,
        "pct_with_vegas_line": round(100 * float(slate.has_line[idx].sum()) / m, 2)
        if m else None,
        "pct_with_ppm": round(100 * float((~filled).sum()) / m, 2) if m else None,
        "pct_with_shot_zones": round(float(rng.uniform(92, 99)), 2) if m else None,
        "feature_store_snapshot_time": batch.started - dt.timedelta(minutes=30),
        "feature_source_mode": "backfill" if who.broken else "daily",
        "orchestration_run_id": f"orch_{day:%Y%m%d}_{batch.index}",
    }


def graded_columns(slate: Slate, predicted: dict[str, pa.Array], idx: np.ndarray,
                   pred: np.ndarray, li: np.ndarray, rec: np.ndarray,
                   rng: np.random.Generator) -> dict[str, pa.Array]:
    """The prediction_accuracy rows of the slate's final batch, graded next morning:
    the prediction's columns (the two tables share them by contract) and the outcome."""
    graded_at = _utc(slate.day + dt.timedelta(days=1), 9.0 + float(rng.uniform(0, 1)))
    act = slate.actual[idx]
    correct = np.where(rec == "OVER", act > li, act < li).astype(object)
    push = slate.has_line[idx] & (act == li)
    correct[(rec == "PASS") | push] = None
    shared = ("prediction_id", "system_id", "player_lookup", "game_id", "game_date",
              "predicted_points", "line_value", "recommendation", "confidence_score")
    return {
        **{name: predicted[name] for name in shared},
        "actual_points": pa.array(act.astype(float)),
        "prediction_correct": pa.array(list(correct), pa.bool_()),
        "absolute_error": pa.array(np.round(np.abs(pred - act), 2)),
        "signed_error": pa.array(np.round(pred - act, 2)),
        "graded_at": pa.array(np.full(idx.size, graded_at), pa.timestamp("us", "UTC")),
        "build_commit_sha": predicted["build_commit_sha"],
        "critical_features": predicted["critical_features"],
    }


def _minutes_avg_last_10(seed: int, day: dt.date, players: np.ndarray) -> np.ndarray:
    """Each player's average minutes over his last 10 games, from random streams of its
    own: the other columns' draws, and so the demo's figures, stay as they were before
    the worker wrote this feature. A rolling average moves little from one game day to
    the next, so the daily wobble is under a minute, keyed by player."""
    n_players = N_TEAMS * PLAYERS_PER_TEAM
    base = np.random.default_rng([seed, 2]).normal(24.0, 6.0, n_players)
    wobble = np.random.default_rng([seed, 2, day.toordinal()]).normal(0.0, 0.8, n_players)
    return np.asarray(np.clip(base[players] + wobble[players], 4.0, 42.0))


def _ppm_avg_last_10(seed: int, day: dt.date, players: np.ndarray,
                     base_points: np.ndarray) -> np.ndarray:
    """Each player's points per minute over his last 10 games: a rolling average moves
    a few percent from one game day to the next (one game in, one out), so it is his
    usual rate with a small daily wobble, from a random stream of its own keyed by
    player. (Redrawn with 13% noise every day, as before, two samples of the same
    players a few days apart differed like two populations: a clean commit change
    read as a feature shift.)"""
    wobble = np.random.default_rng([seed, 3, day.toordinal()]).normal(1.0, 0.04,
                                                                      base_points.size)
    return np.asarray(np.clip(base_points[players] / 32.0 * wobble[players], 0.05, 1.6))
