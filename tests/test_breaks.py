"""After a break (the All-Star break, a season opener) nothing is due before the day's
deadline: the monitor's no-data alert waits for it as on any other day."""

from __future__ import annotations

import datetime as dt

from monitor.checks.freshness import data_expected
from monitor.config import FreshnessSettings as Freshness
from monitor.league_calendar import Game, LeagueCalendar, unknown
from monitor.model import EASTERN

BREAK_END = dt.date(2021, 3, 10)  # the first game day after the 2021 All-Star break


def calendar(*days: dt.date) -> LeagueCalendar:
    games = tuple(Game(f"g{d:%m%d}", d, dt.datetime.combine(d, dt.time(19), tzinfo=EASTERN)
                       .astimezone(dt.UTC), "scheduled") for d in days)
    return LeagueCalendar("game_schedule", games, (dt.date(2021, 2, 1), dt.date(2021, 4, 1)),
                          dt.date(2020, 12, 22), dt.date(2021, 5, 16))


def et(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=EASTERN)


def test_midnight_after_a_break_expects_nothing_until_the_deadline() -> None:
    league = calendar(dt.date(2021, 3, 4), BREAK_END, BREAK_END + dt.timedelta(days=1))
    fresh = Freshness()  # expected_batch_by 11:00 ET
    assert data_expected(et(BREAK_END, 0, 15), fresh, league) is False
    assert data_expected(et(BREAK_END, 10, 59), fresh, league) is False
    assert data_expected(et(BREAK_END, 11, 0), fresh, league) is True
    # The next day, yesterday's batches are there to be read from midnight on.
    assert data_expected(et(BREAK_END + dt.timedelta(days=1), 0, 15), fresh, league) is True


def test_off_days_and_an_unknown_calendar() -> None:
    league = calendar(dt.date(2021, 3, 4))
    fresh = Freshness()
    assert data_expected(et(dt.date(2021, 3, 6), 12), fresh, league) is False
    assert data_expected(et(dt.date(2021, 3, 5), 1), fresh, league) is False
    assert data_expected(et(BREAK_END, 12), fresh, unknown(None, "none")) is None
