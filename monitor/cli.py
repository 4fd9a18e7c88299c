"""prediction-monitor command line. Imports stay inside commands so `--help` and a
DuckDB run load nothing they do not use."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.exit_codes import ExitCode

if TYPE_CHECKING:
    from monitor.config import MonitorConfig
    from monitor.warehouse.base import Warehouse

Handler = Callable[[argparse.Namespace], int]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _timestamp(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a timestamp (e.g. 2026-01-10T15:15:00Z)") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", metavar="URL",
                   help="duckdb:///abs/path.duckdb, duckdb:rel.duckdb or "
                        "bigquery://PROJECT/DATASET (default: $MONITOR_WAREHOUSE, else the "
                        "demo warehouse)")
    p.add_argument("--config", metavar="FILE", type=Path,
                   help="alerts.yaml to use (default: ./alerts.yaml, else the packaged one)")


def report_error(text: str) -> None:
    """A fatal error of a command: readable text on stderr locally, one structured
    JSON log line on Cloud Run (like every other line there); secrets redacted."""
    from monitor.runtime import on_cloud_run
    from monitor.secrets import redact

    if on_cloud_run(os.environ):
        import logging

        from monitor.logs import configure_logging

        configure_logging(os.environ)
        logging.getLogger("monitor").error("%s", text)
    else:
        print(redact(text), file=sys.stderr)


def load_config_or_exit(path: Path | None) -> MonitorConfig:
    from monitor.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        report_error(f"configuration error:\n{exc}")
        raise SystemExit(ExitCode.MONITOR_ERROR) from None
    except FileNotFoundError as exc:
        report_error(f"configuration error: {exc}")
        raise SystemExit(ExitCode.MONITOR_ERROR) from None


def open_warehouse_or_exit(args: argparse.Namespace, config: MonitorConfig, *,
                           read_only: bool = False, run_id: str = "",
                           create: bool = True) -> Warehouse:
    from monitor.warehouse import WarehouseURLError, default_warehouse_url, open_warehouse

    url = args.warehouse or os.environ.get("MONITOR_WAREHOUSE")
    if url is None:
        url = default_warehouse_url()
        if not Path(url[len("duckdb:///") - 1:]).exists():
            report_error("no warehouse given and the demo warehouse does not exist yet: run "
                         "`prediction-monitor demo` or pass --warehouse")
            raise SystemExit(ExitCode.MONITOR_ERROR)
    try:
        return open_warehouse(url, dataset=config.dataset, read_only=read_only, create=create,
                              location=config.bigquery.location,
                              maximum_bytes_billed=config.bigquery.maximum_bytes_billed,
                              job_timeout_seconds=config.bigquery.job_timeout_seconds,
                              run_id=run_id, tables=config.table_names())
    except (WarehouseURLError, OSError) as exc:
        hint = " (pass --create to create it)" if not create and "does not exist" in str(
            exc) else ""
        report_error(f"warehouse error: {exc}{hint}")
        raise SystemExit(ExitCode.MONITOR_ERROR) from None
    except Exception as exc:  # duckdb.IOException (file locked) and similar
        report_error(f"warehouse error: {type(exc).__name__}: {exc}")
        raise SystemExit(ExitCode.MONITOR_ERROR) from None


def cmd_check_config(args: argparse.Namespace) -> int:
    from monitor.notify.factory import slack_env_problems
    from monitor.warehouse import warehouse_url_problem

    config = load_config_or_exit(args.config)
    # The environment too: a deployment's Slack and warehouse settings fail here,
    # not in the first scheduled run.
    problems = slack_env_problems(os.environ)
    url = args.warehouse or os.environ.get("MONITOR_WAREHOUSE")
    if url:
        problem = warehouse_url_problem(url)
        if problem:
            problems.append(f"warehouse: {problem}")
    if problems:
        report_error("environment error:\n" + "\n".join(f"  {p}" for p in problems))
        return ExitCode.MONITOR_ERROR
    print(f"ok: {len(config.rules)} rules, dataset {config.dataset}")
    # No warehouse here: whether the table exists is said by `run` and `validate-daily`.
    print(f"calendar: table {config.calendar.table}" if config.calendar else
          "calendar: none configured — off days cannot be told from a missing slate, so a "
          "missing slate is only a warning")
    for rule in config.rules:
        print(f"  {rule.name}: {rule.metric} ({rule.severity}) by {', '.join(rule.group_by)}")
    print("critical features: " + ", ".join(f.key for f in config.features))
    if config.settings.sentinels is not None:
        print("note: settings.sentinels is read as critical_features entries; replace it "
              "with this top-level block:\n" + config.settings.sentinels.rewrite_hint())
    return ExitCode.OK


def render_report(report: object, fmt: str) -> str:
    from monitor.report.markdown import render_markdown
    from monitor.report.text import render_json, render_text
    from monitor.validate import DailyReport

    assert isinstance(report, DailyReport)
    renderers = {"text": render_text, "markdown": render_markdown, "json": render_json}
    return renderers[fmt](report)


def cmd_validate_daily(args: argparse.Namespace) -> int:
    from monitor.validate import default_date, validate_daily

    config = load_config_or_exit(args.config)
    warehouse = open_warehouse_or_exit(args, config, read_only=True)
    try:
        now = dt.datetime.now(dt.UTC)
        report = validate_daily(warehouse, config, args.date or default_date(now), now)
    finally:
        warehouse.close()
    sys.stdout.write(render_report(report, args.format))
    return int(report.exit_code)


def cmd_demo(args: argparse.Namespace) -> int:
    from monitor.demo import HEALTHY_DATE, build_demo_warehouse, incident_first_date
    from monitor.demo.generator import DemoOptions
    from monitor.validate import validate_daily
    from monitor.warehouse import DEFAULT_DATA_DIR
    from monitor.warehouse.duckdb import DuckDBWarehouse

    config = load_config_or_exit(args.config)
    path = (args.path or DEFAULT_DATA_DIR / "demo.duckdb").resolve()
    opts = DemoOptions(seed=args.seed, scale=args.scale,
                       start=args.start or DemoOptions.start, end=args.end or DemoOptions.end)
    if args.rebuild or not path.exists():
        rows = build_demo_warehouse(path, opts, show_progress=sys.stderr.isatty())
        print(f"built demo warehouse {path} ({rows:,} prediction rows)\n")
    else:
        print(f"using demo warehouse {path} (--rebuild to regenerate)\n")
        _upgrade_demo(path, config)
    warehouse = DuckDBWarehouse(path, config.dataset, read_only=True)
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


def _upgrade_demo(path: Path, config: MonitorConfig) -> None:
    """A demo file built by an earlier release gets this release's migrations in place."""
    from monitor.migrations import SchemaVersionError, ensure_schema
    from monitor.warehouse.duckdb import DuckDBWarehouse

    warehouse = DuckDBWarehouse(path, config.dataset)
    try:
        applied = ensure_schema(warehouse, migrate=True)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prediction-monitor",
        description="Monitors prediction quality and alerts when predictions go bad.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate-daily", help="run every check for one game date; exit 0/1/2")
    _add_common(p)
    p.add_argument("--date", type=_date, help="game date (default: yesterday, US/Eastern)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.set_defaults(handler=cmd_validate_daily)

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

    p = sub.add_parser("check-config", help="validate alerts.yaml with the loader `run` uses, "
                                            "and the Slack and warehouse settings")
    _add_common(p)
    p.set_defaults(handler=cmd_check_config)

    for register in _extra_commands():
        register(sub)
    return parser


def _extra_commands() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]],
                                       None]]:
    """Commands defined in their own modules under monitor/commands/."""
    from monitor.commands import REGISTER

    return REGISTER


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else ExitCode.MONITOR_ERROR
    except KeyboardInterrupt:
        return ExitCode.MONITOR_ERROR
