"""Wall time of `prediction-monitor --help` and of one `run` on the demo warehouse.

    python benchmarks/cold_start.py [--repeat 5]

Builds data/demo.duckdb first when it is missing; runs each `run` on a copy so the
demo warehouse is not written to.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "prediction-monitor"


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(BIN), *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    demo = Path("data/demo.duckdb")
    if not demo.exists():
        subprocess.run([str(BIN), "demo"], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOOGLE_"))}
    helps = [timed(["--help"], env) for _ in range(args.repeat)]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        env["MONITOR_METRICS_DIR"] = str(Path(tmp) / "metrics")
        for i in range(args.repeat):
            copy = Path(tmp) / f"demo-{i}.duckdb"
            shutil.copy(demo, copy)
            runs.append(timed(["run", "--warehouse", f"duckdb:///{copy}",
                               "--as-of", "2026-01-09T15:15:00Z"], env))
    for label, times in (("prediction-monitor --help", helps),
                         ("prediction-monitor run (demo, DuckDB)", runs)):
        print(f"{label}: median {statistics.median(times) * 1000:.0f} ms, "
              f"min {min(times) * 1000:.0f} ms over {len(times)} runs")


if __name__ == "__main__":
    main()
