"""What a check is: a declaration of the metrics it measures plus a measure step
that runs one aggregate query and turns its rows into observations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from monitor.league_calendar import LeagueCalendar, unknown
from monitor.model import Observation, eastern_date
from monitor.warehouse.base import QueryRunner

if TYPE_CHECKING:  # types only: the config comes in with the context
    from monitor.config import MonitorConfig



@dataclass(frozen=True)
class CheckContext:
    """When and what a cycle looks at.

    mode "cycle": the scheduled run at `as_of` (today's and tomorrow's slates, the
    days before, outcome windows ending at the latest graded date).
    mode "daily": validate-daily for one game date with all data present.
    """

    as_of: dt.datetime
    config: MonitorConfig
    mode: Literal["cycle", "daily"] = "cycle"
    target_date: dt.date | None = None
    run_id: str = ""
    # Read once per cycle (monitor.league_calendar.load_calendar); None: not read.
    calendar: LeagueCalendar | None = None

    @property
    def league(self) -> LeagueCalendar:
        return self.calendar or unknown(None, "calendar not read")

    @property
    def slate_date(self) -> dt.date:
        """The slate a prediction-time look is about: today, or validate-daily's date."""
        return self.target_date if self.mode == "daily" and self.target_date else self.today

    @property
    def today(self) -> dt.date:
        return eastern_date(self.as_of)

    def slate_window(self, lookback_days: int) -> tuple[dt.date, dt.date]:
        if self.mode == "daily" and self.target_date:
            return self.target_date, self.target_date
        today = self.today
        return today - dt.timedelta(days=lookback_days), today + dt.timedelta(days=1)


class Check(Protocol):
    name: str
    description: str
    # metric name → the label names its observations carry
    metrics: dict[str, tuple[str, ...]]

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]: ...
