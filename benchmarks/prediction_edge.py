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

The threshold was chosen on seeds 1-3 and 11-13 (the detection benchmark's); run it on
seeds never used for that.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from detection import INCIDENT, SEASON, fetch, season_file

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="21,22,23")
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    config = load_config()
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
        ((first_bad,),) = fetch(path, "SELECT min(predicted_at) FROM "
                                "nba_predictions.player_prop_predictions "
                                "WHERE system_id = ? AND game_date = ?",
                                [MAIN_SYSTEM, INCIDENT[0]])
        hits = sorted(at for (system, day), at in regressed.fired.items()
                      if system == MAIN_SYSTEM and day >= str(INCIDENT[0]))
        other = sorted(slate for slate in regressed.fired if not (
            slate[0] == MAIN_SYSTEM and str(INCIDENT[0]) <= slate[1] < str(INCIDENT[1])))
        seen = ("MISSED" if not hits else
                f"first fired {hits[0]:%m-%d %H:%M}Z, "
                f"{(hits[0] - first_bad).total_seconds() / 3600:.1f} h after the first "
                "regressed batch")
        print(f"seed {seed} regression: {seen}; fired elsewhere on {len(other)} {other}")


if __name__ == "__main__":
    main()
