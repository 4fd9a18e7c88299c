"""`prediction-monitor backtest --start D --end D [--schedule CRON|events] [--format text|json]`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.exit_codes import ExitCode

if TYPE_CHECKING:
    from monitor.backtest import BacktestIncident


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common, _date

    p = sub.add_parser("backtest", help="replay scheduled cycles over history; print every "
                                        "alert that would have fired, repeated, resolved "
                                        "or been inhibited, and the incidents they made")
    _add_common(p)
    p.add_argument("--start", type=_date, required=True, help="first day (US/Eastern)")
    p.add_argument("--end", type=_date, required=True, help="last day, inclusive")
    p.add_argument("--schedule", metavar="CRON|events",
                   help="cycle schedule (default: schedule.cycle of the config); 'events' "
                        "adds a cycle one second after each batch ends to the configured "
                        "schedule, as serve's Pub/Sub push runs one")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=cmd_backtest)


def cmd_backtest(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from monitor.backtest import EVENTS, backtest, replay_cron, replay_times
    from monitor.commands.common import command_app, open_warehouse_or_exit
    from monitor.config import Schedule
    from monitor.errors import UsageError, WarehouseUnavailable
    from monitor.report.format import terminal_safe
    from monitor.report.strict_json import dumps
    from monitor.warehouse.base import WarehouseError

    app = command_app(args)
    config = app.config
    events = args.schedule == EVENTS
    cron = replay_cron(args.schedule, config)
    try:
        Schedule(cycle=cron)
    except ValueError as exc:
        raise UsageError(f"--schedule: {exc}") from None
    warehouse = open_warehouse_or_exit(app, read_only=True)
    try:
        times, event_cycles = replay_times(warehouse, args.start, args.end, args.schedule,
                                           config)
        with Progress(TextColumn("backtest"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[at]}"), disable=not sys.stderr.isatty(),
                      transient=True) as bar:
            task = bar.add_task("cycles", total=len(times), at="")
            runs, _ = backtest(warehouse, {"default": config}, times,
                               lambda at: bar.update(task, advance=1,
                                                     at=at.strftime("%Y-%m-%d %H:%M")))
    except WarehouseError as exc:
        raise WarehouseUnavailable(str(exc), label="backtest failed") from exc
    finally:
        warehouse.close()
    alerts, incidents = runs["default"].alerts, runs["default"].incidents
    if args.format == "json":
        print(dumps({"start": args.start.isoformat(), "end": args.end.isoformat(),
                          "schedule": args.schedule or cron, "cycles": len(times),
                          "event_cycles": event_cycles,
                          "alerts": [a.to_json() for a in alerts],
                          "incidents": [i.to_json() for i in incidents]}, indent=2))
        return ExitCode.OK
    plan = f"{cron!r}" + (f" and {event_cycles} one second after a batch ended"
                          if events else "")
    print(f"backtest {args.start} .. {args.end}: {len(times)} cycles ({plan}), "
          f"{sum(a.event == 'fired' for a in alerts)} alerts fired, "
          f"{len(incidents)} incidents")

    def when(t: dt.datetime) -> str:
        return f"{t:%Y-%m-%d %H:%M:%S}Z" if events else f"{t:%Y-%m-%d %H:%M}Z"

    for a in alerts:
        where = ", ".join(f"{k}={v}" for k, v in a.labels)
        detail = ""
        if a.evidence and a.event != "resolved":
            ev = a.evidence
            detail = f" — {ev.metric}={ev.value:.4g} (n={ev.sample_size}) {ev.reason}" \
                if ev.value is not None else f" — {ev.reason}"
        if a.inhibited_by:
            detail = f" — by {a.inhibited_by}"
        print(terminal_safe(f"{when(a.time)} {a.event.upper():<8} {a.severity:<8} "
                            f"{a.rule} [{where}]{detail}", keep_newlines=False))
    for line in incident_lines(incidents, seconds=events):
        print(terminal_safe(line, keep_newlines=False))
    return ExitCode.OK


def incident_lines(incidents: Sequence[BacktestIncident], *, seconds: bool) -> list[str]:
    """Each incident: its number, severity, key, when it opened and resolved and the
    messages it would have sent; then each member with its first fire and its status
    at the end of the replay."""

    def when(t: dt.datetime) -> str:
        return f"{t:%Y-%m-%d %H:%M:%S}Z" if seconds else f"{t:%Y-%m-%d %H:%M}Z"

    lines = []
    for inc in incidents:
        until = f"resolved {when(inc.resolved)}" if inc.resolved else "still open"
        lines.append(f"INCIDENT #{inc.number} {inc.severity} {inc.key}: opened "
                     f"{when(inc.opened)}, {until}; pages={inc.pages} "
                     f"replies={inc.replies} (reminders={inc.reminders}) "
                     f"updates={inc.updates}")
        for m in inc.members:
            where = ", ".join(f"{k}={v}" for k, v in m.labels)
            lines.append(f"  {m.rule} {m.severity} [{where}] first fired "
                         f"{when(m.first_fired)}, {m.status}")
    return lines
