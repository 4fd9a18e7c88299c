"""A seeded, realistic season in the data contract's tables, with the seed's incident.

Vectorised with numpy and written day by day in date order, so DuckDB's zone maps
keep a date window cheap to read. Slates follow the demo's league calendar
(monitor/demo/schedule.py): no batch on an off day, a postponed game predicted in
the morning and never graded. Scenarios other than the incident exist for the
detection benchmark (clean season, hit-rate-only regression, coverage drop, a day
with no batch).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from monitor.demo.schedule import SEASON_END, ScheduledGame, season_schedule

Scenario = Literal["incident", "clean", "hit_rate_regression", "coverage_drop",
                   "missing_batch"]
SCENARIOS: tuple[str, ...] = ("incident", "clean", "hit_rate_regression", "coverage_drop",
                              "missing_batch")

MAIN_SYSTEM = "catboost_v8"
OTHER_SYSTEMS = ("ensemble_v1", "moving_average_baseline", "similarity_balanced_v1")
# Prediction noise per system (points): the main model is the sharpest.
SYSTEM_NOISE = {MAIN_SYSTEM: 2.4, "ensemble_v1": 2.9, "moving_average_baseline": 3.4,
                "similarity_balanced_v1": 3.1}
BROKEN_COMMIT = "0b5e11ad"
FIXED_COMMIT = "ea88e526"
N_TEAMS, PLAYERS_PER_TEAM, ACTIVE_PER_TEAM = 30, 15, 13
PASS_EDGE = 1.0
# A healthy date of the demo season (validate-daily's "all good" example).
HEALTHY_DATE = dt.date(2025, 12, 15)
LINE_NOISE, OUTCOME_NOISE = 2.5, 5.2


@dataclass(frozen=True)
class DemoOptions:
    start: dt.date = dt.date(2025, 10, 21)  # opening night
    end: dt.date = dt.date(2026, 2, 28)
    seed: int = 64
    scale: float = 1.0  # multiplies the number of systems (shadow variants)
    scenario: Scenario = "incident"
    # The incident (seed): broken commit in backfill mode from this game date...
    incident_start: dt.date = dt.date(2026, 1, 9)
    # ...until the fixed commit takes over on this one.
    incident_end: dt.date = dt.date(2026, 1, 30)
    # Days at the season start written by code that recorded no commit.
    legacy_days: int = 5
    systems: tuple[str, ...] = field(default=())
    # The calendar: scattered off days, games postponed on the day, a league pause.
    off_day_rate: float = 0.03
    postponed_games: int = 2
    pause: tuple[dt.date, dt.date] | None = None

    def schedule(self) -> dict[dt.date, list[ScheduledGame]]:
        """The season's calendar (its own random stream: the same for every scenario),
        written through the regular season's end; the reference dates have games."""
        rng = np.random.default_rng([self.seed, 1])
        keep = frozenset({HEALTHY_DATE, self.incident_start, self.incident_end})
        return season_schedule(self.start, max(self.end, SEASON_END), rng,
                               game_days=keep, pause=self.pause,
                               off_day_rate=self.off_day_rate,
                               postponed_games=self.postponed_games, played_until=self.end)

    def system_ids(self) -> tuple[str, ...]:
        if self.systems:
            return self.systems
        base = (MAIN_SYSTEM, *OTHER_SYSTEMS)
        extra = max(0, int(np.ceil(len(base) * self.scale)) - len(base))
        return base + tuple(f"shadow_{i:03d}" for i in range(1, extra + 1))

    def affected(self, day: dt.date) -> bool:
        return self.scenario != "clean" and self.incident_start <= day < self.incident_end


@dataclass
class DayTables:
    predictions: pa.Table
    accuracy: pa.Table
    execution_log: pa.Table


@dataclass
class _League:
    player_ids: list[str]
    team_of: np.ndarray
    base_points: np.ndarray
    line_propensity: np.ndarray
    team_win_pct: np.ndarray


