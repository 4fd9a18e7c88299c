"""The cost of counting 2 vs 20 critical features: the feature-default query runs one
scan of player_prop_predictions whatever the number of configured keys. Prints the
median time of the query over a demo month, for 2 and for 20 features, against 10
separate scans of 2 features each (what one query per pair of keys would cost).

    python benchmarks/feature_scan.py [--path data/bench-scan.duckdb] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

from monitor.checks.feature_defaults import query_feature_defaults
from monitor.config import CriticalFeature
from monitor.demo import build_demo_warehouse
from monitor.demo.options import DemoOptions
from monitor.warehouse.duckdb import DuckDBWarehouse

DEMO_KEYS = ("ppm_avg_last_10", "has_vegas_line", "team_win_pct", "minutes_avg_last_10")


def features(n: int) -> list[CriticalFeature]:
    """The demo worker's keys first, then keys its rows lack (each still extracted)."""
    keys = [*DEMO_KEYS, *(f"extra_feature_{i}" for i in range(n))][:n]
    return [CriticalFeature(key=k, sentinel=0.0, range=(0.0, 100.0)) for k in keys]


def median_seconds(wh: DuckDBWarehouse, feats: list[CriticalFeature], repeat: int,
                   start: dt.date, end: dt.date) -> float:
    as_of = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        query_feature_defaults(wh, feats, start, end, as_of)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", type=Path, default=Path("data/bench-scan.duckdb"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    opts = DemoOptions(start=dt.date(2025, 10, 21), end=dt.date(2026, 1, 20))
    if not args.path.exists():
        build_demo_warehouse(args.path, opts, show_progress=False)
    start, end = dt.date(2025, 12, 20), dt.date(2026, 1, 19)  # 31 days of slates
    wh = DuckDBWarehouse(args.path, read_only=True)
    try:
        (rows,) = wh.connection.execute(
            "SELECT count(*) FROM nba_predictions.player_prop_predictions "
            "WHERE game_date BETWEEN ? AND ?", [start, end]).fetchone()
        median_seconds(wh, features(2), 1, start, end)  # warm: transpile and cache
        two = median_seconds(wh, features(2), args.repeat, start, end)
        twenty = median_seconds(wh, features(20), args.repeat, start, end)
    finally:
        wh.close()
    print(f"feature_defaults over {rows:,} prediction rows ({start} .. {end}), "
          f"median of {args.repeat}:")
    print(f"   2 features, one scan: {two * 1000:8.1f} ms")
    print(f"  20 features, one scan: {twenty * 1000:8.1f} ms  ({twenty / two:.1f}x)")
    print(f"  20 features as 10 scans of 2 (estimated): {10 * two * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
