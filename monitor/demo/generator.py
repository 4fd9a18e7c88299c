"""A seeded, realistic season in the data contract's tables, with the seed's incident.

Vectorised with numpy and written day by day in date order, so DuckDB's zone maps
keep a date window cheap to read. Slates follow the demo's league calendar
(monitor/demo/schedule.py): no batch on an off day, a postponed game predicted in
the morning and never graded. What a season is: monitor/demo/options.py; how one game
day is drawn: monitor/demo/slate.py; here, the day's loop and its Arrow tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from monitor.demo.options import FIXED_COMMIT, PASS_EDGE, DemoOptions
from monitor.demo.schedule import ScheduledGame
from monitor.demo.slate import (
    League,
    draw_batch,
    draw_league,
    draw_slate,
    graded_columns,
    log_row,
    predicted_points,
    system_day,
)


@dataclass
class DayTables:
    predictions: pa.Table
    accuracy: pa.Table
    execution_log: pa.Table


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


def generate_day(day: dt.date, opts: DemoOptions, league: League, commits: dict[dt.date, str],
                 revisions: dict[str, str], rng: np.random.Generator,
                 id_offset: int, games: list[ScheduledGame]) -> DayTables:
    """One game day of every system: its batches' predictions, their execution-log rows
    and the final batch's graded rows. The random draws come in a fixed order (the
    slate, then per system and batch), so a seed gives the same season every time."""
    if not games:  # an off day: the orchestrator runs no batch
        return DayTables(pa.table({}), pa.table({}), _log_table([]))
    slate = draw_slate(day, opts, league, rng, games)
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
        who = system_day(s_index, system, slate, opts, commits, revisions, rng)
        for b in range(n_batches):
            batch = draw_batch(b, n_batches, rounds[b], slate, rng)
            idx, m = batch.idx, batch.idx.size
            pred = predicted_points(slate, who, idx, rng)
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
            log_rows.append(log_row(slate, who, batch, ended, filled, rng))
            if batch.final:
                _append(acc_cols, graded_columns(slate, predicted, idx, pred, li, rec, rng))
    return DayTables(_concat(pred_cols), _concat(acc_cols), _log_table(log_rows))


def _commit_column(commit: str, legacy: bool, m: int, rng: np.random.Generator) -> pa.Array:
    if not legacy:
        return pa.array(np.full(m, commit))
    # Older code wrote no commit: NULL or 'unknown', as the seed describes.
    values = np.where(rng.random(m) < 0.5, "unknown", "")
    return pa.array([None if v == "" else v for v in values], pa.string())


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
    league = draw_league(rng)
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