def _league(rng: np.random.Generator) -> _League:
    n = N_TEAMS * PLAYERS_PER_TEAM
    base = np.clip(rng.gamma(shape=2.2, scale=5.0, size=n) + 3.0, 3.0, 34.0)
    # Stars get lines far more often; average propensity is ~0.40.
    rank = base.argsort().argsort() / (n - 1)
    propensity = np.clip(0.05 + 0.75 * rank**1.3, 0.02, 0.95)
    propensity *= 0.40 / propensity.mean()
    return _League(
        player_ids=[f"player_{i:04d}" for i in range(n)],
        team_of=np.repeat(np.arange(N_TEAMS), PLAYERS_PER_TEAM),
        base_points=base,
        line_propensity=np.clip(propensity, 0.0, 0.98),
        team_win_pct=rng.uniform(0.2, 0.8, size=N_TEAMS),
    )


def commit_schedule(opts: DemoOptions, rng: np.random.Generator) -> dict[dt.date, str]:
    """Healthy deploys every 5-10 days; the fix lands on incident_end."""
    commits: dict[dt.date, str] = {}
    day, sha = opts.start, f"{rng.integers(16**8):08x}"
    next_deploy = day + dt.timedelta(days=int(rng.integers(5, 11)))
    while day <= opts.end:
        if day >= next_deploy:
            sha = f"{rng.integers(16**8):08x}"
            next_deploy = day + dt.timedelta(days=int(rng.integers(5, 11)))
        if opts.scenario == "incident" and day == opts.incident_end:
            sha = FIXED_COMMIT
            next_deploy = day + dt.timedelta(days=int(rng.integers(5, 11)))
        commits[day] = sha
        day += dt.timedelta(days=1)
    return commits


