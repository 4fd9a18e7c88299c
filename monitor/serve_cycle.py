"""`serve`'s cycle, one for every trigger: the schedule and a batch push run the very
cycle `run` runs (monitor.cycle_run.run_once: checks, rules, alert state
under the cycle lease, notifications, metrics), counted in /healthz and /metrics.

Cycles of one process run one at a time. A push that waited for a cycle which began
after it arrived is answered by that cycle: the batch was written before its message
was published, so that cycle saw it (a burst of pushes costs at most two cycles)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.model import Status

if TYPE_CHECKING:
    from monitor.app import App
    from monitor.cycle import CycleSummary
    from monitor.metrics.prometheus import PrometheusExporter
    from monitor.notify.base import Notifier
    from monitor.scheduler import Health
    from monitor.warehouse.base import Warehouse

log = logging.getLogger(__name__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class CycleOutcome:
    run_id: str
    summary: CycleSummary | None  # None: the cycle failed (see the log)
    started: float  # time.monotonic() when it began

    @property
    def problem(self) -> str | None:
        """Why this cycle did not do all it owed: it failed, another cycle held the
        lease (or took it over), a check could not run (the batch it should judge was
        not judged), or a notification failed and is kept pending."""
        s = self.summary
        if s is None:
            return "the cycle failed (see the log)"
        if s.skipped:
            return f"alerts not handled: {s.skipped}"
        errored = sorted(r.name for r in s.results if r.status is Status.ERROR)
        if errored:
            return f"check(s) could not run: {', '.join(errored)}"
        if s.failed:
            return f"{s.failed} notification(s) failed and are kept pending"
        return None


class ServeCycle:
    def __init__(self, app: App, notifier: Notifier, open_warehouse: Callable[[str], Warehouse],
                 health: Health, exporter: PrometheusExporter, *,
                 clock: Callable[[], dt.datetime] = _now) -> None:
        self.app = app
        self.notifier = notifier
        self.open_warehouse = open_warehouse  # run id → an open warehouse, or raises
        self.health = health
        self.exporter = exporter
        self.clock = clock
        self.last: CycleOutcome | None = None
        self.stopping = False
        self._lock = threading.Lock()

    def run(self, run_id: str | None = None) -> CycleOutcome:
        """A cycle now (the schedule's, or `--run-now`)."""
        with self._lock:
            return self._run(run_id)

    def run_after(self, arrived: float, run_id: str) -> CycleOutcome | None:
        """A cycle that began at or after `arrived` (time.monotonic()) and did all it
        owed: the last one when it qualifies, else a new one; None once stopping."""
        with self._lock:
            if self.stopping:
                return None
            last = self.last
            if last is not None and last.started >= arrived and last.problem is None:
                return last
            return self._run(run_id)

    def drain(self) -> None:
        """On SIGTERM: wait for the running cycle; start no other."""
        with self._lock:
            self.stopping = True

    def _run(self, run_id: str | None) -> CycleOutcome:
        from monitor.cycle_run import run_once
        from monitor.runtime import run_id_from_env

        now = self.clock()
        started = time.monotonic()
        env = {k: v for k, v in self.app.env.items() if k != "MONITOR_RUN_ID"}
        run_id = run_id or run_id_from_env(env, now)
        summaries: list[CycleSummary | None] = []

        def finished(summary: CycleSummary | None) -> None:
            summaries.append(summary)
            self.exporter.record_cycle(
                ok=summary is not None, seconds=time.monotonic() - started,
                sent=summary.sent if summary else 0, failed=summary.failed if summary else 0,
                metric_failures=summary.metric_failures if summary else 0,
                finished_at=_now())

        try:
            warehouse = self.open_warehouse(run_id)
        except Exception as exc:  # noqa: BLE001 - the cycle fails; serve goes on
            log.error("warehouse error: %s", exc, extra={"run_id": run_id})
            finished(None)
        else:
            run_once(self.app, warehouse, self.notifier, as_of=now, run_id=run_id,
                     extra_sinks=[self.exporter], on_finished=finished)
        outcome = CycleOutcome(run_id, summaries[0] if summaries else None, started)
        self.health.record(run_id, ok=outcome.summary is not None)
        self.last = outcome
        log.info("cycle finished: %s", run_id, extra={"run_id": run_id})
        return outcome
