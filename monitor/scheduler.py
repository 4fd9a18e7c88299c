"""`serve`: the long-running mode. APScheduler 3.x runs the cycle and validate-daily
on the configured cron schedule; monitor/routes.py answers /healthz beside it."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from monitor.config import Schedule

log = logging.getLogger(__name__)


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    # Schedule validation already refused numeric weekdays (APScheduler counts
    # Monday as 0, cron counts Sunday as 0): names mean the same in both.
    return CronTrigger.from_crontab(expression, timezone=ZoneInfo(timezone))


def next_fire_times(trigger: CronTrigger, start: dt.datetime, count: int) -> list[dt.datetime]:
    times: list[dt.datetime] = []
    previous = None
    now = start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None:
            break
        times.append(fire)
        # Step in UTC: adding to a local time is wall-clock arithmetic and drops the
        # fold, which would land before the repeated hour of a DST fall-back.
        previous, now = fire, fire.astimezone(dt.UTC) + dt.timedelta(microseconds=1)
    return times


@dataclass
class Health:
    """What /healthz reports: the last cycle's time and status."""

    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    last_cycle_at: dt.datetime | None = None
    last_status: str = "starting"
    last_run_id: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, run_id: str, ok: bool) -> None:
        with self.lock:
            self.last_cycle_at = dt.datetime.now(dt.UTC)
            self.last_status = "ok" if ok else "failed"
            self.last_run_id = run_id

    def report(self) -> tuple[int, dict[str, Any]]:
        with self.lock:
            body = {"status": self.last_status, "last_run_id": self.last_run_id,
                    "last_cycle_at": self.last_cycle_at.isoformat()
                    if self.last_cycle_at else None,
                    "started_at": self.started_at.isoformat()}
            return (503 if self.last_status == "failed" else 200), body


def build_scheduler(schedule: Schedule, cycle: Callable[[], object] | None,
                    daily: Callable[[], None]) -> BlockingScheduler:
    """`cycle` None: another runner (the Cloud Run job) owns the hourly cycle."""
    zone = ZoneInfo(schedule.timezone)
    scheduler = BlockingScheduler(timezone=zone, job_defaults={
        "coalesce": True,  # after a pause, run once, not once per missed slot
        "max_instances": 1,  # never two cycles of this process at once
        "misfire_grace_time": schedule.misfire_grace_seconds,
    })
    if cycle is not None:
        scheduler.add_job(cycle, cron_trigger(schedule.cycle, schedule.timezone), id="cycle",
                          name="monitoring cycle")
    scheduler.add_job(daily, cron_trigger(schedule.validate_daily, schedule.timezone),
                      id="validate_daily", name="validate-daily")
    return scheduler
