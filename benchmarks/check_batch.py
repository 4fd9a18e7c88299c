"""check-batch's answer time on a ~10M-row demo warehouse, and the gate's in-process
cost on a slate of 500 rows. Prints the figures (never asserted).

check-batch is timed as a whole process (`python -m monitor check-batch ...`, what an
orchestrator step runs), on the demo incident's first broken batch (exit 1) and on a
healthy batch of the same slate (exit 0): the execution-log lookup bounded to the
last days, then the batch's rows read with a predicate DuckDB prunes (one game date,
one system). Warm: the transpiled statements are in the SQL cache (every run after
the first); cold: `MONITOR_SQL_CACHE_DIR=off`, sqlglot imported and every query
transpiled.

    python benchmarks/check_batch.py [--scale 46] [--path FILE] [--repeat 5]

--scale 46 ≈ 10M prediction rows (1.0 ≈ 240k). The file is built once and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from monitor.app import data_dir
from monitor.config import load_config
from monitor.demo import build_demo_warehouse
from monitor.demo.options import BROKEN_COMMIT, MAIN_SYSTEM, DemoOptions
from monitor.gate import check_batch
from monitor.warehouse.duckdb import DuckDBWarehouse


def batch_ids(path: Path, day: dt.date) -> tuple[str, str, dt.datetime]:
    """The first broken batch, a healthy batch of the same slate, and a time after both."""
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        rows = wh.connection.execute(
            "SELECT execution_id, build_commit_sha, execution_end_timestamp "
            "FROM nba_predictions.prediction_execution_log WHERE game_date = ? "
            "AND status != 'failed' ORDER BY execution_start_timestamp", [day]).fetchall()
    finally:
        wh.close()
    broken = next(r for r in rows if r[1] == BROKEN_COMMIT)
    healthy = next(r for r in rows if r[1] != BROKEN_COMMIT)
    return str(broken[0]), str(healthy[0]), max(r[2] for r in rows) + dt.timedelta(minutes=1)


def timed(path: Path, execution_id: str, as_of: dt.datetime, env: dict[str, str]) -> (
        tuple[float, int, dict[str, object]]):
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "check-batch", "--warehouse", f"duckdb:///{path}",
         "--execution-id", execution_id, "--as-of", as_of.isoformat(), "--format", "json"],
        capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    return seconds, proc.returncode, json.loads(proc.stdout)


def gate_cost(repeat: int) -> float:
    """Median seconds of check_batch on a 500-row slate (the config already loaded)."""
    line = {"vegas_points_line": 21.5, "has_vegas_line": 1.0, "ppm_avg_last_10": 0.71,
            "team_win_pct": 0.55, "minutes_avg_last_10": 31.0}
    rows = [{"prediction_id": f"p{i}", "system_id": MAIN_SYSTEM, "line_value": 21.5 if i % 2
             else None, "critical_features": json.dumps(line)} for i in range(500)]
    config = load_config()
    check_batch(rows, config=config)
    times = []
    for _ in range(max(repeat, 20)):
        started = time.perf_counter()
        check_batch(rows, config=config)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=46.0)
    parser.add_argument("--path", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    opts = DemoOptions(scale=args.scale)
    path = args.path or data_dir(os.environ) / f"bench-check-batch-{args.scale:g}.duckdb"
    if not path.exists():
        print(f"building {path} (scale {args.scale:g}) ...", flush=True)
        build_demo_warehouse(path, opts, show_progress=False)
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        (rows,), = wh.connection.execute(
            "SELECT count(*) FROM nba_predictions.player_prop_predictions").fetchall()
    finally:
        wh.close()
    broken, healthy, as_of = batch_ids(path, opts.incident_start)
    print(f"{path.name}: {rows:,} prediction rows; as of {as_of:%Y-%m-%d %H:%M}Z")
    with tempfile.TemporaryDirectory() as cache:
        warm_env = {**os.environ, "MONITOR_SQL_CACHE_DIR": cache}
        timed(path, broken, as_of, warm_env)  # fills the SQL cache
        for label, eid in (("first broken batch", broken), ("healthy batch", healthy)):
            runs = [timed(path, eid, as_of, warm_env) for _ in range(args.repeat)]
            code, answer = runs[0][1], runs[0][2]
            batch = answer["batches"][0]  # type: ignore[index]
            print(f"check-batch {label} ({eid}, {batch['rows']} rows): exit {code}, "
                  f"median {statistics.median(r[0] for r in runs):.2f} s warm "
                  f"(min {min(r[0] for r in runs):.2f}, max {max(r[0] for r in runs):.2f})")
        cold = timed(path, broken, as_of, {**os.environ, "MONITOR_SQL_CACHE_DIR": "off"})
        print(f"check-batch cold (no SQL cache: sqlglot and every transpile): "
              f"{cold[0]:.2f} s")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import monitor.cli"], check=True)
    print(f"python start and the CLI's import alone: {time.perf_counter() - started:.2f} s")
    print(f"gate in process (check_batch, 500 rows, config loaded): "
          f"{gate_cost(args.repeat) * 1000:.1f} ms median")


if __name__ == "__main__":
    main()
