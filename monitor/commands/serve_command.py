"""`prediction-monitor serve`: cycles and validate-daily on a schedule, with /healthz,
/metrics and /report on one port. SIGTERM lets a running cycle finish, then the
process exits 0. Every route gets what it reaches from the App built here once (its
warehouse, notifier, alert store): the App is the one place that maps configuration
and environment to adapters."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import logging
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from monitor.exit_codes import ExitCode

if TYPE_CHECKING:
    from monitor.app import App
    from monitor.metrics.prometheus import PrometheusExporter
    from monitor.routes import Route, Routes
    from monitor.scheduler import Health
    from monitor.slack_app import SlackAppDeps

log = logging.getLogger("monitor.serve")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common

    p = sub.add_parser("serve", help="long-running mode: scheduled cycles and validate-daily, "
                                     "/healthz, /metrics, /report, /events/batch, /slack/*")
    _add_common(p)
    p.add_argument("--port", type=int, default=None,
                   help="port of the HTTP routes (/healthz, /metrics, /report, "
                        "/events/batch, /slack/*; default: $PORT, else 8080; 0 disables)")
    p.add_argument("--host", default="0.0.0.0",
                   help="address the routes listen on (default 0.0.0.0, every interface, "
                        "as Cloud Run needs; 127.0.0.1 keeps a local run to this machine)")
    p.add_argument("--routes", choices=ROUTE_SETS, default="all",
                   help="all (default): every route; slack: only /slack/* and /healthz, "
                        "for the Slack app's public service (needs SLACK_SIGNING_SECRET)")
    p.add_argument("--run-now", action="store_true", help="run a cycle at start-up too")
    p.set_defaults(handler=cmd_serve)


ROUTE_SETS = ("all", "slack")


def cmd_serve(args: argparse.Namespace) -> int:
    from monitor.app import process_env
    from monitor.commands.common import command_app
    from monitor.errors import ConfigurationError, WarehouseUnavailable
    from monitor.events.oidc import PushVerifier
    from monitor.events.push import PUSH_SLOTS, batch_push_route
    from monitor.events.settings import event_env_problems, event_env_warnings, event_settings
    from monitor.logs import configure_logging
    from monitor.metrics.prometheus import PrometheusExporter
    from monitor.notify.factory import NotifierConfigError
    from monitor.routes import ServerLimits, start_server
    from monitor.runtime import on_cloud_run
    from monitor.scheduler import Health, build_scheduler
    from monitor.serve_cycle import ServeCycle

    env = process_env()
    configure_logging(env)
    app = command_app(args, env)  # the same wiring as `run`, built once
    config = app.config
    try:
        notifier = app.notifier()
    except NotifierConfigError as exc:
        raise ConfigurationError(str(exc)) from None
    if problems := event_env_problems(env):
        raise ConfigurationError("; ".join(problems))
    if args.routes == "slack" and not env.get("SLACK_SIGNING_SECRET"):
        raise ConfigurationError("--routes slack serves the Slack app, which needs "
                                 "SLACK_SIGNING_SECRET")
    if (problem := _schema_problem(app)) is not None:
        raise WarehouseUnavailable(problem, label="")
    for warning in event_env_warnings(env):
        log.warning(warning)
    health = Health()
    exporter = PrometheusExporter()
    events = event_settings(env)
    # One runner for the schedule's cycles and the pushes' (monitor/serve_cycle.py).
    cycles = ServeCycle(app, notifier, health, exporter)

    slack_app = None
    if env.get("SLACK_SIGNING_SECRET"):
        # The Slack app's routes exist only with a signing secret to verify requests.
        from monitor.secrets import Secret
        from monitor.slack_app import build_slack_app

        slack_app = build_slack_app(app, Secret(env["SLACK_SIGNING_SECRET"]), notifier)
    push_route = None
    if args.routes == "slack":
        pass  # the Slack app's service: no push, whoever could reach it
    elif events.push_auth is not None:
        push_route = batch_push_route(cycles, config, PushVerifier(events.push_auth))
    elif on_cloud_run(env):
        # Reachable from outside: never a cycle for anyone who asks without a token.
        log.warning("POST /events/batch is off: set MONITOR_PUSH_AUDIENCE to take "
                    "Pub/Sub pushes (their OIDC token is verified)")
    else:
        log.warning("POST /events/batch takes pushes without a token: set "
                    "MONITOR_PUSH_AUDIENCE to verify Pub/Sub's OIDC token")
        push_route = batch_push_route(cycles, config, None)
    port = args.port if args.port is not None else int(env.get("PORT", "8080"))
    routes = serve_routes(health, exporter, functools.partial(report_page_of, app), slack_app,
                          events=push_route, only=args.routes)
    # Pushes wait for their cycle on workers of their own: the other routes keep theirs.
    limits = ServerLimits()
    if push_route is not None:
        limits = ServerLimits(threads=limits.threads + PUSH_SLOTS)
    server = start_server(routes, port, args.host, limits) if port else None
    scheduled = cycles.run if events.serve_schedules_cycle else None
    scheduler = build_scheduler(config.schedule, scheduled,
                                functools.partial(scheduled_validate_daily, app))

    def stop(signum: int, frame: Any) -> None:
        log.info("SIGTERM: letting a running cycle finish, then exiting")
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.run_now:
        scheduler.add_job(cycles.run, id="startup-cycle", name="start-up cycle")
    log.info("serving: cycle %s, validate-daily %r (%s)%s",
             repr(config.schedule.cycle) if scheduled else "run by the job "
             "(MONITOR_HOURLY_CYCLE=job)",
             config.schedule.validate_daily, config.schedule.timezone,
             f", {' '.join(sorted({p for _, p in routes}))} on {args.host} port "
             f"{server.port}" if server else "")
    scheduler.start()
    cycles.drain()  # a push's cycle still running finishes; waiting pushes get a 503
    if server:
        server.shutdown()
    log.info("stopped")
    return ExitCode.OK


def report_page_of(app: App, day: dt.date | None) -> str:
    """/report's page: `report --out`'s, on a warehouse session of its own."""
    from monitor.commands.common import open_warehouse_or_exit
    from monitor.commands.report_command import DEFAULT_DAYS, report_page

    # Not read-only: DuckDB refuses a second connection to a file that this process
    # has open with another mode (the cycle's).
    warehouse = open_warehouse_or_exit(app, create=False)
    try:
        return report_page(warehouse, app.config, day, DEFAULT_DAYS, dt.datetime.now(dt.UTC),
                           slack_url=app.slack_workspace_url)[0]
    finally:
        warehouse.close()


def scheduled_validate_daily(app: App) -> None:
    """The schedule's validate-daily: its report goes to the log."""
    from monitor.commands.common import open_warehouse_or_exit
    from monitor.errors import WarehouseUnavailable
    from monitor.report.markdown import render_markdown
    from monitor.validate import default_date, validate_daily

    now = dt.datetime.now(dt.UTC)
    try:
        warehouse = open_warehouse_or_exit(app, create=False)
    except WarehouseUnavailable as exc:
        log.error("warehouse error: %s", exc)
        return
    try:
        report = validate_daily(warehouse, app.config, default_date(now), now)
    finally:
        warehouse.close()
    log.info("validate-daily exit %d\n%s", int(report.exit_code), render_markdown(report))


