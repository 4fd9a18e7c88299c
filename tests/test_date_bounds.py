"""Dates from a person are refused outside 1900-01-01..2199-12-31 where they come in:
a window around year 1 or 9999 would overflow deep inside a check."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.cli import main
from monitor.date_bounds import (
    EARLIEST,
    LATEST,
    check_date_bounds,
    parse_bounded_date,
    parse_bounded_timestamp,
)


def test_the_bounds_are_inclusive_and_a_datetime_is_judged_by_its_date() -> None:
    assert check_date_bounds(EARLIEST) == dt.date(1900, 1, 1)
    assert check_date_bounds(LATEST) == dt.date(2199, 12, 31)
    for day in (dt.date(1, 1, 1), dt.date(1899, 12, 31), dt.date(2200, 1, 1),
                dt.date(9999, 12, 31), dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC)):
        with pytest.raises(ValueError, match="1900-01-01 to 2199-12-31"):
            check_date_bounds(day)
    assert parse_bounded_date("2026-01-09") == dt.date(2026, 1, 9)
    with pytest.raises(ValueError, match="is not a date"):
        parse_bounded_date("yesterday")
    assert parse_bounded_timestamp("2026-01-09T15:00:00Z") == dt.datetime(
        2026, 1, 9, 15, tzinfo=dt.UTC)
    assert parse_bounded_timestamp("2026-01-09T15:00:00").tzinfo is dt.UTC
    with pytest.raises(ValueError, match="outside"):
        # Converting this one to UTC would overflow: refused before any conversion.
        parse_bounded_timestamp("0001-01-01T00:00:00+05:00")


@pytest.mark.parametrize("argv", [
    ["validate-daily", "--date", "0001-01-01"],
    ["validate-daily", "--date", "9999-12-31"],
    ["report", "--date", "9999-12-31", "--out", "x.html"],
    ["run", "--as-of", "9999-12-31T23:00:00Z", "--dry-run"],
    ["run", "--as-of", "0001-01-01T00:00:00+05:00", "--dry-run"],
    ["check-batch", "--execution-id", "e1", "--as-of", "0001-01-01T00:00:00Z"],
    ["check-deployment", "--expected-sha", "abc", "--as-of", "9999-12-31T00:00:00Z"],
    ["backtest", "--start", "2026-01-01", "--end", "9999-12-31"],
])
def test_a_date_out_of_bounds_on_the_command_line_is_a_usage_error_naming_the_flag(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    flag = next(a for a in reversed(argv) if a.startswith("--") and a not in (
        "--dry-run", "--out"))
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--warehouse", "duckdb:///nonexistent/never-opened.duckdb"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: " in err and "(1900-01-01 to 2199-12-31)" in err
    assert "unexpected error" not in err


def test_a_query_parameter_out_of_bounds_is_refused_before_the_warehouse_opens(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["query", "feature_values_at_prediction_time", "--param",
                 "game_date=9999-12-31", "--warehouse",
                 "duckdb:///nonexistent/never-opened.duckdb"])
    assert code == 2
    assert capsys.readouterr().err.startswith(
        "--param game_date: 9999-12-31 is outside the dates the monitor accepts")


@pytest.mark.parametrize("days", ["1000000", "0", "-5", "seven"])
def test_a_report_period_out_of_range_is_a_usage_error_naming_the_flag(
        days: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["report", "--days", days, "--out", "x.html",
              "--warehouse", "duckdb:///nonexistent/never-opened.duckdb"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --days: " in err and "(1 to 366)" in err
