"""`serve`'s cycle, one for every trigger: the schedule and a batch push run the very
cycle `run` runs (monitor.cycle_run.run_once: checks, rules, alert state under the
cycle lease, notifications, metrics), counted in /healthz and /metrics.

Cycles of one process run one at a time. A push that waited for a cycle which began
after it arrived is answered by that cycle, whatever its outcome: the batch was
written before its message was published, so that cycle saw it. A burst of pushes
therefore costs at most two cycles — the one running when the burst came, and one
after it for all the pushes that waited — and a failing cycle answers every push that
waited for it at once (a 5xx: Pub/Sub redelivers) instead of each running its own."""

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

log = logging.getLogger(__name__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class CycleOutcome:
    run_id: str
    summary: CycleSummary | None  # None: the cycle failed or did not start (see the log)
    started: float  # time.monotonic() when it began
    busy: str | None = None  # why the warehouse could not be opened: another process has it

    @property
    def problem(self) -> str | None:
        """Why this cycle did not do all it owed: the warehouse was busy, it failed,
        another cycle held the lease (or took it over), a check could not run (the
        batch it should judge was not judged), or a notification failed and is kept
        pending."""
        s = self.summary
        if self.busy is not None:
            return self.busy
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
    def __init__(self, app: App, notifier: Notifier, health: Health,
                 exporter: PrometheusExporter, *,
                 clock: Callable[[], dt.datetime] = _now) -> None:
        self.app = app
        self.notifier = notifier
        self.health = health
        self.exporter = exporter
        self.clock = clock
        self.last: CycleOutcome | None = None
        self.stopping = False
        self.cycles = 0  # cycles this process began (a busy warehouse's included)
        self._lock = threading.Lock()

    def run(self, run_id: str | None = None) -> CycleOutcome:
        """A cycle now (the schedule's, or `--run-now`)."""
        with self._lock:
            return self._run(run_id)

    def run_after(self, arrived: float, run_id: str) -> CycleOutcome | None:
        """The outcome of a cycle that began at or after `arrived` (time.monotonic()):
        the last one when it did, else a new one; None once stopping."""
        with self._lock:
            if self.stopping:
                return None
            last = self.last
            if last is not None and last.started >= arrived:
                return last
            return self._run(run_id)

    def drain(self) -> None:
        """On SIGTERM: start no other cycle (pushes still waiting are answered 503) and
        wait for the running one."""
        self.stopping = True
        with self._lock:
            pass

    def _run(self, run_id: str | None) -> CycleOutcome:
        from monitor.cycle_run import run_once
        from monitor.runtime import run_id_from_env
        from monitor.warehouse import WarehouseBusy

        now = self.clock()
        started = time.monotonic()
        self.cycles += 1
        env = {k: v for k, v in self.app.env.items() if k != "MONITOR_RUN_ID"}
        run_id = run_id or run_id_from_env(env, now)
        extra = {"run_id": run_id}
        summary: CycleSummary | None = None
        busy: str | None = None
        try:
            warehouse = self.app.open_warehouse(run_id=run_id, create=False)
        except WarehouseBusy as exc:
            # Another process's turn (a `run` beside serve): not a failure of this one.
            busy = str(exc)
            log.warning("cycle not run: %s", exc, extra=extra)
        except Exception as exc:  # noqa: BLE001 - the cycle fails; serve goes on
            log.error("warehouse error: %s", exc, extra=extra)
        else:
            finished: list[CycleSummary | None] = []
            run_once(self.app, warehouse, self.notifier, as_of=now, run_id=run_id,
                     extra_sinks=[self.exporter], on_finished=finished.append)
            summary = finished[0] if finished else None
        outcome = CycleOutcome(run_id, summary, started, busy)
        if busy is None:
            self.exporter.record_cycle(
                ok=summary is not None, seconds=time.monotonic() - started,
                sent=summary.sent if summary else 0, failed=summary.failed if summary else 0,
                metric_failures=summary.metric_failures if summary else 0,
                finished_at=_now())
            self.health.record(run_id, ok=summary is not None)
        self.last = outcome
        log.info("cycle finished: %s", run_id, extra=extra)
        return outcome
