"""The league calendar: off days page no one, postponed games expect nothing, a missing
or partial slate on a game day is reported, and an unknown or stale calendar is said."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import pytest

from monitor.cli import main
from monitor.config import Calendar, MonitorConfig
from monitor.cycle import CycleSummary, run_cycle
from monitor.league_calendar import load_calendar
from monitor.model import Observation, Status
from monitor.notify.body import MessageBody
from monitor.notify.formats.block_kit import block_kit
from monitor.notify.memory import MemoryNotifier
from monitor.rules.state import AlertEvent
from monitor.rules.store import MemoryAlertStore
from monitor.validate import validate_daily
from tests.conftest import ROOT
from tests.contract import ContractDB, ts

EASTERN_OFFSET = dt.timedelta(hours=5)  # US/Eastern in winter
GAME_DAY = dt.date(2026, 1, 14)  # a Wednesday
OFF_DAY = dt.date(2026, 1, 15)
SATURDAY = dt.date(2026, 1, 17)


def eastern(day: dt.date, hour: float) -> dt.datetime:
    return (dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            + dt.timedelta(hours=hour) + EASTERN_OFFSET)


def season(db: ContractDB, days: Sequence[dt.date], *, schedule: bool = True,
           games_per_day: int = 2, systems: Sequence[str] = ("catboost_v8",)) -> None:
    """Game days with a batch, predictions and grades for each system, and (optionally)
    the calendar rows for them."""
    for day in days:
        for g in range(games_per_day):
            game = f"{day:%Y%m%d}_G{g}"
            if schedule:
                db.game(day=day, game_id=game)
            for system in systems:
                for _ in range(3):
                    db.prediction(system=system, day=day, game_id=game,
                                  predicted_at=ts(day, 13))
                    db.graded(system=system, day=day, game_id=game)
        for system in systems:
            db.batch(system=system, day=day, started=ts(day, 13))


def cycle(db: ContractDB, config: MonitorConfig, at: dt.datetime,
          store: MemoryAlertStore | None = None) -> CycleSummary:
    return run_cycle(db.wh, config, MemoryNotifier(), store or MemoryAlertStore(), as_of=at,
                     run_id=f"run-{at:%Y%m%d%H%M}")


def fired(summary: CycleSummary) -> list[AlertEvent]:
    return [e for e in summary.events if e.event_type == "fired"]


def fired_rules(summary: CycleSummary) -> set[str]:
    return {e.rule for e in fired(summary)}


def before(day: dt.date, n: int) -> list[dt.date]:
    return [day - dt.timedelta(days=k) for k in range(n, 0, -1)]


def test_an_off_day_pages_no_one_and_validate_daily_says_no_games(
        db: ContractDB, config: MonitorConfig, capsys: pytest.CaptureFixture[str]) -> None:
    season(db, [*before(OFF_DAY, 10)])
    db.game(day=OFF_DAY + dt.timedelta(days=1), game_id="tomorrow")
    summary = cycle(db, config, eastern(OFF_DAY, 16))
    assert not [e for e in fired(summary) if e.rule.startswith("slate_")], fired(summary)
    assert not [e for e in fired(summary) if e.severity == "critical"]

    report = validate_daily(db.wh, config, OFF_DAY)
    assert report.status is Status.NO_GAMES and int(report.exit_code) == 0
    assert {r.status for r in report.results} == {Status.NO_GAMES}
    db.close()
    for fmt in ("text", "markdown", "json"):
        code = main(["validate-daily", "--warehouse", db.url, "--date", str(OFF_DAY),
                     "--format", fmt])
        out = capsys.readouterr().out
        assert code == 0, out
        assert f"no games scheduled on {OFF_DAY}" in out
        if fmt == "json":
            data = json.loads(out)
            assert data["status"] == "no-games"
            assert {c["status"] for c in data["checks"]} == {"no-games"}
            assert data["calendar"]["known"] is True


@pytest.mark.parametrize("written", ["future-stamped predictions", "a failed batch"])
def test_a_date_the_calendar_lacks_is_judged_when_anything_was_written_for_it(
        written: str, db: ContractDB, config: MonitorConfig) -> None:
    """The scraper stopped (the calendar ends the day before): rows stamped later than
    the clock, or a batch with no rows, are data to judge — never a silent no-games."""
    season(db, before(OFF_DAY, 10))
    now = eastern(OFF_DAY + dt.timedelta(days=1), 9)
    if written == "a failed batch":
        db.batch(day=OFF_DAY, status="failed", predicted=0, error="feature store timeout")
    else:
        for p in range(40):
            db.prediction(day=OFF_DAY, game_id="unknown_game", player=f"player_{p}",
                          predicted_at=now + dt.timedelta(days=2))
    report = validate_daily(db.wh, config, OFF_DAY, now=now)
    assert report.status is not Status.NO_GAMES, [(r.name, r.status) for r in report.results]
    assert int(report.exit_code) != 0


def test_a_game_day_without_a_batch_pages_after_its_expected_time(
        db: ContractDB, config: MonitorConfig) -> None:
    season(db, before(GAME_DAY, 10))
    db.game(day=GAME_DAY, game_id="late")
    assert "slate_no_data" not in fired_rules(cycle(db, config, eastern(GAME_DAY, 10.75)))
    summary = cycle(db, config, eastern(GAME_DAY, 11.25))
    alerts = [e for e in fired(summary) if e.rule == "slate_no_data"]
    assert [(e.severity, dict(e.labels)["game_date"]) for e in alerts] == [
        ("critical", str(GAME_DAY))]
    # With games scheduled and no data, validate-daily stays no-data: exit 1.
    report = validate_daily(db.wh, config, GAME_DAY)
    assert int(report.exit_code) == 1
    assert Status.NO_DATA in {r.status for r in report.results}


def test_an_early_tipoff_moves_the_deadline_forward(db: ContractDB,
                                                    config: MonitorConfig) -> None:
    season(db, before(SATURDAY, 10))
    db.game(day=SATURDAY, game_id="matinee", tipoff_hour=12.5 + 5)  # 12:30 US/Eastern
    db.game(day=SATURDAY, game_id="evening", tipoff_hour=19 + 5)
    lead = config.settings.freshness.expected_batch_before_tipoff
    assert lead == dt.timedelta(hours=2)  # the default: due at 10:30 for a 12:30 tip-off
    assert "slate_no_data" not in fired_rules(cycle(db, config, eastern(SATURDAY, 10.25)))
    assert "slate_no_data" in fired_rules(cycle(db, config, eastern(SATURDAY, 10.6)))
    fixed_only = config.model_copy(update={"settings": config.settings.model_copy(update={
        "freshness": config.settings.freshness.model_copy(
            update={"expected_batch_before_tipoff": None})})})
    assert "slate_no_data" not in fired_rules(cycle(db, fixed_only, eastern(SATURDAY, 10.6)))


def test_a_tipoff_written_as_midnight_utc_moves_no_deadline(
        db: ContractDB, config: MonitorConfig) -> None:
    season(db, before(GAME_DAY, 10))
    db.game(day=GAME_DAY, game_id="late")  # 19:00 US/Eastern
    # A TBD tip-off stored as 00:00 UTC of the game date: 19:00 the evening before.
    db.game(day=GAME_DAY, game_id="tbd", tipoff_hour=0.0)
    league = load_calendar(db.wh, config, GAME_DAY)
    assert league.first_tipoff(GAME_DAY) == ts(GAME_DAY, 0) + dt.timedelta(hours=24)
    assert "1 tip-offs outside 09:00-03:00 US/Eastern" in league.describe()
    for hour in (0.5, 3.5, 8.0, 10.75):  # the first cycles of game day: not due yet
        assert "slate_no_data" not in fired_rules(cycle(db, config, eastern(GAME_DAY, hour)))
    assert "slate_no_data" in fired_rules(cycle(db, config, eastern(GAME_DAY, 11.25)))


@pytest.mark.parametrize(("day", "eastern_time", "plausible"), [
    (GAME_DAY, "2026-01-14 09:00", True), (GAME_DAY, "2026-01-14 08:59", False),
    (GAME_DAY, "2026-01-15 03:00", True), (GAME_DAY, "2026-01-15 03:01", False),
    (GAME_DAY, "2026-01-13 19:00", False),
    # Across the spring change of clocks (2026-03-08): still wall-clock US/Eastern.
    (dt.date(2026, 3, 7), "2026-03-08 03:00", True),
    (dt.date(2026, 3, 8), "2026-03-08 08:59", False),
    (dt.date(2026, 3, 8), "2026-03-08 09:00", True)])
def test_a_plausible_tipoff_lies_between_9_and_3_us_eastern(
        day: dt.date, eastern_time: str, plausible: bool) -> None:
    from monitor.league_calendar import plausible_tipoff
    from monitor.model import EASTERN

    start = dt.datetime.fromisoformat(eastern_time).replace(tzinfo=EASTERN)
    assert plausible_tipoff(day, start.astimezone(dt.UTC)) is plausible


def test_a_scheduled_game_without_predictions_is_a_partial_slate(
        db: ContractDB, config: MonitorConfig) -> None:
    season(db, before(GAME_DAY, 5), systems=("catboost_v8", "ensemble_v1"))
    season(db, [GAME_DAY], systems=("catboost_v8", "ensemble_v1"))
    db.game(day=GAME_DAY, game_id="20260114_LAL_BOS", home="BOS", away="LAL")
    summary = cycle(db, config, eastern(GAME_DAY, 12))
    partial = [e for e in fired(summary) if e.rule == "slate_partial"]
    assert sorted((dict(e.labels)["system_id"], dict(e.labels)["game_id"], e.severity)
                  for e in partial) == [("catboost_v8", "20260114_LAL_BOS", "warning"),
                                        ("ensemble_v1", "20260114_LAL_BOS", "warning")]
    assert "slate_no_data" not in fired_rules(summary)
    report = validate_daily(db.wh, config, GAME_DAY)
    freshness = next(r for r in report.results if r.name == "freshness")
    assert freshness.status is Status.WARN and "20260114_LAL_BOS" in freshness.summary


def test_a_postponed_game_needs_no_predictions_and_no_grading(
        db: ContractDB, config: MonitorConfig) -> None:
    season(db, before(GAME_DAY, 6))
    season(db, [GAME_DAY])
    # Called off on the day: predicted in the morning, never graded.
    db.game(day=GAME_DAY, game_id="called_off", status="postponed")
    for _ in range(20):
        db.prediction(day=GAME_DAY, game_id="called_off", predicted_at=ts(GAME_DAY, 13))
    # And a postponed game nobody predicted.
    db.game(day=GAME_DAY, game_id="called_off_early", status="postponed")
    rules = fired_rules(cycle(db, config, eastern(GAME_DAY, 12)))
    assert "slate_partial" not in rules
    two_days_on = fired_rules(cycle(db, config, eastern(GAME_DAY + dt.timedelta(days=2), 12)))
    assert "slate_ungraded" not in two_days_on
    report = validate_daily(db.wh, config, GAME_DAY)
    assert report.status is Status.OK, [(r.name, r.summary) for r in report.results]


@pytest.mark.parametrize("statuses", [
    ("scheduled", "postponed"), ("postponed", "scheduled"), ("scheduled", " Postponed "),
    ("final", "postponed", "scheduled")])
def test_a_game_written_twice_on_one_date_is_called_off_whatever_the_row_order(
        db: ContractDB, config: MonitorConfig, statuses: tuple[str, ...]) -> None:
    # An append-only scraper: the game as scheduled, then the same game postponed.
    season(db, before(GAME_DAY, 10))
    for status in statuses:
        db.game(day=GAME_DAY, game_id="X", status=status)
    league = load_calendar(db.wh, config, GAME_DAY)
    assert [(g.game_id, g.status) for g in league.games_on(GAME_DAY)] == [("X", "postponed")]
    assert league.expects_slate(GAME_DAY) is False
    assert validate_daily(db.wh, config, GAME_DAY).status is Status.NO_GAMES


def test_one_row_per_game_does_not_depend_on_the_order_of_the_rows() -> None:
    from itertools import permutations

    from monitor.league_calendar import one_row_per_game

    def row(status: str | None, start: dt.datetime | None,
            day: dt.date = GAME_DAY) -> dict[str, object]:
        return {"game_id": "X", "game_date": day, "home_team": "BOS", "away_team": "NYK",
                "scheduled_start": start, "game_status": status}

    evening = ts(GAME_DAY, 0) + dt.timedelta(hours=24)
    placeholder = ts(GAME_DAY, 0)
    cases = [
        ([row("postponed", None), row("scheduled", evening)], ("postponed", None)),
        ([row("scheduled", placeholder), row("scheduled", evening), row(None, None)],
         ("scheduled", evening)),  # a real tip-off over a TBD placeholder
        ([row("final", evening), row("SCHEDULED", evening)], ("final", evening)),
    ]
    for rows, (status, start) in cases:
        for order in permutations(rows):
            games = one_row_per_game(order)
            assert [(g.status, g.scheduled_start) for g in games] == [(status, start)], order
    # The same game_id on two dates is two games: rescheduled, each date its own status.
    moved = one_row_per_game([row("scheduled", None, GAME_DAY),
                              row("postponed", None, GAME_DAY - dt.timedelta(days=2))])
    assert [(g.game_date, g.status) for g in moved] == [
        (GAME_DAY - dt.timedelta(days=2), "postponed"), (GAME_DAY, "scheduled")]


def rescheduled(db: ContractDB) -> dt.date:
    """Game X postponed on D-2 (predicted that morning, never graded) and played on D
    with the same game_id; the scraper keeps both rows. Returns D-2."""
    first = GAME_DAY - dt.timedelta(days=2)
    season(db, [d for d in before(GAME_DAY, 12) if d != first])
    db.game(day=first, game_id="Y")
    for _ in range(2):
        db.prediction(day=first, game_id="Y", predicted_at=ts(first, 13))
        db.graded(day=first, game_id="Y")
    db.game(day=first, game_id="X", status="postponed")
    for _ in range(4):
        db.prediction(day=first, game_id="X", predicted_at=ts(first, 13))
    db.batch(day=first, started=ts(first, 13))
    db.game(day=GAME_DAY, game_id="X")
    for _ in range(3):
        db.prediction(day=GAME_DAY, game_id="X", predicted_at=ts(GAME_DAY, 13))
        db.graded(day=GAME_DAY, game_id="X")
    db.batch(day=GAME_DAY, started=ts(GAME_DAY, 13))
    return first


def graded_shares(observations: Sequence[Observation]) -> dict[str, tuple[float, int]]:
    return {str(o.label("game_date")): (o.value or 0.0, o.sample_size) for o in observations
            if o.metric == "graded_share"}


def test_a_game_postponed_and_rescheduled_with_its_game_id_is_called_off_on_its_first_date(
        db: ContractDB, config: MonitorConfig) -> None:
    first = rescheduled(db)
    league = load_calendar(db.wh, config, GAME_DAY)
    assert league.called_off_keys() == [f"X|{first}"]
    assert [g.game_id for g in league.playable(GAME_DAY)] == ["X"]
    # D-2's morning predictions of X are not ungraded; D's predictions of X count.
    report = validate_daily(db.wh, config, GAME_DAY)
    freshness = next(r for r in report.results if r.name == "freshness")
    shares = graded_shares(freshness.observations)
    assert shares[str(first)] == (1.0, 2) and shares[str(GAME_DAY)] == (1.0, 3)
    assert freshness.status is Status.OK, freshness.summary
    later = cycle(db, config, eastern(GAME_DAY + dt.timedelta(days=2), 12))
    assert "slate_ungraded" not in fired_rules(later)


def test_duplicate_and_rescheduled_games_through_bigquery(
        db: ContractDB, config: MonitorConfig) -> None:
    from monitor.checks.base import CheckContext
    from monitor.checks.freshness import Freshness
    from tests.fakes.bigquery_server import (
        bq_warehouse,
        measured_both_ways,
        start_fake_bigquery,
        stop_fake_bigquery,
    )

    first = rescheduled(db)
    for status in ("postponed", " Scheduled"):  # appended: the postponement stands
        db.game(day=GAME_DAY + dt.timedelta(days=1), game_id="Z", status=status)
    league = load_calendar(db.wh, config, GAME_DAY)
    db.close()
    fake = start_fake_bigquery(db.path)
    big = bq_warehouse(fake)
    try:
        assert load_calendar(big, config, GAME_DAY) == league
        assert league.called_off_keys() == [f"X|{first}", f"Z|{GAME_DAY + dt.timedelta(days=1)}"]
    finally:
        big.close()
        stop_fake_bigquery(fake)
    ctx = CheckContext(as_of=eastern(GAME_DAY + dt.timedelta(days=1), 20), config=config,
                       mode="daily", target_date=GAME_DAY, calendar=league)
    via_duckdb, via_bigquery = measured_both_ways(db.path, Freshness(), ctx)
    assert via_duckdb == via_bigquery
    assert graded_shares(via_bigquery)[str(first)] == (1.0, 2)


def test_a_day_whose_games_are_all_postponed_is_an_off_day(
        db: ContractDB, config: MonitorConfig) -> None:
    season(db, before(GAME_DAY, 6))
    db.game(day=GAME_DAY, game_id="snowed_out", status="postponed")
    assert not {"slate_no_data", "slate_partial"} & fired_rules(
        cycle(db, config, eastern(GAME_DAY, 16)))
    report = validate_daily(db.wh, config, GAME_DAY)
    assert report.status is Status.NO_GAMES
    assert "1 postponed or cancelled" in report.results[0].summary


@pytest.mark.parametrize("how", ["not configured", "table missing", "table empty"])
def test_without_a_calendar_a_missing_slate_warns_and_never_pages(
        db: ContractDB, config: MonitorConfig, how: str,
        caplog: pytest.LogCaptureFixture) -> None:
    season(db, before(OFF_DAY, 10), schedule=how == "table missing")
    if how == "not configured":
        config = config.model_copy(update={"calendar": None})
    if how == "table missing":
        db.wh.connection.execute("DROP TABLE nba_predictions.game_schedule")
    league = load_calendar(db.wh, config, OFF_DAY)
    assert not league.known and league.expects_slate(OFF_DAY) is None
    # OFF_DAY has no batch: the monitor cannot tell whether games were scheduled.
    summary = cycle(db, config, eastern(OFF_DAY, 16))
    assert not [e for e in fired(summary) if e.severity == "critical"]
    warned = [e for e in fired(summary) if e.rule == "slate_no_data_calendar_unknown"]
    assert [e.severity for e in warned] == ["warning"]
    message = " ".join(str(b) for m, _ in _sent(db, config, OFF_DAY)
                       for b in block_kit(m).blocks)
    assert "calendar is unknown" in message
    assert summary.calendar is not None and "calendar unknown" in summary.calendar.describe()


def _sent(db: ContractDB, config: MonitorConfig, day: dt.date) -> (
        list[tuple[MessageBody, str | None]]):
    notifier = MemoryNotifier()
    run_cycle(db.wh, config, notifier, MemoryAlertStore(), as_of=eastern(day, 16),
              run_id="sent")
    return list(notifier.messages)


def test_predictions_the_calendar_does_not_know_mean_it_is_stale(
        db: ContractDB, config: MonitorConfig) -> None:
    season(db, before(OFF_DAY, 10))
    # The scraper stopped: today's slate is predicted, the calendar ends yesterday.
    season(db, [OFF_DAY], schedule=False)
    summary = cycle(db, config, eastern(OFF_DAY, 16))
    stale = [e for e in fired(summary) if e.rule == "calendar_stale"]
    assert len(stale) == 1 and stale[0].severity == "warning"
    assert stale[0].evidence is not None
    assert f"{OFF_DAY:%Y%m%d}_G0" in dict(stale[0].evidence.context)["unknown games"]
    assert not [e for e in fired(summary) if e.severity == "critical"]
    # validate-daily judges the data it has, and names the unknown games.
    report = validate_daily(db.wh, config, OFF_DAY)
    freshness = next(r for r in report.results if r.name == "freshness")
    assert freshness.status is Status.WARN and "calendar_stale" in freshness.summary


def test_the_off_season_after_the_last_game_is_quiet(db: ContractDB,
                                                      config: MonitorConfig) -> None:
    season(db, before(OFF_DAY, 10))
    summer = OFF_DAY + dt.timedelta(days=60)
    summary = cycle(db, config, eastern(summer, 16))
    assert fired(summary) == []
    assert validate_daily(db.wh, config, summer).status is Status.NO_GAMES


def test_a_league_pause_longer_than_the_lookback_still_knows_its_systems(
        db: ContractDB, config: MonitorConfig) -> None:
    resume = GAME_DAY + dt.timedelta(days=12)
    season(db, before(GAME_DAY, 5))
    db.game(day=resume, game_id="back")
    for day in (GAME_DAY + dt.timedelta(days=k) for k in range(12)):
        assert not fired_rules(cycle(db, config, eastern(day, 16))) & {
            "slate_no_data", "slate_no_data_calendar_unknown"}, day
    assert "slate_no_data" in fired_rules(cycle(db, config, eastern(resume, 16)))


@pytest.mark.parametrize("gap_days", [30, 170])
def test_the_season_opener_without_a_batch_pages(db: ContractDB, config: MonitorConfig,
                                                  gap_days: int) -> None:
    # The last game days lie a month (a long pause) or an off-season back.
    last = GAME_DAY - dt.timedelta(days=gap_days)
    season(db, [last - dt.timedelta(days=1), last])
    db.game(day=GAME_DAY, game_id="opener")
    assert "slate_no_data" not in fired_rules(cycle(db, config, eastern(GAME_DAY, 10.75)))
    summary = cycle(db, config, eastern(GAME_DAY, 12))
    alerts = [e for e in fired(summary) if e.rule == "slate_no_data"]
    assert [(e.severity, dict(e.labels)["system_id"]) for e in alerts] == [
        ("critical", "catboost_v8")]
    report = validate_daily(db.wh, config, GAME_DAY)
    freshness = next(r for r in report.results if r.name == "freshness")
    assert freshness.status is Status.FAIL and int(report.exit_code) == 1


def test_without_a_calendar_a_week_without_batches_reads_as_the_off_season(
        db: ContractDB, config: MonitorConfig) -> None:
    # No calendar: a daily warning through the whole off-season would be muted.
    season(db, before(GAME_DAY - dt.timedelta(days=30), 3), schedule=False)
    no_calendar = config.model_copy(update={"calendar": None})
    quiet = cycle(db, no_calendar, eastern(GAME_DAY, 12))
    assert not fired_rules(quiet) & {"slate_no_data", "slate_no_data_calendar_unknown"}
    warned = cycle(db, no_calendar, eastern(GAME_DAY - dt.timedelta(days=28), 12))
    assert "slate_no_data_calendar_unknown" in fired_rules(warned)


def test_a_slate_expects_the_systems_of_the_latest_game_days_only(
        db: ContractDB, config: MonitorConfig) -> None:
    # ensemble_v1 was retired: its last batch lies more than lookback_days game days back.
    days = before(GAME_DAY, 12)
    season(db, days[:3], systems=("catboost_v8", "ensemble_v1"))
    season(db, days[3:])
    assert config.settings.freshness.lookback_days < len(days[3:])
    db.game(day=GAME_DAY, game_id="tonight")
    alerts = [e for e in fired(cycle(db, config, eastern(GAME_DAY, 12)))
              if e.rule == "slate_no_data"]
    assert [dict(e.labels)["system_id"] for e in alerts] == ["catboost_v8"]


def test_the_season_opener_through_bigquery(db: ContractDB, config: MonitorConfig) -> None:
    from monitor.checks.base import CheckContext
    from monitor.checks.freshness import Freshness
    from tests.fakes.bigquery_server import measured_both_ways

    last = GAME_DAY - dt.timedelta(days=170)
    season(db, [last - dt.timedelta(days=1), last], systems=("catboost_v8", "ensemble_v1"))
    db.game(day=GAME_DAY, game_id="opener")
    ctx = CheckContext(as_of=eastern(GAME_DAY, 12), config=config,
                       calendar=load_calendar(db.wh, config, GAME_DAY))
    db.close()
    via_duckdb, via_bigquery = measured_both_ways(db.path, Freshness(), ctx)
    assert via_duckdb == via_bigquery
    assert sorted((o.label("system_id"), o.value) for o in via_bigquery
                  if o.metric == "slate_batches") == [("catboost_v8", 0.0),
                                                      ("ensemble_v1", 0.0)]


def test_a_renamed_calendar_table_is_read(db: ContractDB, config: MonitorConfig) -> None:
    season(db, before(OFF_DAY, 5))
    db.wh.connection.execute(
        "CREATE SCHEMA league; CREATE TABLE league.schedule AS "
        "SELECT * FROM nba_predictions.game_schedule; DROP TABLE nba_predictions.game_schedule")
    renamed = config.model_copy(update={"calendar": Calendar(table="league.schedule")})
    db.close()
    from monitor.warehouse.duckdb import DuckDBWarehouse

    wh = DuckDBWarehouse(db.path, tables=renamed.table_names())
    try:
        league = load_calendar(wh, renamed, OFF_DAY)
        assert league.known and league.expects_slate(OFF_DAY) is False
        assert league.expects_slate(OFF_DAY - dt.timedelta(days=1)) is True
    finally:
        wh.close()


def test_the_configured_table_reaches_the_sql_on_the_ast_in_both_dialects() -> None:
    from monitor.warehouse.sql_dialect import to_duckdb, with_renames

    sql = "SELECT game_id FROM game_schedule WHERE game_date BETWEEN @start AND @end"
    assert to_duckdb(sql, "nba_predictions", (("game_schedule", "league.schedule"),)) == (
        "SELECT game_id FROM league.schedule WHERE game_date BETWEEN $start AND $end",)
    assert to_duckdb(sql, "nba_predictions") == (
        "SELECT game_id FROM nba_predictions.game_schedule "
        "WHERE game_date BETWEEN $start AND $end",)
    assert with_renames(sql, (("game_schedule", "schedule_v2"),)) == (
        "SELECT game_id FROM schedule_v2 WHERE game_date BETWEEN @start AND @end")
    assert with_renames(sql, ()) == sql  # no rename: the file runs as written


def test_a_calendar_table_that_is_not_an_identifier_is_a_config_error() -> None:
    from monitor.config import ConfigError, parse_config

    shipped = (ROOT / "alerts.yaml").read_text()
    line = "  table: game_schedule"
    number = shipped.splitlines().index(next(x for x in shipped.splitlines()
                                             if x.startswith(line))) + 1
    with pytest.raises(ConfigError) as err:
        parse_config(shipped.replace(line, '  table: "x; DROP TABLE y"'), "alerts.yaml")
    assert f"alerts.yaml:{number}" in str(err.value) and "calendar.table" in str(err.value)
    assert parse_config(shipped.replace(line, "  table: other.games"),
                        "a.yaml").table_names() == {"game_schedule": "other.games"}
    without = shipped.replace("calendar:\n" + line, "")
    assert parse_config(without, "a.yaml").calendar is None


@pytest.mark.parametrize(("day", "messages"), [(OFF_DAY, 0), (GAME_DAY, 1)])
def test_a_cycle_without_any_data_is_quiet_only_on_an_off_day(
        db: ContractDB, config: MonitorConfig, day: dt.date, messages: int) -> None:
    # The calendar knows the season; the warehouse holds nothing else yet.
    for d in (GAME_DAY - dt.timedelta(days=1), GAME_DAY, OFF_DAY + dt.timedelta(days=1)):
        db.game(day=d, game_id=f"g{d:%Y%m%d}")
    notifier = MemoryNotifier()
    summary = run_cycle(db.wh, config, notifier, MemoryAlertStore(),
                        as_of=eastern(day, 16), run_id="empty")
    assert {r.status for r in summary.results} == {Status.NO_DATA}
    no_data = [m for m, _ in notifier.messages if "monitor_no_data" in str(m)]
    assert len(no_data) == messages
