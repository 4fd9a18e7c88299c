"""Real-season benchmark: a warehouse in the data contract built on a real NBA season
(real dates, postponements, breaks, box scores and points), replayed hourly with the
backtest's replay (monitor/backtest.py) and the default rules.

    python benchmarks/real_season.py --data ../shared/real_data [--seed 7]
        [--scenario clean|incident|hit_rate_only|coverage_drop|all] [--workers 2]

The data is a season in the format of ../shared/real_data/ (its README):
games_<season>.csv, box_<season>.csv.gz, postponements_<season>.csv. Nothing but this
benchmark reads it.

What is simulated on top of the real games and points (fixed by --seed):
- The model: a simple rolling-average model, `r` (the mean of the player's last 10
  played games, points) plus N(0, MODEL_NOISE), its own imperfection. It knows nothing
  of the game's outcome; every player listed in the box score with 3 played games before
  is predicted (a DNP, DND or NWT player too: predicted, never graded).
- The lines: players with r >= LINE_MIN_POINTS get one, line = r + N(0, LINE_NOISE)
  (the market's price, mispriced against the same public average), at a half or whole
  point. A pick is OVER/UNDER when |predicted - line| >= 1 point, else PASS. The model's
  information is the line's mispricing, so its high-edge picks hit more (about 62% at
  3+ points). Clean hit rate on picks: about 57% (printed), ~39 picks a game day.
- Batches: 2-3 a day per system (13:00, 17:00, 21:00 UTC rounds), the last active;
  grading the next morning, one graded_at per game between 09:00 and 10:00 UTC.
- Commits: a healthy deploy every 5-10 days.
- game_schedule: every game on its real date ('final'), and each postponed game also
  on its original date ('postponed'; not predicted, announced before the batches).

Scenarios: clean; incident (the seed's: a stale commit in backfill mode from
EVENT_START for 21 days, has_vegas_line = 0.0 and ppm_avg_last_10 = 0.4 on 85% of its
rows, predictions hugging the line); hit_rate_only (a new commit from EVENT_START whose
predictions keep their distance from the line but take a random side: a true 50% on
picks, features and unlined predictions healthy, 21 days); coverage_drop (lines for
55% as many players for 21 days, quality unchanged).

Prints alerts by rule and severity, the time (from the first bad batch's start) and
graded game days to the first alert on the bad commit, and the judged share: of the
(commit, system, game day) label sets with a graded pick after the first month, the
share whose hit-rate and edge tests were judged by the first cycle after the day's
grading settled.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from monitor.backtest import BacktestAlert, BacktestIncident, backtest, cycle_times
from monitor.checks import CheckContext
from monitor.checks.outcome_drift import OutcomeDrift
from monitor.config import MonitorConfig, load_config
from monitor.demo.generator import _log_table
from monitor.model import EASTERN
from monitor.schema import apply_schema
from monitor.warehouse.duckdb import DuckDBWarehouse

SYSTEM = "catboost_v8"
BROKEN_COMMIT = "0b5e11ad"
REGRESSED_COMMIT = "5ca1ab1e"
MODEL_NOISE = 1.5
LINE_MIN_POINTS, LINE_NOISE = 11.0, 1.5
PASS_EDGE = 1.0
MIN_HISTORY = 3
EVENT_DAYS = 21
SCENARIOS = ("clean", "incident", "hit_rate_only", "coverage_drop")
DEFAULT_TIPOFF = dt.time(19, 30)
QUALITY_RULES = {"hit_rate_below_55", "hit_rate_drift_detected", "edge_drift_detected",
                 "pick_agreement_dropped",
                 "mae_drift_detected", "prediction_edge_collapsed"}


@dataclass(frozen=True)
class Game:
    game_id: str
    game_date: dt.date
    home: str
    away: str
    tipoff: dt.datetime  # UTC


@dataclass(frozen=True)
class BoxRow:
    game_id: str
    team: str
    player_id: str
    played: bool
    minutes: float
    points: float


@dataclass
class Season:
    games: list[Game]
    postponed: list[tuple[str, dt.date]]  # (game_id, original date)
    box: dict[str, list[BoxRow]]

    @property
    def first_day(self) -> dt.date:
        return min(g.game_date for g in self.games)

    @property
    def last_day(self) -> dt.date:
        return max(g.game_date for g in self.games)

    def game_days(self) -> list[dt.date]:
        return sorted({g.game_date for g in self.games})


def _tipoff(day: dt.date, text: str) -> dt.datetime:
    clock = DEFAULT_TIPOFF
    text = text.strip().lower().replace(" et", "")
    if text:
        parsed = dt.datetime.strptime(text, "%I:%M %p")
        clock = parsed.time()
    return dt.datetime.combine(day, clock, tzinfo=EASTERN).astimezone(dt.UTC)


def _minutes(text: str) -> float:
    """Decimal minutes, or MM:SS as some box-score extracts write them."""
    text = text.strip()
    if ":" in text:
        mins, secs = text.split(":", 1)
        return float(mins or 0) + float(secs or 0) / 60
    return float(text or 0)


def load_season(data: Path) -> Season:
    games_file = next(data.glob("games_*.csv"))
    tag = games_file.stem.removeprefix("games_")
    with games_file.open() as f:
        games = [Game(r["game_id"], dt.date.fromisoformat(r["game_date"]), r["home_team"],
                      r["away_team"], _tipoff(dt.date.fromisoformat(r["game_date"]),
                                              r.get("tipoff_et") or ""))
                 for r in csv.DictReader(f)]
    postponed: list[tuple[str, dt.date]] = []
    post_file = data / f"postponements_{tag}.csv"
    if post_file.exists():
        with post_file.open() as f:
            postponed = [(r["game_id"], dt.date.fromisoformat(r["original_date"]))
                         for r in csv.DictReader(f) if (r.get("original_date") or "").strip()]
    box: dict[str, list[BoxRow]] = defaultdict(list)
    with gzip.open(data / f"box_{tag}.csv.gz", "rt") as f:
        for r in csv.DictReader(f):
            minutes = _minutes(r.get("min") or "")
            played = not r["comment"].strip() and minutes > 0
            box[r["game_id"]].append(BoxRow(r["game_id"], r["team"], r["player_id"], played,
                                            minutes, float(r.get("pts") or 0)))
    return Season(sorted(games, key=lambda g: (g.game_date, g.tipoff, g.game_id)),
                  postponed, dict(box))


@dataclass
class Player:
    points: list[float] = field(default_factory=list)
    minutes: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Event:
    scenario: str
    start: dt.date
    end: dt.date  # exclusive: the fix (or the next commit) from this day

    def active(self, day: dt.date) -> bool:
        return self.scenario != "clean" and self.start <= day < self.end


def event_window(season: Season) -> Event:
    """The bad stretch: from the first game day 8 weeks into the season, 21 days."""
    days = season.game_days()
    start = next(d for d in days if d >= season.first_day + dt.timedelta(days=56))
    return Event("clean", start, start + dt.timedelta(days=EVENT_DAYS))


def commit_schedule(season: Season, rng: np.random.Generator, event: Event) -> dict[dt.date, str]:
    commits: dict[dt.date, str] = {}
    day, sha = season.first_day, f"{rng.integers(16**8):08x}"
    next_deploy = day + dt.timedelta(days=int(rng.integers(5, 11)))
    while day <= season.last_day:
        if day >= next_deploy or day == event.end:
            sha = f"{rng.integers(16**8):08x}"
            next_deploy = day + dt.timedelta(days=int(rng.integers(5, 11)))
        commits[day] = sha
        day += dt.timedelta(days=1)
    return commits


def _utc(day: dt.date, hour: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(hours=hour)


def build_warehouse(path: Path, season: Season, scenario: str, seed: int) -> dict[str, Any]:
    """The season's warehouse for a scenario; returns facts of what was written."""
    rng = np.random.default_rng([seed, SCENARIOS.index(scenario)])
    world = np.random.default_rng(seed)  # the same model, lines and commits in every scenario
    event = Event(scenario, *_window(season))
    commits = commit_schedule(season, world, event)
    tmp = path.with_suffix(".partial.duckdb")
    tmp.unlink(missing_ok=True)
    wh = DuckDBWarehouse(tmp, "nba_predictions")
    players: dict[str, Player] = defaultdict(Player)
    wins: Counter[str] = Counter()
    played_games: Counter[str] = Counter()
    picks = hits = 0
    n_pred = 0
    try:
        apply_schema(wh)
        wh.insert_arrow("game_schedule", _schedule_table(season))
        by_day: dict[dt.date, list[Game]] = defaultdict(list)
        for g in season.games:
            by_day[g.game_date].append(g)
        for day in season.game_days():
            games = by_day[day]
            rows = _slate_rows(games, season, players, wins, played_games, world)
            if rows["n"]:
                tables = _day_tables(day, rows, scenario, event, commits, rng, n_pred)
                n_pred += tables[0].num_rows
                for table, data in zip(("player_prop_predictions", "prediction_accuracy",
                                        "prediction_execution_log"), tables, strict=True):
                    if data.num_rows:
                        wh.insert_arrow(table, data)
                acc = tables[1]
                if acc.num_rows and not event.active(day):
                    correct = acc.column("prediction_correct").to_pylist()
                    picks += sum(1 for c in correct if c is not None)
                    hits += sum(1 for c in correct if c)
            _update_history(games, season, players, wins, played_games)
        wh.connection.execute("CHECKPOINT")
    finally:
        wh.close()
    tmp.replace(path)
    return {"predictions": n_pred, "clean_picks": picks, "clean_hits": hits,
            "event_start": event.start, "event_end": event.end}