def _schema_problem(app: App) -> str | None:
    """The start-up check: a schema that does not fit stops `serve` before it schedules
    anything (each cycle checks again, as `run` does)."""
    from monitor.commands.common import open_warehouse_or_exit
    from monitor.migrations import SchemaVersionError, ensure_schema, may_migrate
    from monitor.warehouse.base import WarehouseError

    warehouse = open_warehouse_or_exit(app, create=False)
    try:
        ensure_schema(warehouse, migrate=may_migrate(warehouse, app.config.bigquery.auto_migrate),
                      release=app.release)
    except SchemaVersionError as exc:
        return str(exc)
    except WarehouseError as exc:
        return f"schema check failed: {exc}"
    finally:
        warehouse.close()
    return None


def serve_routes(health: Health, exporter: PrometheusExporter,
                 report: Callable[[dt.date | None], str],
                 slack_app: SlackAppDeps | None = None, *,
                 events: Route | None = None, only: str = "all") -> Routes:
    """The routes of `serve`, on one port: with `only="all"` every route (`/slack/*`
    only with a signing secret, `/events/batch` with the cycle runner behind it); with
    `only="slack"` the Slack app's routes and /healthz alone — what a public service
    may serve."""
    from monitor.metrics.prometheus import CONTENT_TYPE
    from monitor.routes import health_route, metrics_route, report_route

    routes: dict[tuple[str, str], Route] = {("GET", "/healthz"): health_route(health.report)}
    if only == "all":
        routes[("GET", "/metrics")] = metrics_route(exporter.exposition, CONTENT_TYPE)
        routes[("GET", "/report")] = report_route(report)
        if events is not None:
            from monitor.events.push import PATH

            routes[("POST", PATH)] = events
    if slack_app is not None:
        from monitor.slack_app import slack_routes

        routes |= slack_routes(slack_app)
    return routes
