"""The league calendar: which dates expect a slate, which games were called off.

Read once per cycle from the schedule scraper's table (`calendar.table` in
alerts.yaml). When there is no calendar (not configured, the table missing or empty)
the monitor cannot tell an off day from a missing slate: `expects_slate` answers
None and callers say so instead of paging.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.model import EASTERN, as_date
from monitor.warehouse.base import QueryRunner, WarehouseError

if TYPE_CHECKING:  # types only: the config comes in with the context
    from monitor.config import MonitorConfig

log = logging.getLogger(__name__)

CALLED_OFF = frozenset({"postponed", "cancelled", "canceled"})
# When two rows of one game and date disagree (an append-only scraper writes the game
# as scheduled, then as postponed), the lower rank wins whatever the rows' order:
# a game once called off on a date stays called off on that date.
STATUS_RANK = {**dict.fromkeys(CALLED_OFF, 0), "final": 1, "scheduled": 2}
# A tip-off is plausible for game date D between D 09:00 and D+1 03:00 US/Eastern.
# Outside it the scraper wrote a placeholder (a TBD tip-off stored as midnight UTC is
# 19:00 the evening before): the tip-off is unknown, and the fixed deadline applies.
EARLIEST_TIPOFF = dt.time(9)  # on the game date
LATEST_TIPOFF = dt.time(3)  # on the day after
# The calendar is read this far around a cycle's date (the extent query); a calendar
# without a game in it is treated as unknown, not as a year of off days.
EXTENT_DAYS = 400
# Days of games read around a cycle's date: the freshness history and the slates.
WINDOW_BEFORE_DAYS = 21
WINDOW_AFTER_DAYS = 1


@dataclass(frozen=True)
class Game:
    game_id: str
    game_date: dt.date
    scheduled_start: dt.datetime | None
    status: str
    matchup: str = ""  # "AWAY @ HOME", for people reading an alert

    @property
    def called_off(self) -> bool:
        return self.status in CALLED_OFF

    @property
    def tipoff(self) -> dt.datetime | None:
        """The scheduled start when it is plausible for the game date; None: unknown."""
        start = self.scheduled_start
        return start if start is not None and plausible_tipoff(self.game_date, start) else None

    @property
    def key(self) -> str:
        """The game on its date, "game_id|YYYY-MM-DD" as queries/ungraded_slates.sql
        builds it: a game postponed on one date and played on another keeps its game_id.
        The date is last and of fixed form, so a "|" inside a game_id is harmless."""
        return f"{self.game_id}|{self.game_date.isoformat()}"


def plausible_tipoff(day: dt.date, start: dt.datetime) -> bool:
    earliest = dt.datetime.combine(day, EARLIEST_TIPOFF, tzinfo=EASTERN)
    latest = dt.datetime.combine(day + dt.timedelta(days=1), LATEST_TIPOFF, tzinfo=EASTERN)
    return earliest <= start <= latest


@dataclass(frozen=True)
class LeagueCalendar:
    """Games of a window of dates, or why the calendar is unknown."""

    table: str | None
    games: tuple[Game, ...] = ()
    window: tuple[dt.date, dt.date] | None = None
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    unknown_reason: str | None = None

    @property
    def known(self) -> bool:
        return self.unknown_reason is None

    def games_on(self, day: dt.date) -> list[Game]:
        return [g for g in self.games if g.game_date == day]

    def playable(self, day: dt.date) -> list[Game]:
        """Games of the day that still expect predictions (not postponed or cancelled)."""
        return [g for g in self.games_on(day) if not g.called_off]

    def called_off_keys(self) -> list[str]:
        """Games called off on their date (`Game.key`): a game postponed on one date and
        played on another with the same game_id is called off only on the first."""
        return sorted(g.key for g in self.games if g.called_off)

    def expects_slate(self, day: dt.date) -> bool | None:
        """True: games are scheduled; False: an off day (or the off-season); None: unknown
        (no calendar, or the day lies outside what was read)."""
        if not self.known or self.window is None:
            return None
        if not self.window[0] <= day <= self.window[1]:
            return None
        return bool(self.playable(day))

    def knows_game(self, game_id: str) -> bool:
        return any(g.game_id == game_id for g in self.games)

    def first_tipoff(self, day: dt.date) -> dt.datetime | None:
        """The day's first known tip-off (implausible ones, placeholders, are unknown)."""
        starts = [g.tipoff for g in self.playable(day) if g.tipoff]
        return min(starts) if starts else None

    def describe(self) -> str:
        """One line for logs and reports: what the monitor knows of the calendar."""
        if not self.known:
            return (f"calendar unknown ({self.unknown_reason}): an off day cannot be told "
                    "from a missing slate, so a missing slate is a warning, not a page")
        last = self.last_date.isoformat() if self.last_date else "none"
        placeholders = sum(1 for g in self.games if g.scheduled_start and not g.tipoff)
        unknown_tipoffs = (f"; {placeholders} tip-offs outside 09:00-03:00 US/Eastern of "
                           "their game date read as unknown (the fixed expected_batch_by "
                           "applies)" if placeholders else "")
        return f"calendar {self.table}: last game date {last}{unknown_tipoffs}"