def _window(season: Season) -> tuple[dt.date, dt.date]:
    e = event_window(season)
    return e.start, e.end


def _schedule_table(season: Season) -> pa.Table:
    tip = {g.game_id: g for g in season.games}
    rows = [(g.game_id, g.game_date, g.home, g.away, g.tipoff, "final") for g in season.games]
    for game_id, original in season.postponed:
        g = tip.get(game_id)
        if g is None:
            continue
        clock = g.tipoff.astimezone(EASTERN).time()
        start = dt.datetime.combine(original, clock, tzinfo=EASTERN).astimezone(dt.UTC)
        rows.append((game_id, original, g.home, g.away, start, "postponed"))
    rows.sort(key=lambda r: (r[1], r[4], r[0]))
    return pa.table({
        "game_id": pa.array([r[0] for r in rows], pa.string()),
        "game_date": pa.array([r[1] for r in rows], pa.date32()),
        "home_team": pa.array([r[2] for r in rows], pa.string()),
        "away_team": pa.array([r[3] for r in rows], pa.string()),
        "scheduled_start": pa.array([r[4] for r in rows], pa.timestamp("us", "UTC")),
        "game_status": pa.array([r[5] for r in rows], pa.string()),
    })


def _slate_rows(games: list[Game], season: Season, players: dict[str, Player],
                wins: Counter[str], played_games: Counter[str],
                rng: np.random.Generator) -> dict[str, Any]:
    """Every box-score player of the day's games with enough history: the public
    average, the model's prediction, the line, the outcome."""
    out: dict[str, list[Any]] = defaultdict(list)
    for g in games:
        for b in season.box.get(g.game_id, []):
            hist = players[b.player_id]
            if len(hist.points) < MIN_HISTORY:
                continue
            last = hist.points[-10:]
            r = float(np.mean(last))
            mins = float(np.mean(hist.minutes[-10:]))
            out["game_id"].append(g.game_id)
            out["player"].append(b.player_id)
            out["team"].append(b.team)
            out["r"].append(r)
            out["ppm"].append(sum(last) / max(sum(hist.minutes[-10:]), 1.0))
            out["minutes"].append(mins)
            out["played"].append(b.played)
            out["actual"].append(b.points)
            out["win_pct"].append(wins[b.team] / played_games[b.team]
                                  if played_games[b.team] else 0.5)
            out["tipoff"].append(g.tipoff)
    n = len(out["r"])
    mean = np.array(out["r"], float)
    actual = np.array(out["actual"], float)
    # The draws come in a fixed order, the same in every scenario.
    model = mean + rng.normal(0, MODEL_NOISE, n)  # no look at the outcome
    raw = mean + rng.normal(0, LINE_NOISE, n)
    whole = rng.random(n) < 0.5
    line = np.maximum(np.where(whole, np.round(raw), np.floor(raw) + 0.5), 0.5)
    coin = rng.random(n) < 0.5  # the regressed commit's side
    keep_line = rng.random(n)  # who keeps a line in a coverage drop
    filled = rng.random(n) < 0.85  # the broken commit's defaulted rows
    broken_noise = rng.normal(0, 4.4, n)
    return {"n": n, **{k: np.array(v) for k, v in out.items()}, "r": mean, "actual": actual,
            "model": model, "line": line, "has_line": mean >= LINE_MIN_POINTS, "coin": coin,
            "keep_line": keep_line, "filled": filled, "broken_noise": broken_noise,
            "tipoff_list": out["tipoff"]}


