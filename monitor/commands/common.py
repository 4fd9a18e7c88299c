"""What the commands share: argument types, the common options, the command's App and
the warehouse it opens (raising the typed errors `main` maps to exit codes), the fatal
error line and the report renderers. No command imports monitor.cli."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.app import App
    from monitor.config import MonitorConfig
    from monitor.warehouse.base import Warehouse


def _date(text: str) -> dt.date:
    """A --date/--start/--end flag: a date within monitor.date_bounds' years, else a
    usage error (argparse names the flag and exits 2)."""
    from monitor.date_bounds import parse_bounded_date

    try:
        return parse_bounded_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def day_count(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number of days in low..high (a window beyond the
    dates the monitor accepts would overflow deep in a check)."""
    def parse(text: str) -> int:
        try:
            days = int(text)
        except ValueError:
            days = low - 1
        if not low <= days <= high:
            raise argparse.ArgumentTypeError(
                f"{text[:40]!r} is not a number of days ({low} to {high})")
        return days

    return parse


def _timestamp(text: str) -> dt.datetime:
    """An --as-of flag: a timestamp (UTC unless it says) within monitor.date_bounds'
    years, else a usage error (argparse names the flag and exits 2)."""
    from monitor.date_bounds import parse_bounded_timestamp

    try:
        return parse_bounded_timestamp(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", metavar="URL",
                   help="duckdb:///abs/path.duckdb, duckdb:rel.duckdb or "
                        "bigquery://PROJECT/DATASET (default: $MONITOR_WAREHOUSE, else the "
                        "demo warehouse)")
    p.add_argument("--config", metavar="FILE", type=Path,
                   help="alerts.yaml to use (default: ./alerts.yaml, else the packaged one)")


def report_error(text: str, env: Mapping[str, str]) -> None:
    """A fatal error of a command: readable text on stderr locally, one structured
    JSON log line on Cloud Run (like every other line there); secrets redacted, and
    control characters escaped locally (an error may quote the data)."""
    from monitor.runtime import on_cloud_run
    from monitor.secrets import redact

    if on_cloud_run(env):
        import logging

        from monitor.logs import configure_logging

        configure_logging(env)
        logging.getLogger("monitor").error("%s", text)
    else:
        from monitor.report.format import terminal_safe

        print(terminal_safe(redact(text)), file=sys.stderr)


def load_config_or_exit(path: Path | None) -> MonitorConfig:
    """The config, or a ConfigurationError that `main` reports and maps to exit 2."""
    from monitor.config import ConfigError, load_config
    from monitor.errors import ConfigurationError

    try:
        return load_config(path)
    except ConfigError as exc:
        raise ConfigurationError(f"\n{exc}") from None
    except FileNotFoundError as exc:
        raise ConfigurationError(str(exc)) from None


def command_app(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> App:
    """The command's App, built once: its --config (or a ConfigurationError) and
    --warehouse, over the process environment (or `env`, when the command read it
    first to set up logging)."""
    from monitor.app import app_for

    return app_for(load_config_or_exit(args.config), args.warehouse, env)


def open_warehouse_or_exit(app: App, *, read_only: bool = False, run_id: str = "",
                           create: bool = True, has_create_flag: bool = False) -> Warehouse:
    """The App's warehouse, or a WarehouseUnavailable that `main` reports and maps to
    exit 2. `has_create_flag`: the command has --create, so a missing file's error
    tells to pass it."""
    from monitor.errors import WarehouseUnavailable
    from monitor.warehouse import WarehouseOpenError, WarehouseURLError

    if not app.names_a_warehouse and not app.demo_warehouse_path.exists():
        raise WarehouseUnavailable(
            "no warehouse given and the demo warehouse does not exist yet: run "
            "`prediction-monitor demo` or pass --warehouse")
    try:
        return app.open_warehouse(read_only=read_only, run_id=run_id, create=create)
    except WarehouseURLError as exc:
        offers = has_create_flag and not create and not read_only
        hint = " (pass --create to create it)" if offers and "does not exist" in str(
            exc) else ""
        raise WarehouseUnavailable(f"{exc}{hint}") from None
    except WarehouseOpenError as exc:
        raise WarehouseUnavailable(str(exc)) from None


def render_report(report: object, fmt: str) -> str:
    from monitor.report.markdown import render_markdown
    from monitor.report.text import render_json, render_text
    from monitor.validate import DailyReport

    assert isinstance(report, DailyReport)
    renderers = {"text": render_text, "markdown": render_markdown, "json": render_json}
    return renderers[fmt](report)
