"""`prediction-monitor backtest --start D --end D [--schedule CRON|events] [--format text|json]`."""

from __future__ import annotations

import argparse
import sys

from monitor.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common, _date

    p = sub.add_parser("backtest", help="replay scheduled cycles over history; print every "
                                        "alert that would have fired, repeated or resolved")
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
    alerts = runs["default"].alerts
    if args.format == "json":
        print(dumps({"start": args.start.isoformat(), "end": args.end.isoformat(),
                          "schedule": args.schedule or cron, "cycles": len(times),
                          "event_cycles": event_cycles,
                          "alerts": [a.to_json() for a in alerts]}, indent=2))
        return ExitCode.OK
    plan = f"{cron!r}" + (f" and {event_cycles} one second after a batch ended"
                          if events else "")
    print(f"backtest {args.start} .. {args.end}: {len(times)} cycles ({plan}), "
          f"{sum(a.event == 'fired' for a in alerts)} alerts fired")
    for a in alerts:
        where = ", ".join(f"{k}={v}" for k, v in a.labels)
        detail = ""
        if a.evidence and a.event != "resolved":
            ev = a.evidence
            detail = f" — {ev.metric}={ev.value:.4g} (n={ev.sample_size}) {ev.reason}" \
                if ev.value is not None else f" — {ev.reason}"
        when = f"{a.time:%Y-%m-%d %H:%M:%S}" if events else f"{a.time:%Y-%m-%d %H:%M}"
        print(terminal_safe(f"{when}Z {a.event.upper():<8} {a.severity:<8} "
                            f"{a.rule} [{where}]{detail}", keep_newlines=False))
    return ExitCode.OK