def _update_history(games: Iterable[Game], season: Season, players: dict[str, Player],
                    wins: Counter[str], played_games: Counter[str]) -> None:
    for g in games:
        rows = season.box.get(g.game_id, [])
        for b in rows:
            if b.played:
                players[b.player_id].points.append(b.points)
                players[b.player_id].minutes.append(b.minutes)
        score: dict[str, float] = defaultdict(float)
        for b in rows:
            score[b.team] += b.points
        if len(score) == 2:
            (t1, p1), (t2, p2) = sorted(score.items(), key=lambda kv: -kv[1])
            played_games[t1] += 1
            played_games[t2] += 1
            if p1 > p2:
                wins[t1] += 1


def _day_tables(day: dt.date, s: dict[str, Any], scenario: str, event: Event,
                commits: dict[dt.date, str], rng: np.random.Generator,
                id_offset: int) -> tuple[pa.Table, pa.Table, pa.Table]:
    n = s["n"]
    active = event.active(day)
    broken = active and scenario == "incident"
    regressed = active and scenario == "hit_rate_only"
    has_line = s["has_line"].copy()
    if active and scenario == "coverage_drop":
        has_line &= s["keep_line"] < 0.55
    commit = (BROKEN_COMMIT if broken else REGRESSED_COMMIT if regressed else commits[day])
    line = s["line"]
    pred = s["model"].copy()
    if regressed:  # the same distance from the line, a random side: no information
        dist = np.abs(pred - line)
        pred = np.where(has_line, line + np.where(s["coin"], dist, -dist), pred)
    if broken:
        pred = np.where(has_line, line + s["broken_noise"], s["r"] + s["broken_noise"])
    pred = np.round(np.maximum(pred, 0.0), 1)
    li = np.where(has_line, line, np.nan)
    edge = pred - li
    rec = np.where(~has_line | (np.abs(np.nan_to_num(edge)) < PASS_EDGE), "PASS",
                   np.where(edge > 0, "OVER", "UNDER"))
    filled = s["filled"] & broken
    line_seen = has_line & ~filled
    features = _contract_features(np.where(line_seen, line, np.nan),
                                  np.where(line_seen, 1.0, 0.0),
                                  np.where(filled, 0.4, s["ppm"]), s["win_pct"])
    pred_parts: list[pa.Table] = []
    log_rows: list[dict[str, Any]] = []
    n_batches = int(rng.integers(2, 4))
    rounds = [13.0 + 4.0 * b + float(rng.uniform(0, 0.5)) for b in range(n_batches)]
    for b, hour in enumerate(rounds):
        final = b == n_batches - 1
        started = _utc(day, hour)
        predicted_at = started + dt.timedelta(minutes=float(rng.uniform(2, 20)))
        ended = predicted_at + dt.timedelta(minutes=float(rng.uniform(1, 4)))
        ids = [f"pred_{i:09d}" for i in range(id_offset, id_offset + n)]
        id_offset += n
        pred_parts.append(pa.table({
            "prediction_id": pa.array(ids, pa.string()),
            "system_id": pa.array([SYSTEM] * n, pa.string()),
            "player_lookup": pa.array(s["player"], pa.string()),
            "game_id": pa.array(s["game_id"], pa.string()),
            "game_date": pa.array([day] * n, pa.date32()),
            "predicted_points": pa.array(pred, pa.float64()),
            "line_value": pa.array(li, pa.float64(), from_pandas=True),
            "recommendation": pa.array(rec, pa.string()),
            "confidence_score": pa.array(np.round(np.clip(
                0.5 + np.nan_to_num(np.abs(edge)) / 12, 0.5, 0.95), 3), pa.float64()),
            "is_active": pa.array([final] * n, pa.bool_()),
            "superseded": pa.array([not final] * n, pa.bool_()),
            "build_commit_sha": pa.array([commit] * n, pa.string()),
            "deployment_revision": pa.array([f"prediction-worker-{commit[:5]}"] * n,
                                            pa.string()),
            "predicted_at": pa.array([predicted_at] * n, pa.timestamp("us", "UTC")),
            "critical_features": features,
        }))
        log_rows.append({
            "execution_id": f"exec_{day:%Y%m%d}_{SYSTEM}_{b}",
            "batch_id": f"batch_{day:%Y%m%d}_{b}", "build_commit_sha": commit,
            "deployment_revision": f"prediction-worker-{commit[:5]}",
            "execution_start_timestamp": started, "execution_end_timestamp": ended,
            "duration_seconds": (ended - started).total_seconds(), "game_date": day,
            "system_id": SYSTEM, "players_requested": n, "players_predicted": n,
            "status": "success", "error_message": None, "error_count": 0,
            "avg_feature_quality_score": round(float(
                rng.uniform(68, 74) if broken else rng.uniform(86, 94)), 2),
            "pct_with_vegas_line": round(100 * float(has_line.sum()) / n, 2),
            "pct_with_ppm": round(100 * float((~filled).sum()) / n, 2),
            "pct_with_shot_zones": round(float(rng.uniform(92, 99)), 2),
            "feature_store_snapshot_time": started - dt.timedelta(minutes=30),
            "feature_source_mode": "backfill" if broken else "daily",
            "orchestration_run_id": f"orch_{day:%Y%m%d}_{b}",
        })
    # Grading: the next morning, one time per game between 09:00 and 10:00 UTC; a player
    # who did not play is never graded.
    game_ids = s["game_id"]
    graded_hour = {g: 9.0 + float(rng.uniform(0, 1)) for g in sorted(set(game_ids))}
    played = s["played"].astype(bool)
    act = s["actual"]
    correct = np.where(rec == "OVER", act > li, act < li).astype(object)
    correct[(rec == "PASS") | (has_line & (act == li))] = None
    idx = np.flatnonzero(played)
    graded_at = [_utc(day + dt.timedelta(days=1), graded_hour[game_ids[i]]) for i in idx]
    final_table = pred_parts[-1]
    acc = pa.table({
        **{c: final_table.column(c).take(pa.array(idx)) for c in (
            "prediction_id", "system_id", "player_lookup", "game_id", "game_date",
            "predicted_points", "line_value", "recommendation", "confidence_score",
            "build_commit_sha", "critical_features")},
        "actual_points": pa.array(act[idx], pa.float64()),
        "prediction_correct": pa.array(list(correct[idx]), pa.bool_()),
        "absolute_error": pa.array(np.round(np.abs(pred - act), 2)[idx], pa.float64()),
        "signed_error": pa.array(np.round(pred - act, 2)[idx], pa.float64()),
        "graded_at": pa.array(graded_at, pa.timestamp("us", "UTC")),
    })
    order = pa.array(np.argsort([str(t) for t in graded_at], kind="stable")) if idx.size else None
    if order is not None:
        acc = acc.take(order)
    return pa.concat_tables(pred_parts), acc, _log_table(log_rows)