def unknown(table: str | None, reason: str) -> LeagueCalendar:
    return LeagueCalendar(table, unknown_reason=reason)


def calendar_from_rows(table: str, start: dt.date, end: dt.date,
                       games: list[dict[str, object]],
                       extent: dict[str, object] | None) -> LeagueCalendar:
    """Rows of calendar_games.sql and calendar_extent.sql → the calendar (pure)."""
    if not extent or not extent.get("games"):
        return unknown(table, f"{table} has no game within {EXTENT_DAYS} days")
    return LeagueCalendar(table, one_row_per_game(games), (start, end),
                          as_date(extent["first_date"]), as_date(extent["last_date"]))


def one_row_per_game(rows: Iterable[dict[str, object]]) -> tuple[Game, ...]:
    """One game per (game_id, game_date), whatever the order of the rows: the same
    game_id on two dates is a game rescheduled (each date keeps its own status), two
    rows of one date are a scraper that appends (the lowest STATUS_RANK wins)."""
    by_key: dict[tuple[str, dt.date], Game] = {}
    for row in rows:
        game_id = row.get("game_id")
        day = row.get("game_date")
        if not game_id or day is None:
            continue  # a row without its keys cannot be matched to predictions
        start_at = row.get("scheduled_start")
        game = Game(
            str(game_id), as_date(day),
            start_at.astimezone(dt.UTC) if isinstance(start_at, dt.datetime) else None,
            str(row.get("game_status") or "").strip().lower() or "scheduled",
            f"{row.get('away_team') or '?'} @ {row.get('home_team') or '?'}")
        key = (game.game_id, game.game_date)
        if key not in by_key or _precedence(game) < _precedence(by_key[key]):
            by_key[key] = game
    return tuple(sorted(by_key.values(), key=lambda g: (g.game_date, g.game_id)))


def _precedence(game: Game) -> tuple[int, bool, bool, dt.datetime, str, str]:
    """A total order of one game's rows: status first, then a plausible tip-off over a
    placeholder or none, the earliest, and the rest of the row, so no row order can
    change the winner."""
    start = game.scheduled_start
    return (STATUS_RANK.get(game.status, len(STATUS_RANK)), game.tipoff is None,
            start is None, start or dt.datetime.max.replace(tzinfo=dt.UTC), game.status,
            game.matchup)


def load_calendar(warehouse: QueryRunner, config: MonitorConfig, day: dt.date,
                  before_days: int = WINDOW_BEFORE_DAYS,
                  after_days: int = WINDOW_AFTER_DAYS) -> LeagueCalendar:
    """The calendar around `day`; unknown (never an exception) when it cannot be read."""
    if config.calendar is None:
        return unknown(None, "no calendar configured")
    table = config.calendar.table
    # Far enough back for every past slate freshness reads (the grading look-back).
    fresh = config.settings.freshness
    before_days = max(before_days, fresh.grading_lag_days + fresh.lookback_days + 1)
    start = day - dt.timedelta(days=before_days)
    end = day + dt.timedelta(days=after_days)
    try:
        extent = warehouse.query("calendar_extent", {
            "start_date": day - dt.timedelta(days=EXTENT_DAYS),
            "end_date": day + dt.timedelta(days=EXTENT_DAYS)})
        games = warehouse.query("calendar_games", {"start_date": start, "end_date": end})
    except WarehouseError as exc:
        log.warning("calendar %s unreadable: %s", table, exc)
        return unknown(table, f"{table} unreadable: {exc}")
    return calendar_from_rows(table, start, end, games, extent[0] if extent else None)
