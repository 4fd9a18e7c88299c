"""`prediction-monitor estimate`: dry-runs every query of a cycle on BigQuery and
prints the bytes each would process, the total, and the monthly cost."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from monitor.exit_codes import ExitCode

if TYPE_CHECKING:
    from monitor.warehouse.base import DryRunEstimator

TIB = 1024**4


class DryRunRecorder:
    """Looks like a warehouse to the checks; dry-runs each query instead of running it."""

    def __init__(self, warehouse: DryRunEstimator) -> None:
        self.inner = warehouse
        self.dataset = warehouse.dataset
        self.kind = warehouse.kind
        self.bytes: list[tuple[str, int]] = []

    def query(self, name: str, params: Mapping[str, Any], *,
              labels: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        self.bytes.append((name, self.inner.dry_run_bytes(name, params)))
        if name == "grading_progress":  # let the outcome windows be planned too
            return [{"game_date": params["end_date"], "graded": 1,
                     "last_graded_at": params["as_of"] - dt.timedelta(days=1)}]
        if name == "feature_shift_samples":  # and feature_shift's second query
            from monitor.checks.feature_shift import widest_samples

            return widest_samples(params)
        return []


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common

    p = sub.add_parser("estimate", help="BigQuery bytes and monthly cost of the checks")
    _add_common(p)
    p.add_argument("--runs-per-month", type=int, help="default: from the cycle schedule")
    p.set_defaults(handler=cmd_estimate)


def runs_per_month(cron: str) -> int:
    """Cycles in 30 days for a cron of the form 'M H dom mon dow' (approximate)."""
    minute, hour, *_ = cron.split()

    def count(field: str, size: int) -> int:
        if field == "*":
            return size
        if field.startswith("*/"):
            return size // int(field[2:])
        return len(field.split(","))

    return count(minute, 60) * count(hour, 24) * 30 if minute != "*" else 60 * 24 * 30


def cmd_estimate(args: argparse.Namespace) -> int:
    from monitor.checks import CheckContext
    from monitor.commands.common import command_app, open_warehouse_or_exit
    from monitor.errors import UsageError
    from monitor.league_calendar import load_calendar
    from monitor.model import eastern_date
    from monitor.rules.store import STATE_HORIZON
    from monitor.runner import run_checks
    from monitor.warehouse.base import DryRunEstimator, WarehouseError

    app = command_app(args)
    config = app.config
    warehouse = open_warehouse_or_exit(app, read_only=True)
    try:
        if not isinstance(warehouse, DryRunEstimator):
            raise UsageError("estimate needs a BigQuery warehouse (bigquery://PROJECT/DATASET)")
        recorder = DryRunRecorder(warehouse)
        now = dt.datetime.now(dt.UTC)
        ctx = CheckContext(as_of=now, config=config,
                           calendar=load_calendar(recorder, config, eastern_date(now)))
        results = run_checks(recorder, ctx)
        errors = [f"{r.name}: {r.error}" for r in results if r.error]
        try:
            recorder.query("alert_events_recent", {"since": ctx.as_of - STATE_HORIZON,
                                                   "as_of": ctx.as_of})
        except WarehouseError as exc:
            errors.append(str(exc))
    finally:
        warehouse.close()
    total = sum(b for _, b in recorder.bytes)
    runs = args.runs_per_month or runs_per_month(config.schedule.cycle)
    for name, size in recorder.bytes:
        print(f"{name:<28} {size:>16,} bytes")
    print(f"{'per cycle':<28} {total:>16,} bytes")
    monthly = total * runs
    cost = monthly / TIB * config.bigquery.price_per_tib_usd
    print(f"{runs} cycles/month: {monthly / TIB:.4f} TiB ≈ ${cost:,.2f} at "
          f"${config.bigquery.price_per_tib_usd}/TiB on demand")
    for error in errors:
        print(f"error: {error}")
    return ExitCode.MONITOR_ERROR if errors else ExitCode.OK