def _contract_features(vegas: np.ndarray, has_vegas: np.ndarray, ppm: np.ndarray,
                       win_pct: np.ndarray) -> pa.Array:
    """The contract's four keys, as the seed's worker writes them (no fifth key)."""
    import pyarrow.compute as pc

    def num(values: np.ndarray, digits: int) -> pa.Array:
        arr = pa.array(np.round(values, digits), from_pandas=True)
        return pc.fill_null(pc.cast(arr, pa.string()), "null")

    has = pc.if_else(pa.array(has_vegas == 1.0), "1.0", "0.0")
    return pc.binary_join_element_wise(
        '{"vegas_points_line": ', num(vegas, 1), ', "has_vegas_line": ', has,
        ', "ppm_avg_last_10": ', num(ppm, 4), ', "team_win_pct": ', num(win_pct, 3), "}", "")



# --- replay ----------------------------------------------------------------------------

def replay_start(season: Season) -> dt.date:
    """The first month's end: every commit has a baseline by then."""
    return season.first_day + dt.timedelta(days=31)


def replay_times(season: Season, start: dt.date, end: dt.date,
                 config: MonitorConfig) -> list[dt.datetime]:
    first = dt.datetime.combine(start, dt.time(), tzinfo=EASTERN).astimezone(dt.UTC)
    last = dt.datetime.combine(end, dt.time(23, 59), tzinfo=EASTERN).astimezone(dt.UTC)
    return cycle_times(first, last, config.schedule.cycle, config.schedule.timezone)


