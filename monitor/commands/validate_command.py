"""`prediction-monitor validate-daily`: every check for one game date; exit 0/1/2."""

from __future__ import annotations

import argparse
import datetime as dt
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common, _date

    p = sub.add_parser("validate-daily", help="run every check for one game date; exit 0/1/2")
    _add_common(p)
    p.add_argument("--date", type=_date, help="game date (default: yesterday, US/Eastern)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.set_defaults(handler=cmd_validate_daily)


def cmd_validate_daily(args: argparse.Namespace) -> int:
    from monitor.commands.common import command_app, open_warehouse_or_exit, render_report
    from monitor.validate import default_date, validate_daily

    app = command_app(args)
    warehouse = open_warehouse_or_exit(app, read_only=True)
    try:
        now = dt.datetime.now(dt.UTC)
        report = validate_daily(warehouse, app.config, args.date or default_date(now), now)
    finally:
        warehouse.close()
    sys.stdout.write(render_report(report, args.format))
    return int(report.exit_code)
