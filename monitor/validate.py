"""validate-daily: the checks for one game date with all data present."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from monitor.checks import CheckContext
from monitor.checks.base import eastern_date
from monitor.config import MonitorConfig
from monitor.exit_codes import ExitCode, exit_code_for, overall_status
from monitor.model import CheckResult, Status
from monitor.runner import run_checks
from monitor.warehouse.base import Warehouse


@dataclass
class DailyReport:
    date: dt.date
    results: list[CheckResult]
    generated_at: dt.datetime

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
            "checks": [r.to_json() for r in self.results],
        }


def default_date(now: dt.datetime) -> dt.date:
    """Yesterday in US/Eastern: the latest slate whose games are all graded."""
    return eastern_date(now) - dt.timedelta(days=1)


def validate_daily(warehouse: Warehouse, config: MonitorConfig, date: dt.date,
                   now: dt.datetime | None = None) -> DailyReport:
    now = now or dt.datetime.now(dt.UTC)
    ctx = CheckContext(as_of=now, config=config, mode="daily", target_date=date)
    return DailyReport(date, run_checks(warehouse, ctx), now)