@dataclass
class Result:
    scenario: str
    facts: dict[str, Any]
    alerts: list[BacktestAlert]
    cycles: int
    seconds: float
    first_alert: BacktestAlert | None = None
    graded_days_to_first: int | None = None
    first_bad: dt.datetime | None = None
    first_graded: dt.datetime | None = None
    judged: tuple[int, int] | None = None
    not_judged: Counter[str] = field(default_factory=Counter)
    incidents: list[BacktestIncident] = field(default_factory=list)


def _fetch(path: Path, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        return wh.connection.execute(sql, params).fetchall()
    finally:
        wh.close()


def run_scenario(scenario: str, data: Path, seed: int, work: Path,
                 full: bool = False) -> Result:
    season = load_season(data)
    path = work / f"real-{data.resolve().name}-{scenario}-{seed}.duckdb"
    facts_file = path.with_suffix(".facts")
    if not path.exists():
        facts = build_warehouse(path, season, scenario, seed)
        facts_file.write_text(json.dumps({k: str(v) for k, v in facts.items()}))
    facts = json.loads(facts_file.read_text())
    config = load_config()
    start, end = replay_start(season), season.last_day
    event_start = dt.date.fromisoformat(facts["event_start"])
    if scenario != "clean" and not full:  # the bad stretch: from 2 days before it to 3
        # days after its fix, so the incident's whole life (and its resolution) is seen
        event_end = dt.date.fromisoformat(facts["event_end"])
        start, end = event_start - dt.timedelta(days=2), event_end + dt.timedelta(days=3)
    times = replay_times(season, start, end, config)
    began = time.monotonic()
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        runs, _ = backtest(wh, {"default": config}, times)
    finally:
        wh.close()
    result = Result(scenario, facts, runs["default"].alerts, len(times),
                    time.monotonic() - began, incidents=runs["default"].incidents)
    if scenario == "clean":
        result.judged, result.not_judged = judged_share(path, season, config)
        return result
    bad_commit = {"incident": BROKEN_COMMIT, "hit_rate_only": REGRESSED_COMMIT}.get(scenario)
    if bad_commit:
        # From the first bad batch's start: the execution log shows a backfill on a
        # stale commit before the batch's predictions land.
        ((first_bad,),) = _fetch(path, "SELECT min(execution_start_timestamp) FROM "
                                 "nba_predictions.prediction_execution_log "
                                 "WHERE build_commit_sha = ?", [bad_commit])
        ((first_graded,),) = _fetch(path, "SELECT min(graded_at) FROM "
                                    "nba_predictions.prediction_accuracy "
                                    "WHERE build_commit_sha = ?", [bad_commit])
        result.first_bad = first_bad.astimezone(dt.UTC)
        result.first_graded = first_graded.astimezone(dt.UTC)
        # The incident: any alert naming the commit (its features are the symptom); the
        # regression: an outcome or prediction-edge alert (its features are healthy).
        hits = [a for a in result.alerts if a.event == "fired"
                and a.label("build_commit_sha") in (bad_commit, "all", "")
                and (scenario == "incident" or a.rule in QUALITY_RULES)
                and (a.label("build_commit_sha") or a.rule in QUALITY_RULES)
                and a.time >= result.first_bad]
    else:
        ((first_bad,),) = _fetch(path, "SELECT min(execution_start_timestamp) FROM "
                                 "nba_predictions.prediction_execution_log "
                                 "WHERE game_date >= ?", [event_start])
        result.first_bad = first_bad.astimezone(dt.UTC)
        hits = [a for a in result.alerts if a.event == "fired"
                and a.rule == "vegas_coverage_drop" and a.time >= result.first_bad]
    if hits:
        result.first_alert = hits[0]
        if bad_commit:
            ((graded_days,),) = _fetch(path, "SELECT count(DISTINCT game_date) FROM "
                                       "nba_predictions.prediction_accuracy "
                                       "WHERE build_commit_sha = ? AND graded_at <= ?",
                                       [bad_commit, hits[0].time])
            result.graded_days_to_first = int(graded_days)
    return result


def judged_share(path: Path, season: Season, config: MonitorConfig) -> tuple[
        tuple[int, int], Counter[str]]:
    """Of the (commit, system, game day) label sets with a graded pick after the first
    month: how many had their hit-rate and edge tests judged (a value) by the cycle at
    14:00 ET the next day (grading settled), and why the others were not."""
    rows = _fetch(path, "SELECT system_id, build_commit_sha, game_date FROM "
                        "nba_predictions.prediction_accuracy WHERE prediction_correct "
                        "IS NOT NULL AND game_date >= ? GROUP BY 1, 2, 3 ORDER BY 3",
                  [replay_start(season)])
    judged = total = 0
    why: Counter[str] = Counter()
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        for system, commit, day in rows:
            at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(14),
                                     tzinfo=EASTERN).astimezone(dt.UTC)
            ctx = CheckContext(as_of=at, config=config)
            obs = [o for o in _drift(wh, ctx, at)
                   if dict(o.labels).get("system_id") == system
                   and dict(o.labels).get("build_commit_sha") == commit
                   and o.metric in ("hit_rate_drift", "edge_drift")]
            total += 1
            values = {o.metric: o for o in obs}
            if all(m in values and values[m].value is not None
                   for m in ("hit_rate_drift", "edge_drift")):
                judged += 1
            else:
                reasons = sorted({dict(o.context).get("not_judged", "no value")
                                  for o in obs if o.value is None}) or ["no observation"]
                why["; ".join(reasons)] += 1
    finally:
        wh.close()
    return (judged, total), why


