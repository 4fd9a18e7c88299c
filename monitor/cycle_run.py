"""One run of the cycle, as the `run` job and every trigger of `serve` (its schedule, a
batch push) make it: the schema check before anything is written, the cycle
(monitor.cycle.run_cycle: checks, rules, alert state under the cycle lease,
notifications), the heartbeat and metrics whatever else failed, the monitor_runs row,
and the run's output. Below the commands: both `run` and serve's cycles call it."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from monitor.exit_codes import ExitCode

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from monitor.app import App
    from monitor.cycle import CycleSummary
    from monitor.metrics.base import MetricSink
    from monitor.notify.base import Notifier
    from monitor.warehouse.base import Warehouse

log = logging.getLogger("monitor.run")


def run_once(app: App, warehouse: Warehouse, notifier: Notifier, *, as_of: dt.datetime,
             run_id: str, dry_run: bool = False, extra_sinks: Sequence[MetricSink] = (),
             on_finished: Callable[[CycleSummary | None], None] | None = None) -> int:
    """One cycle on an open warehouse (closed on return); `serve` adds its /metrics
    sink and counts the cycle in `on_finished` (None: the cycle failed)."""
    from monitor.cycle import run_cycle
    from monitor.migrations import SchemaVersionError, ensure_schema, may_migrate

    config, env = app.config, app.env
    summary: CycleSummary | None = None
    extra = {"run_id": run_id}
    try:
        if dry_run:
            summary = run_cycle(warehouse, config, notifier,
                                app.alert_store(warehouse, dry_run=True, as_of=as_of),
                                as_of=as_of, run_id=run_id, dry_run=True)
        else:
            # Before anything is written: an older schema is migrated (or the run
            # stops, asking for `schema apply`), a newer one is never written to.
            ensure_schema(warehouse,
                          migrate=may_migrate(warehouse, config.bigquery.auto_migrate),
                          release=app.release)
            summary = run_cycle(warehouse, config, notifier,
                                app.alert_store(warehouse, dry_run=False, as_of=as_of),
                                as_of=as_of, run_id=run_id,
                                lock=app.cycle_lock(warehouse, run_id))
    except SchemaVersionError as exc:
        log.error("%s", exc, extra=extra)
    except Exception as exc:  # noqa: BLE001 - the monitor itself failed
        log.error("cycle failed: %s: %s", type(exc).__name__, exc, extra=extra)
    finally:
        if not dry_run:
            # The heartbeat goes out whatever else failed.
            export_metrics(app, summary, as_of, extra_sinks)
            if summary is not None:
                _record_run(warehouse, summary)
        warehouse.close()
        if on_finished is not None:
            on_finished(summary)
    if summary is None:
        return ExitCode.MONITOR_ERROR
    for result in summary.results:
        log.info("%s: %s — %s", result.name, result.status.value, result.summary,
                 extra={**extra, "check": result.name})
    if dry_run:
        from monitor.notify.formats.text import text

        say(env, f"dry run: {len(summary.events)} alert events would be written", extra)
        verbs = {"post": "post", "reply": "reply in its thread", "update":
                 "update its message", "reminder": "remind in its thread"}
        for plan in summary.planned:
            where = f" ({plan.thread_ts})" if plan.thread_ts else ""
            say(env, f"--- would {verbs[plan.op]}{where} for {plan.rule}:\n"
                     f"{text(plan.body)}\n", {**extra, "rule": plan.rule})
    if summary.calendar is not None:
        say(env, summary.calendar.describe(), extra)
    say(env, summary.line(), extra)
    return ExitCode.OK


def say(env: Mapping[str, str], text: str, extra: dict[str, str]) -> None:
    """The command's own output: plain stdout locally, a structured log entry on
    Cloud Run (where every line must be a JSON object)."""
    from monitor.report.format import terminal_safe
    from monitor.runtime import on_cloud_run

    if on_cloud_run(env):
        log.info("%s", text, extra=extra)
    else:
        print(terminal_safe(text), flush=True)


def _record_run(warehouse: Warehouse, summary: CycleSummary) -> None:
    try:
        warehouse.query("append_monitor_run", summary.run_row(summary.metric_failures))
    except Exception as exc:  # noqa: BLE001 - the summary row is bookkeeping
        log.warning("monitor_runs row not written: %s", exc, extra={"run_id": summary.run_id})


def export_metrics(app: App, summary: CycleSummary | None, as_of: dt.datetime,
                   extra_sinks: Sequence[MetricSink] = ()) -> None:
    from monitor.metrics.export import export_cycle

    try:
        sinks = [*app.metric_sinks(), *extra_sinks]
    except Exception as exc:  # noqa: BLE001 - metrics never block alerts
        log.warning("metrics unavailable: %s: %s", type(exc).__name__, exc)
        if summary is not None:
            summary.metric_failures += 1
        sinks = list(extra_sinks)
    outcome = export_cycle(sinks, summary.results if summary else [], as_of=as_of,
                           alerts_firing=summary.alerts_firing if summary else 0,
                           monitor_failed=summary is None,
                           notify_failed=summary.dropped if summary else 0,
                           incidents_open=summary.incidents_open if summary else None)
    if summary is not None:
        summary.metric_failures += outcome.failed
        summary.metric_errors += outcome.errors
