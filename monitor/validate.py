"""validate-daily: the checks for one game date with all data present."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from monitor.checks import CheckContext, all_checks
from monitor.config import MonitorConfig
from monitor.exit_codes import ExitCode, exit_code_for, overall_status
from monitor.league_calendar import LeagueCalendar, load_calendar
from monitor.model import CheckResult, Status, eastern_date
from monitor.runner import run_checks
from monitor.warehouse.base import Warehouse


@dataclass
class DailyReport:
    date: dt.date
    results: list[CheckResult]
    generated_at: dt.datetime
    calendar: LeagueCalendar | None = None
    # settings.runbook_base_url: a relative runbook_url is joined to it, else shown as text.
    runbook_base_url: str | None = None

    @property
    def calendar_note(self) -> str:
        return self.calendar.describe() if self.calendar else ""

    @property
    def status(self) -> Status:
        return overall_status(r.status for r in self.results)

    @property
    def exit_code(self) -> ExitCode:
        return exit_code_for(r.status for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "status": self.status.value,
            "calendar": None if self.calendar is None else {
                "table": self.calendar.table, "known": self.calendar.known,
                "last_date": (self.calendar.last_date.isoformat()
                              if self.calendar.last_date else None),
                "note": self.calendar.describe()},
            "checks": [r.to_json() for r in self.results],
        }


def default_date(now: dt.datetime) -> dt.date:
    """Yesterday in US/Eastern: the latest slate whose games are all graded."""
    return eastern_date(now) - dt.timedelta(days=1)


def validate_daily(warehouse: Warehouse, config: MonitorConfig, date: dt.date,
                   now: dt.datetime | None = None) -> DailyReport:
    now = now or dt.datetime.now(dt.UTC)
    league = load_calendar(warehouse, config, date)
    ctx = CheckContext(as_of=now, config=config, mode="daily", target_date=date,
                       calendar=league)
    if league.expects_slate(date) is False and not wrote_anything(warehouse, date):
        return DailyReport(date, off_day(date, league), now, league,
                           config.settings.runbook_base_url)
    # Predictions or batches on a date the calendar has no game for: the calendar is
    # stale, and the checks judge the data (freshness names the unknown games).
    return DailyReport(date, run_checks(warehouse, ctx), now, league,
                       config.settings.runbook_base_url)


# Batches for a game date run from the days before it (early slates) to a few days
# after (retries); a later backfill writes predictions, which are counted whenever.
BATCH_DAYS_BEFORE, BATCH_DAYS_AFTER = 7, 3


def wrote_anything(warehouse: Warehouse, date: dt.date) -> bool:
    """Any prediction (whenever stamped, the future too) or batch for the date."""
    midnight = dt.datetime.combine(date, dt.time(), tzinfo=dt.UTC)
    (row,) = warehouse.query("slate_activity", {
        "game_date": date,
        "exec_from": midnight - dt.timedelta(days=BATCH_DAYS_BEFORE),
        "exec_to": midnight + dt.timedelta(days=BATCH_DAYS_AFTER + 1)})
    return bool(row["predictions"] or row["batches"])


def off_day(date: dt.date, league: LeagueCalendar) -> list[CheckResult]:
    """A date without games and without predictions: nothing was expected, nothing is
    judged (trailing windows ending on an off day are judged on the next game day)."""
    called_off = [g for g in league.games_on(date) if g.called_off]
    why = f" ({len(called_off)} postponed or cancelled)" if called_off else ""
    summary = f"no games scheduled on {date.isoformat()}{why}"
    return [CheckResult(check.name, Status.NO_GAMES, summary) for check in all_checks()]
