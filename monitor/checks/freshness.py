"""Missing data is reported as missing: a slate with scheduled games and no batch by
its expected time, a scheduled game a system did not predict, past slates still
ungraded after their grading time, and predictions the calendar does not know (a
stale calendar). Off days and postponed or cancelled games are expected silence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.checks.base import CheckContext
from monitor.league_calendar import LeagueCalendar
from monitor.metrics.registry import check_metrics
from monitor.model import EASTERN, Observation, as_date, make_labels
from monitor.stats import safe_ratio
from monitor.warehouse.base import QueryRunner, Record

if TYPE_CHECKING:  # types only: the config comes in with the context
    from monitor.config import FreshnessSettings

SHOWN_GAMES = 5
# How far back the execution log is read for the systems a slate expects: past an
# off-season (mid-June to late October) with room to spare, yet bounded by the log's
# partition column so the query's cost follows the window, not the table.
SYSTEMS_LOOKBACK_DAYS = 200


def slate_deadline(day: dt.date, fresh: FreshnessSettings,
                   league: LeagueCalendar) -> dt.datetime:
    """When the day's first batch is due: the fixed time, or earlier when the first
    tip-off minus `expected_batch_before_tipoff` comes first. A tip-off implausible for
    the day (a TBD stored as midnight UTC) is unknown: it moves no deadline."""
    fixed = dt.datetime.combine(day, fresh.expected_batch_by, tzinfo=EASTERN)
    lead, tipoff = fresh.expected_batch_before_tipoff, league.first_tipoff(day)
    if lead is not None and tipoff is not None:
        return min(fixed, tipoff - lead).astimezone(dt.UTC)
    return fixed.astimezone(dt.UTC)


def data_expected(as_of: dt.datetime, fresh: FreshnessSettings,
                  league: LeagueCalendar) -> bool | None:
    """Whether a cycle at `as_of` on a game day should find data: today's slate is past
    its deadline, or yesterday had a slate (its batches are still in the look-back). On
    the first day after a break (the All-Star break, a season opener), before its
    deadline, nothing is due yet. False on an off day; None: the calendar is unknown."""
    today = as_of.astimezone(EASTERN).date()
    expected_today = league.expects_slate(today)
    if not expected_today:
        return expected_today
    if as_of >= slate_deadline(today, fresh, league):
        return True
    return bool(league.expects_slate(today - dt.timedelta(days=1)))


def partial_slate(day: dt.date, league: LeagueCalendar,
                  predicted: Sequence[Record]) -> list[Observation]:
    """Predictions per scheduled game, for each system that predicted some of the day's
    games: a game with none is a partial slate. Called-off games expect nothing."""
    counts: dict[tuple[str, str], int] = {}
    for row in predicted:
        if as_date(row["game_date"]) == day:
            key = (str(row["system_id"]), str(row["game_id"]))
            counts[key] = counts.get(key, 0) + int(row["predictions"])
    systems = sorted({system for system, _ in counts})
    return [Observation(
        "freshness", "game_predictions",
        make_labels(system_id=system, game_date=day, game_id=game.game_id),
        float(counts.get((system, game.game_id), 0)), counts.get((system, game.game_id), 0),
        context=(("matchup", game.matchup),
                 ("tip-off", f"{game.tipoff:%Y-%m-%d %H:%M}Z" if game.tipoff else "unknown")))
        for system in systems for game in league.playable(day)]


def stale_calendar(league: LeagueCalendar, predicted: Sequence[Record]) -> list[Observation]:
    """Predicted games the calendar does not know: the scraper stopped, or is behind."""
    if not league.known or not predicted or league.table is None:
        return []
    games = {(as_date(r["game_date"]), str(r["game_id"])) for r in predicted
             if r.get("game_id") is not None}
    missing = sorted((day, game) for day, game in games if not league.knows_game(game))
    dates = sorted({day.isoformat() for day, _ in missing})
    shown = ", ".join(f"{game} ({day})" for day, game in missing[:SHOWN_GAMES])
    more = f" and {len(missing) - SHOWN_GAMES} more" if len(missing) > SHOWN_GAMES else ""
    last = league.last_date.isoformat() if league.last_date else "none"
    context: tuple[tuple[str, str], ...] = (("calendar last game date", last),)
    if missing:
        context += (("unknown games", shown + more), ("game dates", ", ".join(dates)))
    return [Observation("freshness", "calendar_unknown_games",
                        make_labels(calendar_table=league.table), float(len(missing)),
                        len(games), context=context)]


class Freshness:
    name = "freshness"
    description = ("A batch for each slate with scheduled games by its expected time, "
                   "every scheduled game predicted, past slates graded, a current calendar")
    metrics: dict[str, tuple[str, ...]] = check_metrics("freshness")

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        fresh = ctx.config.settings.freshness
        league = ctx.league
        slate = ctx.slate_date
        expected = league.expects_slate(slate)
        deadline = slate_deadline(slate, fresh, league)
        # validate-daily looks at a past date with all data present.
        due = ctx.mode == "daily" or ctx.as_of >= deadline
        out: list[Observation] = []
        if due and expected is not False:
            out += self._slate_batches(warehouse, ctx, slate, expected, deadline)
        start, end = ctx.slate_window(ctx.config.settings.prediction_lookback_days)
        predicted = warehouse.query("predicted_games", {
            "start_date": start, "end_date": end, "as_of": ctx.as_of})
        if due and expected:
            out += partial_slate(slate, league, predicted)
        out += stale_calendar(league, predicted)
        out += self._graded(warehouse, ctx, slate, league)
        return out

    def _slate_batches(self, warehouse: QueryRunner, ctx: CheckContext, slate: dt.date,
                       expected: bool | None, deadline: dt.datetime) -> list[Observation]:
        fresh = ctx.config.settings.freshness
        league = ctx.league
        games = league.playable(slate)
        context = (("expected_by", f"{deadline.astimezone(EASTERN):%H:%M} US/Eastern"),
                   ("calendar", f"{len(games)} games scheduled" if expected
                    else league.describe()))
        out = []
        # The systems expected are those of the log's latest game days, however far
        # back: after the off-season or a league pause, the season before's. Without a
        # calendar only batches of the last lookback_days count: a week without any
        # batch then reads as the off-season, not as a warning every day for months.
        # Counted from the slate, not from as_of: validate-daily judges a past date now.
        back = SYSTEMS_LOOKBACK_DAYS if expected else fresh.lookback_days
        history_from = dt.datetime.combine(slate - dt.timedelta(days=back), dt.time(),
                                           tzinfo=dt.UTC)
        for row in warehouse.query("slate_freshness", {
                "game_date": slate, "history_from": history_from, "as_of": ctx.as_of,
                "game_days": fresh.lookback_days}):
            # Attempted batches: a failed first batch with its retry still to come
            # is the batch-failure rule's business; no attempt at all is no data. A
            # batch the gate blocked was never published: it is not counted.
            blocked = int(row["blocked_batches"])
            out.append(Observation(
                self.name, "slate_batches",
                make_labels(system_id=row["system_id"], game_date=slate,
                            calendar="known" if expected else "unknown"),
                float(row["batches"]), int(row["batches"]), None, None,
                (*context, ("successful_batches", str(row["good_batches"])),
                 *((("blocked_batches", str(blocked)),
                    ("blocked_commit", row["blocked_commit"] or "")) if blocked else ()))))
        return out

    def _graded(self, warehouse: QueryRunner, ctx: CheckContext, slate: dt.date,
                league: LeagueCalendar) -> list[Observation]:
        fresh = ctx.config.settings.freshness
        graded_until = (slate if ctx.mode == "daily" else
                        ctx.today - dt.timedelta(days=fresh.grading_lag_days))
        out = []
        for row in warehouse.query("ungraded_slates", {
                "start_date": graded_until - dt.timedelta(days=fresh.lookback_days),
                "end_date": graded_until, "as_of": ctx.as_of,
                "called_off_keys": league.called_off_keys()}):
            predicted, graded = int(row["predicted"]), int(row["graded"])
            out.append(Observation(
                self.name, "graded_share",
                make_labels(system_id=row["system_id"], game_date=row["game_date"]),
                safe_ratio(min(graded, predicted), predicted), predicted, None, None,
                (("graded", str(graded)),)))
        return out