_drift_cache: dict[dt.datetime, list[Any]] = {}


def _drift(wh: DuckDBWarehouse, ctx: CheckContext, at: dt.datetime) -> list[Any]:
    if at not in _drift_cache:
        _drift_cache[at] = OutcomeDrift().measure(wh, ctx)
    return _drift_cache[at]


# --- report ----------------------------------------------------------------------------

def describe_incidents(incidents: list[BacktestIncident]) -> list[str]:
    """What Slack would have got, per incident: top-level posts (pages), threaded
    replies (reminders among them), chat.update edits. With a bot token pages +
    replies are the chat.postMessage calls; a webhook sends the same number of
    messages, each on its own, and no updates."""
    pages = sum(i.pages for i in incidents)
    replies = sum(i.replies for i in incidents)
    lines = [f"    incidents {len(incidents)}: pages {pages}, replies {replies} (reminders "
             f"{sum(i.reminders for i in incidents)}), updates "
             f"{sum(i.updates for i in incidents)}; chat.postMessage {pages + replies}"]
    for i in sorted(incidents, key=lambda i: i.number):
        closed = f"resolved {i.resolved:%Y-%m-%d %H:%M}Z" if i.resolved else "open at the end"
        rules = sorted({m.rule for m in i.members})
        lines.append(f"      #{i.number} {i.key} ({i.severity}), opened "
                     f"{i.opened:%Y-%m-%d %H:%M}Z, {closed}: {len(i.members)} members "
                     f"({', '.join(rules)}); pages {i.pages}, replies {i.replies}, "
                     f"updates {i.updates}")
    return lines


