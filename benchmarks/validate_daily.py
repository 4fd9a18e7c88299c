"""Times validate-daily on a ~1M-row demo warehouse and prints the figures.

    python benchmarks/validate_daily.py [--scale 4.2] [--path data/bench-1m.duckdb]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from monitor.config import load_config
from monitor.demo import HEALTHY_DATE, build_demo_warehouse, incident_first_date
from monitor.demo.generator import DemoOptions
from monitor.validate import validate_daily
from monitor.warehouse.duckdb import DuckDBWarehouse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=4.2, help="4.2 ≈ 1M prediction rows")
    parser.add_argument("--path", type=Path, default=Path("data/bench-1m.duckdb"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    opts = DemoOptions(scale=args.scale)
    if not args.path.exists():
        started = time.perf_counter()
        rows = build_demo_warehouse(args.path, opts)
        print(f"built {rows:,} prediction rows in {time.perf_counter() - started:.1f} s")
    config = load_config()
    wh = DuckDBWarehouse(args.path, read_only=True)
    (rows,) = wh.connection.execute(
        "SELECT count(*) FROM nba_predictions.player_prop_predictions").fetchone()
    for label, date in (("healthy", HEALTHY_DATE), ("incident", incident_first_date(opts))):
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            report = validate_daily(wh, config, date)
            times.append(time.perf_counter() - started)
        print(f"validate-daily {date} ({label}, {rows:,} rows): status={report.status.value} "
              f"median {statistics.median(times) * 1000:.0f} ms, "
              f"min {min(times) * 1000:.0f} ms over {args.repeat} runs")
    wh.close()


if __name__ == "__main__":
    main()
