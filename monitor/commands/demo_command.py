"""`prediction-monitor demo`: builds the demo warehouse and validates two dates."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.exit_codes import ExitCode

if TYPE_CHECKING:
    from monitor.app import App
    from monitor.config import MonitorConfig
    from monitor.warehouse.base import Warehouse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _date

    p = sub.add_parser("demo", help="build the demo warehouse and validate two dates")
    p.add_argument("--config", metavar="FILE", type=Path)
    p.add_argument("--path", type=Path, help="DuckDB file (default: data/demo.duckdb)")
    p.add_argument("--rebuild", action="store_true", help="regenerate even when present")
    p.add_argument("--seed", type=int, default=64)
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiplies the number of systems (1.0 ≈ 240k prediction rows)")
    p.add_argument("--start", type=_date, help="first game date of the season")
    p.add_argument("--end", type=_date, help="last game date of the season")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from monitor.app import app_for
    from monitor.commands.common import load_config_or_exit, render_report
    from monitor.demo import HEALTHY_DATE, build_demo_warehouse, incident_first_date
    from monitor.demo.options import DemoOptions
    from monitor.validate import validate_daily

    app = app_for(load_config_or_exit(args.config))  # no --warehouse: the demo's own file
    config = app.config
    path = (args.path or app.demo_warehouse_path).resolve()
    opts = DemoOptions(seed=args.seed, scale=args.scale,
                       start=args.start or DemoOptions.start, end=args.end or DemoOptions.end)
    if args.rebuild or not path.exists():
        rows = build_demo_warehouse(path, opts, show_progress=sys.stderr.isatty(),
                                    sql_cache=app.sql_cache_dir)
        print(f"built demo warehouse {path} ({rows:,} prediction rows)\n")
    else:
        print(f"using demo warehouse {path} (--rebuild to regenerate)\n")
        _upgrade_demo(app, path)
    warehouse = app.open_duckdb(path, read_only=True)
    try:
        for title, date in (("healthy date", HEALTHY_DATE),
                            ("first date of the incident", incident_first_date(opts))):
            report = validate_daily(warehouse, config, date)
            print(f"=== {title}: {date.isoformat()} ===")
            sys.stdout.write(render_report(report, args.format))
            print()
        _demo_cycle(warehouse, config, incident_first_date(opts))
    finally:
        warehouse.close()
    print(f"warehouse URL for other commands: duckdb://{path}")
    return ExitCode.OK


def _upgrade_demo(app: App, path: Path) -> None:
    """A demo file built by an earlier release gets this release's migrations in place."""
    from monitor.migrations import SchemaVersionError, ensure_schema

    warehouse = app.open_duckdb(path)
    try:
        applied = ensure_schema(warehouse, migrate=True, release=app.release)
    except SchemaVersionError as exc:  # the demo only reads from here on: that still works
        print(f"not upgraded: {exc}\n")
        return
    finally:
        warehouse.close()
    if applied:
        print(f"upgraded it in place: {', '.join(m.name for m in applied)}\n")


def _demo_cycle(warehouse: Warehouse, config: MonitorConfig, incident: dt.date) -> None:
    """What Slack would get from the scheduled cycle after the first broken batch
    (state in memory: the demo warehouse is not written to)."""
    from monitor.cycle import run_cycle
    from monitor.notify.console import ConsoleNotifier
    from monitor.rules.store import MemoryAlertStore

    as_of = dt.datetime.combine(incident, dt.time(15, 15), tzinfo=dt.UTC)
    print(f"=== the scheduled cycle at {as_of.isoformat()}: what Slack would get ===")
    summary = run_cycle(warehouse, config, ConsoleNotifier(), MemoryAlertStore(),
                        as_of=as_of, run_id="demo")
    print(summary.line())
    print()
