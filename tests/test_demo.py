"""The demo season: realistic numbers, and the seed's incident caught before grading."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.demo import HEALTHY_DATE, build_demo_warehouse
from monitor.demo.options import BROKEN_COMMIT, MAIN_SYSTEM, DemoOptions
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import DEMO_OPTS as OPTS


def sql(path: Path, query: str) -> list[tuple[object, ...]]:
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        return list(wh.connection.execute(query).fetchall())
    finally:
        wh.close()


def test_demo_is_realistic(demo_path: Path) -> None:
    (mae, hit, picks), = sql(demo_path, f"""
        SELECT avg(absolute_error), avg(prediction_correct::INT), count(prediction_correct)
        FROM nba_predictions.prediction_accuracy
        WHERE system_id = '{MAIN_SYSTEM}' AND game_date < DATE '{OPTS.incident_start}'""")
    assert 3.9 < float(mae) < 4.8  # type: ignore[arg-type]
    assert 0.57 < float(hit) < 0.68  # type: ignore[arg-type]
    (bmae, bhit), = sql(demo_path, f"""
        SELECT avg(absolute_error), avg(prediction_correct::INT)
        FROM nba_predictions.prediction_accuracy WHERE build_commit_sha = '{BROKEN_COMMIT}'""")
    assert 5.3 < float(bmae) < 6.4  # type: ignore[arg-type]
    assert 0.42 < float(bhit) < 0.56  # type: ignore[arg-type]
    (lines,), = sql(demo_path, "SELECT avg((line_value IS NOT NULL)::INT) "
                               "FROM nba_predictions.player_prop_predictions")
    assert 0.35 < float(lines) < 0.47  # type: ignore[arg-type]
    (superseded, statuses, modes), = sql(demo_path, """
        SELECT (SELECT count(*) FROM nba_predictions.player_prop_predictions WHERE superseded),
               (SELECT list(DISTINCT status ORDER BY status)
                FROM nba_predictions.prediction_execution_log),
               (SELECT list(DISTINCT feature_source_mode ORDER BY feature_source_mode)
                FROM nba_predictions.prediction_execution_log)""")
    assert int(superseded) > 0  # type: ignore[call-overload]
    assert statuses == ["failed", "partial", "success"]
    assert modes == ["backfill", "daily"]


def test_demo_is_written_in_date_order_and_is_reproducible(demo_path: Path,
                                                           tmp_path: Path) -> None:
    (ordered,), = sql(demo_path, """
        SELECT bool_and(game_date >= prev) FROM (
          SELECT game_date, lag(game_date, 1, game_date) OVER (ORDER BY rowid) AS prev
          FROM nba_predictions.player_prop_predictions)""")
    assert ordered is True
    small = DemoOptions(start=dt.date(2025, 12, 1), end=dt.date(2025, 12, 3))
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    assert build_demo_warehouse(a, small, show_progress=False) == \
        build_demo_warehouse(b, small, show_progress=False)
    q = "SELECT sum(predicted_points), count(*) FROM nba_predictions.prediction_accuracy"
    assert sql(a, q) == sql(b, q)


def test_incident_fails_before_grading_and_names_the_commit(
        demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ungraded = tmp_path / "ungraded.duckdb"
    ungraded.write_bytes(demo_path.read_bytes())
    wh = DuckDBWarehouse(ungraded)
    wh.connection.execute("DELETE FROM nba_predictions.prediction_accuracy "
                          "WHERE game_date >= ?", [OPTS.incident_start])
    wh.close()
    code = main(["validate-daily", "--warehouse", f"duckdb:///{ungraded}",
                 "--date", OPTS.incident_start.isoformat(), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    checks = {c["name"]: c for c in report["checks"]}
    assert code == 1
    assert checks["feature_defaults"]["status"] == "fail"
    assert BROKEN_COMMIT in checks["feature_defaults"]["summary"]
    # Earlier graded days in the window are healthy: hit rate alone would not see it.
    assert checks["hit_rate_by_commit"]["status"] == "ok"


def test_demo_command_prints_a_passing_and_a_failing_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cmd.duckdb"
    assert main(["demo", "--path", str(path), "--start", "2025-12-01",
                 "--end", "2026-01-10"]) == 0
    out = capsys.readouterr().out
    assert "validate-daily 2025-12-15: OK" in out
    assert "validate-daily 2026-01-09: FAIL" in out
    assert BROKEN_COMMIT in out
    # Reused when present.
    assert main(["demo", "--path", str(path)]) == 0
    assert "using demo warehouse" in capsys.readouterr().out


def test_the_demo_calendar_has_the_shape_of_an_nba_season(demo_path: Path) -> None:
    games = sql(demo_path, """
        SELECT game_date, count(*), count(*) FILTER (WHERE game_status = 'postponed'),
               min(scheduled_start)
        FROM nba_predictions.game_schedule GROUP BY 1 ORDER BY 1""")
    days = {row[0]: row for row in games}
    first, last = min(days), max(days)
    assert first == OPTS.start and first.month == 10 and last == dt.date(2026, 4, 12)
    assert dt.date(2025, 11, 27) not in days and dt.date(2025, 12, 24) not in days
    all_star = [dt.date(2026, 2, 13) + dt.timedelta(days=k) for k in range(6)]
    assert not set(all_star) & set(days)
    assert {OPTS.incident_start, HEALTHY_DATE} <= set(days)
    assert 1 <= min(r[1] for r in games) and max(r[1] for r in games) <= 15
    assert max(r[1] for r in games) >= 12 and min(r[1] for r in games) <= 3
    # Weekend afternoon tip-offs (before 17:00 US/Eastern = 22:00 UTC in winter).
    assert any(r[0].weekday() >= 5 and r[3].hour < 22 and r[3].hour >= 16 for r in games)
    postponed = sql(demo_path, """
        SELECT s.game_id, count(p.prediction_id), count(a.prediction_id)
        FROM nba_predictions.game_schedule s
        LEFT JOIN nba_predictions.player_prop_predictions p USING (game_id)
        LEFT JOIN nba_predictions.prediction_accuracy a USING (game_id)
        WHERE s.game_status = 'postponed' GROUP BY 1""")
    assert 1 <= len(postponed) <= 2
    # Predicted in the morning, never graded.
    assert all(predicted > 0 and graded == 0 for _, predicted, graded in postponed)
    off_with_rows = sql(demo_path, """
        SELECT count(*) FROM nba_predictions.player_prop_predictions p
        WHERE NOT EXISTS (SELECT 1 FROM nba_predictions.game_schedule s
                          WHERE s.game_id = p.game_id)""")
    assert off_with_rows == [(0,)]  # every prediction is of a scheduled game
