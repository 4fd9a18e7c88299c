"""The errors a command raises to stop, and the one place that maps an error to its
exit code. Commands raise; `monitor.cli.main` reports and maps (see `describe_error`)."""

from __future__ import annotations

import sys

from monitor.exit_codes import ExitCode


class CommandError(Exception):
    """A command cannot go on. `main` prints `label: message` (the message alone when
    the label is empty) and exits with the code `describe_error` gives its class. A
    command may give one error its own label ("schema apply refused")."""

    label = "error"

    def __init__(self, message: str, *, label: str | None = None) -> None:
        super().__init__(message)
        if label is not None:
            self.label = label


class ConfigurationError(CommandError):
    """alerts.yaml (or the environment the config names) is unusable."""

    label = "configuration error"


class EnvironmentProblem(CommandError):
    """The environment's Slack, batch-event or warehouse settings are unusable."""

    label = "environment error"


class WarehouseUnavailable(CommandError):
    """The warehouse URL is wrong, the file is missing or locked, the backend refused,
    a query failed."""

    label = "warehouse error"


class UsageError(CommandError):
    """An argument the parser could not judge is wrong (an unknown query name, a
    parameter it does not take): the message says which, with no label."""

    label = ""


class CannotTell(CommandError):
    """A gate command cannot judge: an unknown id, a batch outside the window, rows
    that cannot be found. Not a pass and not a block: exit 2."""

    label = "cannot tell"


# Error class → (what the report line starts with, exit code). Library errors that
# escape a command count as the command's own: a config or warehouse problem is the
# monitor's failure (2), never CHECK_FAILED (1), which means "a check found a problem".
EXIT_CODES: dict[type[CommandError], ExitCode] = {
    ConfigurationError: ExitCode.MONITOR_ERROR,
    EnvironmentProblem: ExitCode.MONITOR_ERROR,
    WarehouseUnavailable: ExitCode.MONITOR_ERROR,
    UsageError: ExitCode.MONITOR_ERROR,
    CannotTell: ExitCode.MONITOR_ERROR,
}
UNEXPECTED = ("unexpected error", ExitCode.MONITOR_ERROR)


def describe_error(exc: BaseException) -> tuple[str, ExitCode, bool]:
    """(label, exit code, expected?) of an error that stopped a command. Unexpected
    errors exit 2 (the monitor failed), not 1: 1 means a check failed."""
    if isinstance(exc, CommandError):
        return exc.label, EXIT_CODES.get(type(exc), ExitCode.MONITOR_ERROR), True
    # The library's own errors, looked up only when a command loaded their module (a
    # WarehouseError or ConfigError cannot have been raised otherwise): this plain core
    # imports neither the warehouse nor pydantic.
    warehouse = sys.modules.get("monitor.warehouse.base")
    if warehouse is not None and isinstance(exc, warehouse.WarehouseError):
        return WarehouseUnavailable.label, EXIT_CODES[WarehouseUnavailable], True
    config = sys.modules.get("monitor.config")
    if config is not None and isinstance(exc, config.ConfigError):
        return ConfigurationError.label, EXIT_CODES[ConfigurationError], True
    return UNEXPECTED[0], UNEXPECTED[1], False
