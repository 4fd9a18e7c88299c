"""Settled grading: outcome checks judge a game date only once its grades stopped
arriving. Grades land over an hour or more the next morning; a cycle that judged a
half-graded night would fire on it and clear again when the rest landed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.checks.base import CheckContext
from monitor.model import EASTERN, as_date, as_utc
from monitor.warehouse.base import QueryRunner


@dataclass(frozen=True)
class GradingDay:
    game_date: dt.date
    graded: int
    last_graded_at: dt.datetime | None


def grading_settled(day: GradingDay, as_of: dt.datetime, settle: dt.timedelta,
                    deadline: dt.time) -> bool:
    """Pure: no new grade for `settle` after the last one, or the deadline (US/Eastern,
    the day after the game date) passed."""
    cutoff = dt.datetime.combine(day.game_date + dt.timedelta(days=1), deadline,
                                 tzinfo=EASTERN)
    if as_of >= cutoff:
        return True
    return day.last_graded_at is not None and as_of - day.last_graded_at >= settle


@dataclass(frozen=True)
class SettledWindow:
    end: dt.date | None  # the newest settled game date with grades (None: none yet)
    in_progress: tuple[GradingDay, ...] = ()  # later dates whose grading goes on

    def context(self) -> tuple[tuple[str, str], ...]:
        if not self.in_progress:
            return ()
        return (("grading_in_progress", ", ".join(
            f"{d.game_date} ({d.graded} graded so far)" for d in self.in_progress)),)


def settled_window(days: Sequence[GradingDay], as_of: dt.datetime, settle: dt.timedelta,
                   deadline: dt.time) -> SettledWindow:
    """Pure: the newest game date whose grading settled (every date before it is settled
    too, being older), and the dates after it still being graded."""
    ordered = sorted(days, key=lambda d: d.game_date)
    settled = [d for d in ordered if grading_settled(d, as_of, settle, deadline)]
    end = settled[-1].game_date if settled else None
    return SettledWindow(end, tuple(d for d in ordered
                                    if end is None or d.game_date > end))


def grading_days(rows: Sequence[dict[str, Any]]) -> list[GradingDay]:
    return [GradingDay(as_date(r["game_date"]), int(r["graded"] or 0),
                       None if r["last_graded_at"] is None else as_utc(r["last_graded_at"]))
            for r in rows]


def settled_end(warehouse: QueryRunner, ctx: CheckContext, lookback_days: int) -> SettledWindow:
    """The outcome windows' end for a cycle: the newest settled game date."""
    if ctx.mode == "daily" and ctx.target_date:
        return SettledWindow(ctx.target_date)
    fresh = ctx.config.settings.freshness
    rows = warehouse.query("grading_progress", {
        "start_date": ctx.today - dt.timedelta(days=lookback_days),
        "end_date": ctx.today, "as_of": ctx.as_of})
    return settled_window(grading_days(rows), ctx.as_of, fresh.grading_settle,
                          fresh.grading_deadline)
