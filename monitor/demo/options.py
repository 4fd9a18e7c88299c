"""What the demo season is: its options (dates, seed, scenario, calendar) and the fixed
facts of its world (the systems, the incident's commits, the league's size, the noise).
Scenarios other than the incident exist for the detection benchmark (clean season,
hit-rate-only regression, coverage drop, a day with no batch).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from monitor.demo.schedule import SEASON_END, ScheduledGame, season_schedule

Scenario = Literal["incident", "clean", "hit_rate_regression", "coverage_drop",
                   "missing_batch"]

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
