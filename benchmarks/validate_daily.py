"""validate-daily against its raw-SQL floor, whole process each, and prints the figures.

The floor is the card's three checks (hit_rate_by_commit, feature_defaults,
vegas_coverage_trend) as plain DuckDB SQL: the statements and parameters those checks
send, run by a Python process that imports only duckdb. Runs are paired (floor, then
validate-daily, alternating) so both see the same machine load; the printed ratio is
the median of the pairs' ratios. Peak RSS is each process's own (wait4), not the sum.

    python benchmarks/validate_daily.py [--scale 42] [--pairs 5] [--path FILE]

--scale 42 ≈ 10M prediction rows (1.0 ≈ 240k). The file is built once and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.app import data_dir
from monitor.checks import CheckContext
from monitor.checks.feature_defaults import FeatureDefaults
from monitor.checks.hit_rate_by_commit import HitRateByCommit
from monitor.checks.vegas_coverage_trend import VegasCoverageTrend
from monitor.config import load_config
from monitor.demo import HEALTHY_DATE, build_demo_warehouse
from monitor.demo.options import DemoOptions
from monitor.league_calendar import load_calendar
from monitor.warehouse.duckdb import DuckDBWarehouse

FLOOR = """
import pickle, sys
import duckdb
plan = pickle.loads(open(sys.argv[2], "rb").read())
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET TimeZone = 'UTC'")
for statements in plan:
    for sql, params in statements:
        con.execute(sql, params).fetchall()
"""


class Recorder:
    """Runs the checks' queries and keeps each one's statements and parameters."""

    def __init__(self, warehouse: DuckDBWarehouse) -> None:
        self.inner = warehouse
        self.dataset = warehouse.dataset
        self.kind = warehouse.kind
        self.plan: list[list[tuple[str, dict[str, Any]]]] = []

    def query(self, name: str, params: Mapping[str, Any], *,
              labels: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        statements = self.inner.statements(name, params)
        self.plan.append([(s, DuckDBWarehouse._used(s, params)) for s in statements])
        return self.inner.query(name, params)


def floor_plan(path: Path, date: dt.date, now: dt.datetime) -> bytes:
    config = load_config()
    warehouse = DuckDBWarehouse(path, config.dataset, read_only=True,
                                tables=config.table_names())
    try:
        recorder = Recorder(warehouse)
        ctx = CheckContext(as_of=now, config=config, mode="daily", target_date=date,
                           calendar=load_calendar(warehouse, config, date))
        for check in (HitRateByCommit(), FeatureDefaults(), VegasCoverageTrend()):
            check.measure(recorder, ctx)
    finally:
        warehouse.close()
    return pickle.dumps(recorder.plan)


# Forks the measured process from a small one: on Linux a child's peak RSS starts at
# its forking parent's (kept across exec), and this benchmark's own process is large.
LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), time.perf_counter() - started, usage.ru_maxrss,
      file=sys.stderr)
"""


def timed(argv: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one whole process, which must exit with one of
    the `ok` codes (a floor that crashed half-way would be a fast floor)."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *argv], env=env,
                          capture_output=True, text=True, check=True)
    code, seconds, kib = done.stderr.split()[-3:]
    if int(code) not in ok:
        raise SystemExit(f"{argv[:4]} exited {code}:\n{done.stderr}")
    return float(seconds), int(kib) // 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=42.0, help="42 ≈ 10M prediction rows")
    parser.add_argument("--path", type=Path, help="default: bench-SCALE.duckdb in the data "
                                                  "folder (MONITOR_DATA_DIR)")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=HEALTHY_DATE)
    args = parser.parse_args()
    path = (args.path or data_dir(os.environ) / f"bench-{args.scale:g}.duckdb").resolve()
    if not path.exists():
        started = time.perf_counter()
        rows = build_demo_warehouse(path, DemoOptions(scale=args.scale), show_progress=False)
        print(f"built {rows:,} prediction rows in {time.perf_counter() - started:.0f} s")
    con = DuckDBWarehouse(path, read_only=True)
    (rows,) = con.connection.execute(
        "SELECT count(*) FROM nba_predictions.player_prop_predictions").fetchone() or (0,)
    con.close()
    now = dt.datetime.now(dt.UTC)

    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "floor.pickle"
        plan.write_bytes(floor_plan(path, args.date, now))
        env = {**os.environ, "MONITOR_SQL_CACHE_DIR": str(Path(tmp) / "sql")}
        floor = [sys.executable, "-c", FLOOR, str(path), str(plan)]
        monitor = [sys.executable, "-m", "monitor", "validate-daily", "--warehouse",
                   f"duckdb:///{path}", "--date", args.date.isoformat(), "--format", "json"]
        checked = (0, 1)  # validate-daily: the day passed, or a check failed
        cold = timed(monitor, env, checked)  # fills the SQL cache; the OS page cache too
        timed(floor, env)
        pairs = [(timed(floor, env), timed(monitor, env, checked)) for _ in range(args.pairs)]

    ratios = [m[0] / f[0] for f, m in pairs]
    floor_s = statistics.median(f[0] for f, _ in pairs)
    monitor_s = statistics.median(m[0] for _, m in pairs)
    print(f"validate-daily {args.date} on {rows:,} prediction rows, {args.pairs} paired runs "
          f"(whole process each, warm SQL cache):")
    print(f"  raw-SQL floor (3 card checks, duckdb only): median {floor_s:.2f} s, "
          f"peak RSS {max(f[1] for f, _ in pairs)} MiB")
    print(f"  validate-daily (all checks):                median {monitor_s:.2f} s, "
          f"peak RSS {max(m[1] for _, m in pairs)} MiB")
    print(f"  ratio to the floor: median {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x)")
    print(f"  cold validate-daily (empty SQL cache): {cold[0]:.2f} s, peak RSS {cold[1]} MiB")


if __name__ == "__main__":
    main()
