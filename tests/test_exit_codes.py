"""Every error that stops a command maps to its exit code in one place (monitor.cli.main
via monitor.errors): 2 means the monitor failed, 1 is kept for "a check failed"."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import cli
from monitor.commands import check_config_command
from monitor.config import ConfigError
from monitor.errors import (
    CannotTell,
    ConfigurationError,
    EnvironmentProblem,
    UsageError,
    WarehouseUnavailable,
    describe_error,
)
from monitor.exit_codes import ExitCode
from monitor.warehouse.base import MissingTableError, WarehouseError
from monitor.yaml_lines import Location


def test_a_bad_config_file_exits_2_with_its_location(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text("dataset: nba_predictions\nrules: [\n")
    assert cli.main(["check-config", "--config", str(path)]) == ExitCode.MONITOR_ERROR
    err = capsys.readouterr().err
    assert err.startswith("configuration error:\n") and f"{path}:" in err
    assert "Traceback" not in err


def test_a_missing_config_file_exits_2(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert cli.main(["check-config", "--config", str(missing)]) == ExitCode.MONITOR_ERROR
    err = capsys.readouterr().err
    assert err.startswith("configuration error:") and f"{missing}:1:1: cannot read" in err


def test_a_missing_warehouse_exits_2(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duckdb:///{tmp_path}/absent.duckdb"
    assert cli.main(["validate-daily", "--warehouse", url]) == ExitCode.MONITOR_ERROR
    err = capsys.readouterr().err
    assert err.startswith("warehouse error: ") and "absent.duckdb does not exist" in err
    assert not (tmp_path / "absent.duckdb").exists()


def test_no_warehouse_and_no_demo_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    # The autouse fixture's MONITOR_DATA_DIR is empty: there is no demo warehouse.
    assert cli.main(["validate-daily"]) == ExitCode.MONITOR_ERROR
    assert "prediction-monitor demo" in capsys.readouterr().err


RAISED = [
    (ConfigurationError("rules: missing"), "configuration error: rules: missing"),
    (WarehouseUnavailable("file is locked"), "warehouse error: file is locked"),
    (WarehouseUnavailable("Binder Error", label="backtest failed"),
     "backtest failed: Binder Error"),
    (UsageError("unknown query 'nope'; known: a, b"), "unknown query 'nope'; known: a, b"),
    (CannotTell("no batch with execution_id x"), "cannot tell: no batch with execution_id x"),
    (WarehouseError("hit_rate", "Binder Error"), "warehouse error: query 'hit_rate' failed"),
    (MissingTableError("hit_rate", "no table"), "warehouse error: query 'hit_rate' failed"),
    (ConfigError([(Location("alerts.yaml", 3, 1), "unknown key")]),
     "configuration error: alerts.yaml:3:1: unknown key"),
    (RuntimeError("surprise\nsecond line"), "unexpected error: RuntimeError: surprise"),
    (KeyError("k"), "unexpected error: KeyError: 'k'"),
    (ZeroDivisionError(), "unexpected error: ZeroDivisionError"),
]


@pytest.mark.parametrize("error, first", RAISED, ids=[type(e).__name__ for e, _ in RAISED])
def test_each_error_class_exits_2_with_one_clear_line(
        error: Exception, first: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def failing(_args: object) -> int:
        raise error

    # The command's handler is the one Python object swapped: a bug has no protocol.
    monkeypatch.setattr(check_config_command, "cmd_check_config", failing)
    assert cli.main(["check-config"]) == ExitCode.MONITOR_ERROR == 2
    err = capsys.readouterr().err
    assert err.startswith(first), err
    assert "Traceback" not in err
    expected = describe_error(error)[2]
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert ("--debug shows the traceback" in err) is not expected


def test_debug_prints_the_traceback_of_an_unexpected_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def failing(_args: object) -> int:
        raise RuntimeError("surprise")

    monkeypatch.setattr(check_config_command, "cmd_check_config", failing)
    assert cli.main(["--debug", "check-config"]) == ExitCode.MONITOR_ERROR
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "in failing" in err
    assert err.strip().splitlines()[-1] == "unexpected error: RuntimeError: surprise"


def test_the_error_map_covers_every_command_error() -> None:
    from monitor import errors

    declared = {cls for cls in vars(errors).values()
                if isinstance(cls, type) and issubclass(cls, errors.CommandError)
                and cls is not errors.CommandError}
    missing = declared - errors.EXIT_CODES.keys()
    assert not missing, "add to monitor.errors.EXIT_CODES: " + ", ".join(
        f"{cls.__name__}: ExitCode.MONITOR_ERROR" for cls in missing)


def test_a_problem_list_goes_below_its_label(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    def failing(_args: object) -> int:
        raise EnvironmentProblem("\n  SLACK_CHANNEL: missing\n  warehouse: bad URL")

    monkeypatch.setattr(check_config_command, "cmd_check_config", failing)
    assert cli.main(["check-config"]) == ExitCode.MONITOR_ERROR
    assert capsys.readouterr().err == \
        "environment error:\n  SLACK_CHANNEL: missing\n  warehouse: bad URL\n"


def test_commands_raise_and_main_alone_returns_the_error_code() -> None:
    """No command prints its own error line and returns 2: it raises a CommandError."""
    import ast

    root = Path(__file__).resolve().parent.parent / "monitor" / "commands"
    found = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Return) and node.value is not None \
                    and ast.unparse(node.value) == "ExitCode.MONITOR_ERROR":
                found.append(f"{path.name}:{node.lineno}")
    assert found == [], "raise a monitor.errors.CommandError instead: " + ", ".join(found)
