"""prediction_edge on demo seasons, cycle by cycle as `run` sees them (the hourly
schedule, partial slates included): how low a clean slate's distance from the line gets
against its baseline, and how soon a hit-rate-only regression is seen. Only this check
and its rule `prediction_edge_collapsed` run, so a season takes minutes, not the
detection benchmark's twenty.

Prints, per seed: for the clean season, the slates judged, the lowest upper bound of
`prediction_edge_ratio` any cycle saw (the rule fires below 0.75) and the slates that
fired; for the regression season, the first cycle that fired for the main system after
the first regressed batch (hours after it) and any slate that fired elsewhere.

    python benchmarks/prediction_edge.py [--seeds 21,22,23] [--data-dir data/bench]
    python benchmarks/prediction_edge.py --simulate   # clean slates' false-alarm rates

The threshold was chosen on seeds 1-3 and 11-13 (the detection benchmark's); run it on
seeds never used for that.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from detection import INCIDENT, SEASON, first_bad_time, season_file

from monitor.backtest import cycle_times
from monitor.checks import CheckContext
from monitor.checks.prediction_edge import PredictionEdge
from monitor.config import MonitorConfig, load_config
from monitor.demo.options import MAIN_SYSTEM
from monitor.model import EASTERN
from monitor.rules.evaluate import FIRING, evaluate_rule
from monitor.warehouse.duckdb import DuckDBWarehouse

RULE = "prediction_edge_collapsed"


@dataclass
class Season:
    cycles: int = 0
    judged: set[tuple[str, str]] = field(default_factory=set)  # (system, game date)
    lowest: tuple[float, str, str, str] | None = None  # (upper bound, system, date, cycle)
    fired: dict[tuple[str, str], dt.datetime] = field(default_factory=dict)  # first cycle


def replay(path: Path, config: MonitorConfig) -> Season:
    rule = next(r for r in config.rules if r.name == RULE)
    start = dt.datetime.combine(SEASON[0], dt.time(), tzinfo=EASTERN).astimezone(dt.UTC)
    end = dt.datetime.combine(SEASON[1], dt.time(23, 59), tzinfo=EASTERN).astimezone(dt.UTC)
    season = Season()
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        for at in cycle_times(start, end, config.schedule.cycle, config.schedule.timezone):
            season.cycles += 1
            for o in PredictionEdge().measure(wh, CheckContext(as_of=at, config=config)):
                if (o.metric != rule.metric or o.interval is None
                        or o.sample_size < rule.min_sample):
                    continue
                slate = (o.label("system_id") or "", o.label("game_date") or "")
                season.judged.add(slate)
                if season.lowest is None or o.interval[1] < season.lowest[0]:
                    season.lowest = (o.interval[1], *slate, f"{at:%m-%d %H:%M}Z")
                if evaluate_rule(rule, o).state == FIRING:
                    season.fired.setdefault(slate, at)
    finally:
        wh.close()
    return season


def simulate(config: MonitorConfig, trials: int = 200_000, baseline_n: int = 1000) -> None:
    """How often a clean slate fires: slates drawn from the baseline's own edge
    distribution, their ratio interval computed as the check does, for three shapes
    of edge (normal, and the heavier-tailed Laplace and Student t, 3 degrees of
    freedom), at the rule's threshold and minimum slate and at slates of 30."""
    from monitor.stats import ratio_interval

    rule = next(r for r in config.rules if r.name == RULE)
    below = rule.below if rule.below is not None else 0.0
    rng = np.random.default_rng(2026)
    shapes: dict[str, Callable[[tuple[int, ...]], np.ndarray]] = {
        "normal": lambda size: rng.normal(0.0, 3.5, size),
        "laplace": lambda size: rng.laplace(0.0, 2.5, size),
        "t3": lambda size: rng.standard_t(3, size) * 2.5,
    }
    print(f"simulated clean slates ({trials:,} each) against a baseline of {baseline_n:,}: "
          f"share whose whole ratio interval is below {below}")
    for n in sorted({30, rule.min_sample}):
        for name, draw in shapes.items():
            slates = np.abs(draw((trials, n)))
            bases = np.abs(draw((trials // 100, baseline_n)))
            pick = rng.integers(0, len(bases), trials)
            b_mean, b_std = bases.mean(1)[pick], bases.std(1, ddof=1)[pick]
            fired = sum(ratio_interval(float(m), float(s), n, float(bm), float(bs),
                                       baseline_n)[1] < below
                        for m, s, bm, bs in zip(slates.mean(1), slates.std(1, ddof=1),
                                                b_mean, b_std, strict=True))
            print(f"  slate of {n}, {name:<7} edges: {fired / trials:.5f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="21,22,23")
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--simulate", action="store_true",
                        help="only the simulated false-alarm rates of clean slates")
    args = parser.parse_args()
    config = load_config()
    if args.simulate:
        simulate(config)
        return
    args.data_dir.mkdir(parents=True, exist_ok=True)
    print(f"{RULE} replayed hourly {SEASON[0]} – {SEASON[1]}")
    for seed in (int(s) for s in args.seeds.split(",")):
        clean = replay(season_file("b", seed, args.data_dir), config)
        low = clean.lowest
        print(f"seed {seed} clean: {clean.cycles} cycles, {len(clean.judged)} slates judged, "
              f"lowest upper bound " + (f"{low[0]:.3f} ({low[1]} {low[2]}, cycle {low[3]})"
                                        if low else "n/a")
              + f"; fired on {len(clean.fired)} {sorted(clean.fired)}")
        path = season_file("c", seed, args.data_dir)
        regressed = replay(path, config)
        first_bad = first_bad_time(path, "c", config)

        def regressed_slate(slate: tuple[str, str]) -> bool:
            return slate[0] == MAIN_SYSTEM and str(INCIDENT[0]) <= slate[1] < str(INCIDENT[1])

        hits = sorted(at for slate, at in regressed.fired.items() if regressed_slate(slate))
        other = sorted(slate for slate in regressed.fired if not regressed_slate(slate))
        seen = ("MISSED" if not hits else
                f"first fired {hits[0]:%m-%d %H:%M}Z, "
                f"{(hits[0] - first_bad).total_seconds() / 3600:.1f} h after the first "
                "regressed batch")
        print(f"seed {seed} regression: {seen}; fired elsewhere on {len(other)} {other}")


if __name__ == "__main__":
    main()
