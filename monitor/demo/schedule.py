"""The demo's league calendar, shaped like an NBA regular season: opening night in late
October, no games on Thanksgiving or Christmas Eve, an All-Star break of six days in
mid-February, a scattered off day now and then, slates of 1 to 15 games, weekend
afternoon tip-offs, and a game or two postponed on the day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from monitor.model import EASTERN

TEAMS = ("ATL", "BOS", "BKN", "CHA", "CHI", "CLE", "DAL", "DEN", "DET", "GSW", "HOU", "IND",
         "LAC", "LAL", "MEM", "MIA", "MIL", "MIN", "NOP", "NYK", "OKC", "ORL", "PHI", "PHX",
         "POR", "SAC", "SAS", "TOR", "UTA", "WAS")
# Mean slate size per weekday (Monday first): busy Tuesdays, Wednesdays and Fridays.
SLATE_MEAN = (6.0, 8.0, 9.0, 5.0, 9.0, 7.0, 6.0)
EVENING_TIPS = (19.0, 19.0, 19.5, 19.5, 20.0, 21.0, 22.0, 22.5)
AFTERNOON_TIPS = (12.0, 12.5, 13.0, 15.0, 15.5)
AFTERNOON_SHARE = {5: 0.15, 6: 0.35}  # Saturday, Sunday
SEASON_END = dt.date(2026, 4, 12)


@dataclass(frozen=True)
class ScheduledGame:
    game_id: str
    game_date: dt.date
    away: int
    home: int
    tipoff: dt.datetime  # UTC
    status: str  # scheduled | final | postponed


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def league_off_days(start: dt.date, end: dt.date) -> set[dt.date]:
    """Thanksgiving, Christmas Eve and the All-Star break of every season in range."""
    off: set[dt.date] = set()
    for year in range(start.year, end.year + 1):
        off.add(_nth_weekday(year, 11, 3, 4))  # Thanksgiving: 4th Thursday of November
        off.add(dt.date(year, 12, 24))
        all_star_sunday = _nth_weekday(year, 2, 6, 3)  # Presidents' Day weekend
        off.update(all_star_sunday + dt.timedelta(days=d) for d in range(-2, 4))
    return off


def season_schedule(start: dt.date, end: dt.date, rng: np.random.Generator, *,
                    game_days: frozenset[dt.date] = frozenset(),
                    pause: tuple[dt.date, dt.date] | None = None,
                    off_day_rate: float = 0.03, postponed_games: int = 2,
                    played_until: dt.date | None = None) -> dict[dt.date, list[ScheduledGame]]:
    """Games per date from `start` to `end`; dates without games are absent.

    `game_days` always have games (the demo's reference dates); `pause` is a league
    pause (no games, inclusive); games up to `played_until` are final, later ones
    scheduled; `postponed_games` games are postponed on the day.
    """
    off = league_off_days(start, end)
    schedule: dict[dt.date, list[ScheduledGame]] = {}
    day = start
    while day <= end:
        paused = pause is not None and pause[0] <= day <= pause[1]
        scattered = rng.random() < off_day_rate
        if day in game_days or not (day in off or paused or scattered):
            schedule[day] = _slate(day, rng, played_until)
        day += dt.timedelta(days=1)
    candidates = sorted(d for d in schedule if d not in game_days and len(schedule[d]) > 1
                        and (played_until is None or d <= played_until))
    for pick in rng.choice(len(candidates), size=min(postponed_games, len(candidates)),
                           replace=False) if candidates else []:
        games = schedule[candidates[int(pick)]]
        g = int(rng.integers(len(games)))
        old = games[g]
        games[g] = ScheduledGame(old.game_id, old.game_date, old.away, old.home, old.tipoff,
                                 "postponed")
    return schedule


def _slate(day: dt.date, rng: np.random.Generator,
           played_until: dt.date | None) -> list[ScheduledGame]:
    n = int(np.clip(rng.poisson(SLATE_MEAN[day.weekday()]), 1, len(TEAMS) // 2))
    teams = rng.choice(len(TEAMS), size=2 * n, replace=False)
    status = "final" if played_until is None or day <= played_until else "scheduled"
    games = []
    for g in range(n):
        away, home = int(teams[2 * g]), int(teams[2 * g + 1])
        afternoon = rng.random() < AFTERNOON_SHARE.get(day.weekday(), 0.0)
        hour = float(rng.choice(AFTERNOON_TIPS if afternoon else EVENING_TIPS))
        local = dt.datetime.combine(day, dt.time(int(hour), int(60 * (hour % 1))),
                                    tzinfo=EASTERN)
        games.append(ScheduledGame(f"{day:%Y%m%d}_{TEAMS[away]}_{TEAMS[home]}", day, away,
                                   home, local.astimezone(dt.UTC), status))
    return sorted(games, key=lambda x: (x.tipoff, x.game_id))


def schedule_table(games: list[ScheduledGame]) -> pa.Table:
    """Rows of the contract's `game_schedule` table."""
    return pa.table({
        "game_id": pa.array([g.game_id for g in games], pa.string()),
        "game_date": pa.array([g.game_date for g in games], pa.date32()),
        "home_team": pa.array([TEAMS[g.home] for g in games], pa.string()),
        "away_team": pa.array([TEAMS[g.away] for g in games], pa.string()),
        "scheduled_start": pa.array([g.tipoff for g in games], pa.timestamp("us", "UTC")),
        "game_status": pa.array([g.status for g in games], pa.string()),
    })
