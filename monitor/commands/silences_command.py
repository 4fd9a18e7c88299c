"""`prediction-monitor silences`: the silences in force now, from alerts.yaml and from
Slack (who set it, until when; on one alert or on an incident)."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from monitor.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common

    p = sub.add_parser("silences", help="the active silences, from alerts.yaml and from Slack")
    _add_common(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=cmd_silences)


def cmd_silences(args: argparse.Namespace) -> int:
    from monitor.commands.common import command_app, open_warehouse_or_exit
    from monitor.errors import WarehouseUnavailable
    from monitor.report.format import terminal_safe
    from monitor.rules.incidents import fold_incidents
    from monitor.rules.silences import active_silences
    from monitor.rules.state import fold
    from monitor.warehouse.base import WarehouseError

    app = command_app(args)
    now = dt.datetime.now(dt.UTC)
    warehouse = open_warehouse_or_exit(app, read_only=True, create=False)
    try:
        events = app.alert_store(warehouse, dry_run=False, as_of=now).load(now)
    except WarehouseError as exc:
        raise WarehouseUnavailable(str(exc), label="alert state unreadable") from exc
    finally:
        warehouse.close()
    silences = active_silences(app.config, fold(events).values(), now,
                               fold_incidents(events).values())
    if args.format == "json":
        print(json.dumps({"as_of": now.isoformat(),
                          "silences": [s.to_json() for s in silences]}))
        return ExitCode.OK
    if not silences:
        print("no active silences")
    for s in silences:
        what = ", ".join(f"{k}={v}" for k, v in s.matchers)
        who = f"Slack, by {s.by}" if s.origin == "slack" else "alerts.yaml"
        note = f" — {s.comment}" if s.comment else ""
        # An incident's silence: every alert of the incident, current and future.
        head = (f"incident #{s.incident.number} {s.incident.key}" if s.incident
                else f"{s.rule} {{{what}}}")
        # Labels, the Slack user and comments come from the data: shown escaped.
        print(terminal_safe(f"{head} until "
                            f"{s.until.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC ({who}){note}",
                            keep_newlines=False))
    return ExitCode.OK