def describe(r: Result) -> str:
    fired = [a for a in r.alerts if a.event == "fired"]
    by_rule = Counter((a.rule, a.severity) for a in fired)
    lines = [f"({r.scenario}) {r.cycles} hourly cycles in {r.seconds:.0f} s; "
             f"fired {len(fired)}: critical {sum(1 for a in fired if a.severity == 'critical')},"
             f" warning {sum(1 for a in fired if a.severity == 'warning')}"]
    for (rule, severity), n in sorted(by_rule.items()):
        lines.append(f"    {rule} ({severity}): {n}")
    lines += describe_incidents(r.incidents)
    if r.scenario == "clean":
        picks, hits = int(r.facts["clean_picks"]), int(r.facts["clean_hits"])
        lines.append(f"    model: {picks} graded picks, hit rate {hits / max(picks, 1):.3f}")
        for a in fired:
            local = a.time.astimezone(EASTERN)
            lines.append(f"    {a.time:%Y-%m-%d %H:%M}Z ({local:%H:%M} ET) {a.rule} "
                         f"{dict(a.labels)}")
        if r.judged:
            judged, total = r.judged
            lines.append(f"    judged share: {judged}/{total} = "
                         f"{judged / max(total, 1):.1%}")
            for reason, n in r.not_judged.most_common(5):
                lines.append(f"      not judged ({n}): {reason}")
        return "\n".join(lines)
    if r.first_alert is None:
        lines.append("    first alert: MISSED")
        return "\n".join(lines)
    assert r.first_bad is not None
    hours = (r.first_alert.time - r.first_bad).total_seconds() / 3600
    text = (f"    first alert {r.first_alert.time:%Y-%m-%d %H:%M}Z by {r.first_alert.rule} "
            f"({r.first_alert.severity}), {hours:.1f} h after the first bad batch")
    if r.graded_days_to_first is not None:
        text += f", {r.graded_days_to_first} graded game days of the commit"
    if r.first_graded is not None:
        text += f"; before grading: {r.first_alert.time < r.first_graded}"
    lines.append(text)
    if r.first_alert.evidence:
        lines.append(f"      {r.first_alert.evidence.reason}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/real_data"),
                        help="a season in real_data's format")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scenario", default="all", choices=(*SCENARIOS, "all"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work-dir", type=Path, default=Path("data/real_season"))
    parser.add_argument("--full", action="store_true",
                        help="replay every scenario over the whole season, not only its "
                             "bad stretch")
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    scenarios = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_scenario, scenarios, [args.data] * len(scenarios),
                                [args.seed] * len(scenarios),
                                [args.work_dir] * len(scenarios),
                                [args.full] * len(scenarios)))
    season = load_season(args.data)
    print(f"real season {season.first_day} – {season.last_day} from {args.data}: "
          f"{len(season.games)} games, {len(season.postponed)} postponed; seed {args.seed}; "
          f"clean replay {replay_start(season)} – {season.last_day}, the bad stretch from "
          f"{results[0].facts['event_start']}")
    for r in results:
        print(describe(r))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