def _utc(day: dt.date, hour: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(hours=hour)


@dataclass
class _Slate:
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
class _SystemDay:
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
class _Batch:
    index: int
    final: bool
    started: dt.datetime
    status: str
    idx: np.ndarray  # the slate's rows this batch predicted


def _draw_slate(day: dt.date, opts: DemoOptions, league: _League, rng: np.random.Generator,
                games: list[ScheduledGame]) -> _Slate:
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
    return _Slate(
        day=day, n=n, mu=mu, has_line=has_line, line=line, actual=actual,
        ppm=_ppm_avg_last_10(opts.seed, day, players, league.base_points),
        minutes=_minutes_avg_last_10(opts.seed, day, players),
        win_pct=league.team_win_pct[league.team_of[players]],
        game_ids=np.array([g.game_id for g in games])[game_of],
        called_off=np.array([g.status == "postponed" for g in games])[game_of],
        player_lookup=np.array(league.player_ids)[players])


def _system_day(s_index: int, system: str, slate: _Slate, opts: DemoOptions,
                commits: dict[dt.date, str], revisions: dict[str, str],
                rng: np.random.Generator) -> _SystemDay:
    affected = opts.affected(slate.day)
    broken = affected and system == MAIN_SYSTEM and opts.scenario == "incident"
    commit = BROKEN_COMMIT if broken else commits[slate.day]
    # The broken commit defaulted ppm_avg_last_10 and dropped the line for most players.
    filled = rng.random(slate.n) < 0.85 if broken else np.zeros(slate.n, bool)
    return _SystemDay(
        system=system, commit=commit,
        revision=revisions.setdefault(commit, f"prediction-worker-{len(revisions) + 1:05d}-"
                                      f"{commit[:3]}"),
        legacy=(slate.day - opts.start).days < opts.legacy_days, broken=broken,
        regressed=affected and system == MAIN_SYSTEM and opts.scenario == "hit_rate_regression",
        noise=SYSTEM_NOISE.get(system, 2.0 + 0.01 * (s_index % 50)), default_filled=filled)


def _draw_batch(index: int, n_batches: int, start_hour: float, slate: _Slate,
                rng: np.random.Generator) -> _Batch:
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
    return _Batch(index, final, started, status, np.flatnonzero(keep))


def _predicted_points(slate: _Slate, who: _SystemDay, idx: np.ndarray,
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


def _log_row(slate: _Slate, who: _SystemDay, batch: _Batch, ended: dt.datetime,
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


def _graded_columns(slate: _Slate, predicted: dict[str, pa.Array], idx: np.ndarray,
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


def generate_day(day: dt.date, opts: DemoOptions, league: _League, commits: dict[dt.date, str],
                 revisions: dict[str, str], rng: np.random.Generator,
                 id_offset: int, games: list[ScheduledGame]) -> DayTables:
    """One game day of every system: its batches' predictions, their execution-log rows
    and the final batch's graded rows. The random draws come in a fixed order (the
    slate, then per system and batch), so a seed gives the same season every time."""
    if not games:  # an off day: the orchestrator runs no batch
        return DayTables(pa.table({}), pa.table({}), _log_table([]))
    slate = _draw_slate(day, opts, league, rng, games)
    pred_cols: dict[str, list[pa.Array]] = {}
    acc_cols: dict[str, list[pa.Array]] = {}
    log_rows: list[dict[str, object]] = []
    next_id = id_offset
    # The orchestrator starts every system's batch of a round together (13:00,
    # 17:00, 21:00 UTC plus jitter); systems then finish a few minutes apart.
    rounds = [13.0 + 4.0 * b + float(rng.uniform(0, 0.5)) for b in range(3)]
    for s_index, system in enumerate(opts.system_ids()):
        if opts.scenario == "missing_batch" and day == opts.incident_start:
            continue  # the day no batch ran for any system
        n_batches = int(rng.integers(2, 4))
        who = _system_day(s_index, system, slate, opts, commits, revisions, rng)
        for b in range(n_batches):
            batch = _draw_batch(b, n_batches, rounds[b], slate, rng)
            idx, m = batch.idx, batch.idx.size
            pred = _predicted_points(slate, who, idx, rng)
            li = np.where(slate.has_line[idx], slate.line[idx], np.nan)
            edge = pred - li
            rec = np.where(~slate.has_line[idx] | (np.abs(edge) < PASS_EDGE), "PASS",
                           np.where(edge > 0, "OVER", "UNDER"))
            filled = who.default_filled[idx]
            line_seen = slate.has_line[idx] & ~filled
            # Stamped while the batch runs (ended comes after it): a batch's rows are
            # those of its system, date and commit between its start and end (check-batch).
            predicted_at = batch.started + dt.timedelta(minutes=float(rng.uniform(2, 20)))
            predicted = {
                "prediction_id": pa.array(np.array(
                    [f"pred_{i:09d}" for i in range(next_id, next_id + m)])),
                "system_id": pa.array(np.full(m, system)),
                "player_lookup": pa.array(slate.player_lookup[idx]),
                "game_id": pa.array(slate.game_ids[idx]),
                "game_date": pa.array(np.full(m, day), pa.date32()),
                "predicted_points": pa.array(pred),
                "line_value": pa.array(li, from_pandas=True),
                "recommendation": pa.array(rec),
                "confidence_score": pa.array(np.round(np.clip(
                    0.5 + np.nan_to_num(np.abs(edge), nan=0.0) / 12, 0.5, 0.95), 3)),
                "is_active": pa.array(np.full(m, batch.final) | slate.called_off[idx]),
                "superseded": pa.array(np.full(m, not batch.final) & ~slate.called_off[idx]),
                "build_commit_sha": _commit_column(who.commit, who.legacy, m, rng),
                "deployment_revision": pa.array(np.full(m, who.revision)),
                "predicted_at": pa.array(np.full(m, predicted_at), pa.timestamp("us", "UTC")),
                "critical_features": _features_json(
                    np.where(line_seen, slate.line[idx], np.nan),
                    np.where(line_seen, 1.0, 0.0), np.where(filled, 0.4, slate.ppm[idx]),
                    slate.win_pct[idx], slate.minutes[idx]),
            }
            next_id += m
            _append(pred_cols, predicted)
            ended = predicted_at + dt.timedelta(minutes=float(rng.uniform(1, 4)))
            log_rows.append(_log_row(slate, who, batch, ended, filled, rng))
            if batch.final:
                _append(acc_cols, _graded_columns(slate, predicted, idx, pred, li, rec, rng))
    return DayTables(_concat(pred_cols), _concat(acc_cols), _log_table(log_rows))


def _commit_column(commit: str, legacy: bool, m: int, rng: np.random.Generator) -> pa.Array:
    if not legacy:
        return pa.array(np.full(m, commit))
    # Older code wrote no commit: NULL or 'unknown', as the seed describes.
    values = np.where(rng.random(m) < 0.5, "unknown", "")
    return pa.array([None if v == "" else v for v in values], pa.string())


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


def _features_json(vegas: np.ndarray, has_vegas: np.ndarray, ppm: np.ndarray,
                   win_pct: np.ndarray, minutes: np.ndarray) -> pa.Array:
    """critical_features as JSON text, built column-wise (no per-row Python)."""
    def num(values: np.ndarray, digits: int) -> pa.Array:
        arr = pa.array(np.round(values, digits), from_pandas=True)
        return pc.fill_null(pc.cast(arr, pa.string()), "null")

    has = pc.if_else(pa.array(has_vegas == 1.0), "1.0", "0.0")
    parts = ['{"vegas_points_line": ', num(vegas, 1), ', "has_vegas_line": ', has,
             ', "ppm_avg_last_10": ', num(ppm, 4), ', "team_win_pct": ', num(win_pct, 3),
             ', "minutes_avg_last_10": ', num(minutes, 1), "}"]
    return pc.binary_join_element_wise(*parts, "")


def _append(cols: dict[str, list[pa.Array]], values: dict[str, pa.Array]) -> None:
    for name, arr in values.items():
        cols.setdefault(name, []).append(arr)


_TYPES = {
    "prediction_id": pa.string(), "system_id": pa.string(), "player_lookup": pa.string(),
    "game_id": pa.string(), "game_date": pa.date32(), "predicted_points": pa.float64(),
    "line_value": pa.float64(), "recommendation": pa.string(),
    "confidence_score": pa.float64(), "is_active": pa.bool_(), "superseded": pa.bool_(),
    "build_commit_sha": pa.string(), "deployment_revision": pa.string(),
    "predicted_at": pa.timestamp("us", "UTC"), "critical_features": pa.string(),
    "actual_points": pa.float64(), "prediction_correct": pa.bool_(),
    "absolute_error": pa.float64(), "signed_error": pa.float64(),
    "graded_at": pa.timestamp("us", "UTC"),
}


def _concat(cols: dict[str, list[pa.Array]]) -> pa.Table:
    # An empty batch (a failed one) gives numpy arrays of no dtype: cast by name.
    return pa.table({name: pa.concat_arrays([a.cast(_TYPES[name]) for a in parts])
                     for name, parts in cols.items()}) if cols else pa.table({})


def _log_table(rows: list[dict[str, object]]) -> pa.Table:
    schema = pa.schema([
        ("execution_id", pa.string()), ("batch_id", pa.string()),
        ("build_commit_sha", pa.string()), ("deployment_revision", pa.string()),
        ("execution_start_timestamp", pa.timestamp("us", "UTC")),
        ("execution_end_timestamp", pa.timestamp("us", "UTC")),
        ("duration_seconds", pa.float64()), ("game_date", pa.date32()),
        ("system_id", pa.string()), ("players_requested", pa.int64()),
        ("players_predicted", pa.int64()), ("status", pa.string()),
        ("error_message", pa.string()), ("error_count", pa.int64()),
        ("avg_feature_quality_score", pa.float64()), ("pct_with_vegas_line", pa.float64()),
        ("pct_with_ppm", pa.float64()), ("pct_with_shot_zones", pa.float64()),
        ("feature_store_snapshot_time", pa.timestamp("us", "UTC")),
        ("feature_source_mode", pa.string()), ("orchestration_run_id", pa.string()),
    ])
    return pa.Table.from_pylist(rows, schema=schema)


def generate_season(opts: DemoOptions,
                    write: Callable[[DayTables], None],
                    progress: Callable[[dt.date], None] | None = None,
                    schedule: dict[dt.date, list[ScheduledGame]] | None = None) -> int:
    """Generate day by day in date order; `write` receives each day's tables.

    Returns the number of prediction rows written.
    """
    schedule = opts.schedule() if schedule is None else schedule
    rng = np.random.default_rng(opts.seed)
    league = _league(rng)
    commits = commit_schedule(opts, rng)
    revisions: dict[str, str] = {}
    total = 0
    day = opts.start
    while day <= opts.end:
        tables = generate_day(day, opts, league, commits, revisions, rng, total,
                              schedule.get(day, []))
        total += tables.predictions.num_rows
        write(tables)
        if progress:
            progress(day)
        day += dt.timedelta(days=1)
    return total
