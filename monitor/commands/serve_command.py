"""`prediction-monitor serve`: cycles and validate-daily on a schedule, with /healthz.
SIGTERM lets a running cycle finish, then the process exits 0."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import signal
from typing import Any

from monitor.exit_codes import ExitCode

log = logging.getLogger("monitor.serve")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.cli import _add_common

    p = sub.add_parser("serve", help="long-running mode: scheduled cycles and validate-daily, "
                                     "/healthz")
    _add_common(p)
    p.add_argument("--port", type=int, default=None,
                   help="port of /healthz (default: $PORT, else 8080; 0 disables)")
    p.add_argument("--run-now", action="store_true", help="run a cycle at start-up too")
    p.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from monitor.cli import load_config_or_exit, open_warehouse_or_exit, report_error
    from monitor.commands.run_command import run_once
    from monitor.logs import configure_logging
    from monitor.notify.factory import NotifierConfigError, notifier_from_env
    from monitor.runtime import run_id_from_env
    from monitor.scheduler import Health, build_scheduler, start_health_server
    from monitor.validate import default_date, validate_daily

    env = dict(os.environ)
    configure_logging(env)
    config = load_config_or_exit(args.config)
    try:
        notifier = notifier_from_env(
            env, max_retry_after=config.slack.max_retry_after_seconds)
    except NotifierConfigError as exc:
        report_error(f"configuration error: {exc}")
        return ExitCode.MONITOR_ERROR
    health = Health()

    def cycle() -> None:
        now = dt.datetime.now(dt.UTC)
        run_id = run_id_from_env({k: v for k, v in env.items() if k != "MONITOR_RUN_ID"}, now)
        try:
            warehouse = open_warehouse_or_exit(args, config, run_id=run_id)
        except SystemExit:
            health.record(run_id, ok=False)
            return
        code = run_once(warehouse, config, notifier, env, as_of=now, run_id=run_id)
        health.record(run_id, ok=code == ExitCode.OK)
        log.info("cycle finished: %s", run_id, extra={"run_id": run_id})

    def daily() -> None:
        from monitor.report.markdown import render_markdown

        now = dt.datetime.now(dt.UTC)
        try:
            warehouse = open_warehouse_or_exit(args, config, read_only=False)
        except SystemExit:
            return
        try:
            report = validate_daily(warehouse, config, default_date(now), now)
        finally:
            warehouse.close()
        log.info("validate-daily exit %d\n%s", int(report.exit_code), render_markdown(report))

    port = args.port if args.port is not None else int(env.get("PORT", "8080"))
    server = start_health_server(health, port) if port else None
    scheduler = build_scheduler(config.schedule, cycle, daily)

    def stop(signum: int, frame: Any) -> None:
        log.info("SIGTERM: letting the running cycle finish, then exiting")
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.run_now:
        scheduler.add_job(cycle, id="startup-cycle", name="start-up cycle")
    log.info("serving: cycle %r, validate-daily %r (%s)%s", config.schedule.cycle,
             config.schedule.validate_daily, config.schedule.timezone,
             f", /healthz on port {server.server_address[1]}" if server else "")
    scheduler.start()
    if server:
        server.shutdown()
    log.info("stopped")
    return ExitCode.OK
