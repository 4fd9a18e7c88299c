"""`prediction-monitor report [--date D] [--days N] --out FILE.html`."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.exit_codes import ExitCode

if TYPE_CHECKING:
    from monitor.config import MonitorConfig
    from monitor.report.history import ReportData
    from monitor.warehouse.base import Warehouse

DEFAULT_DAYS = 28  # also the period of serve's /report


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common, _date, day_count

    p = sub.add_parser("report", help="a self-contained HTML report of the period")
    _add_common(p)
    p.add_argument("--date", type=_date, help="last game date (default: yesterday, "
                                              "US/Eastern)")
    p.add_argument("--days", type=day_count(1, 366), default=DEFAULT_DAYS,
                   help=f"length of the period (default {DEFAULT_DAYS})")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.html")
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from monitor.commands.common import command_app, open_warehouse_or_exit

    app = command_app(args)
    now = dt.datetime.now(dt.UTC)
    warehouse = open_warehouse_or_exit(app, read_only=True)
    try:
        page, data = report_page(warehouse, app.config, args.date, args.days, now,
                                 slack_url=app.slack_workspace_url)
    finally:
        warehouse.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    print(f"wrote {args.out} ({data.daily.status.value}, {len(data.systems)} systems)")
    return ExitCode.OK


def report_page(warehouse: Warehouse, config: MonitorConfig, date: dt.date | None, days: int,
                now: dt.datetime, *, slack_url: str | None = None) -> tuple[str, ReportData]:
    """The HTML page for the period ending at `date` (default: yesterday, US/Eastern);
    `report --out` and serve's /report both render it here. `slack_url`: the Slack
    workspace's URL, for links to the incidents' threads."""
    from monitor.report.history import read_history
    from monitor.report.html import render_html
    from monitor.validate import default_date

    data = read_history(warehouse, config, date or default_date(now), max(days, 1), now)
    return render_html(data, config, slack_url=slack_url), data
