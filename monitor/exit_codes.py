"""Exit codes of validate-daily (and the other commands), in priority order."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from monitor.model import Status


class ExitCode(IntEnum):
    OK = 0
    """Every check ran and none failed (warnings allowed), or no games were scheduled."""
    CHECK_FAILED = 1
    """A check failed, or has no data: something needs a person."""
    MONITOR_ERROR = 2
    """The monitor itself could not run (bad config, warehouse unreachable, a check errored)."""


def exit_code_for(statuses: Iterable[Status]) -> ExitCode:
    """Highest priority wins: an error > a failure or no data > everything ok."""
    code = ExitCode.OK
    for status in statuses:
        if status is Status.ERROR:
            return ExitCode.MONITOR_ERROR
        if status in (Status.FAIL, Status.NO_DATA):
            code = ExitCode.CHECK_FAILED
    return code


def overall_status(statuses: Iterable[Status]) -> Status:
    """Highest priority present; `no-games` (an off day) ranks below `ok`."""
    order = [Status.ERROR, Status.FAIL, Status.NO_DATA, Status.WARN, Status.OK, Status.NO_GAMES]
    seen = set(statuses)
    for status in order:
        if status in seen:
            return status
    return Status.NO_DATA
