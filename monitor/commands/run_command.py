"""`prediction-monitor run`: one monitoring cycle (the Cloud Run job's entry point); the
run itself is monitor/cycle_run.py's, shared with `serve`."""

from __future__ import annotations

import argparse
import datetime as dt


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common, _timestamp

    p = sub.add_parser("run", help="one monitoring cycle: checks, rules, alert state, "
                                   "notifications, metrics")
    _add_common(p)
    p.add_argument("--as-of", type=_timestamp, metavar="TIMESTAMP",
                   help="evaluate as if the clock read TIMESTAMP (replay history)")
    p.add_argument("--dry-run", action="store_true",
                   help="write and send nothing; print what would be done")
    p.add_argument("--run-id", help="run identity (default: $MONITOR_RUN_ID, the Cloud Run "
                                    "job execution, else generated)")
    p.add_argument("--create", action="store_true",
                   help="create the DuckDB warehouse file when it does not exist (otherwise "
                        "a path that does not exist is an error)")
    p.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from monitor.app import process_env
    from monitor.commands.common import command_app, open_warehouse_or_exit
    from monitor.cycle_run import export_metrics, run_once
    from monitor.errors import ConfigurationError, WarehouseUnavailable
    from monitor.logs import configure_logging
    from monitor.notify.factory import NotifierConfigError
    from monitor.runtime import run_id_from_env

    env = process_env()
    configure_logging(env)  # before the config is read: its errors are log lines too
    app = command_app(args, env)
    now = dt.datetime.now(dt.UTC)
    as_of = args.as_of or now
    run_id = args.run_id or run_id_from_env(env, now)
    try:
        notifier = app.notifier()
    except NotifierConfigError as exc:
        raise ConfigurationError(str(exc)) from None
    try:
        warehouse = open_warehouse_or_exit(app, read_only=args.dry_run, run_id=run_id,
                                           create=args.create, has_create_flag=True)
    except WarehouseUnavailable:
        if not args.dry_run:
            export_metrics(app, None, as_of)  # the heartbeat says the run failed
        raise
    return run_once(app, warehouse, notifier, as_of=as_of, run_id=run_id,
                    dry_run=args.dry_run)
