"""`prediction-monitor check-config`: alerts.yaml with the loader every command uses,
and the Slack, batch-event and warehouse settings of the environment."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.exit_codes import ExitCode

if TYPE_CHECKING:
    from monitor.app import App


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common

    p = sub.add_parser("check-config", help="validate alerts.yaml with the loader `run` uses, "
                                            "and the Slack, warehouse and batch-event "
                                            "settings")
    _add_common(p)
    p.set_defaults(handler=cmd_check_config)


def cmd_check_config(args: argparse.Namespace) -> int:
    from monitor.commands.common import command_app
    from monitor.errors import EnvironmentProblem
    from monitor.events.settings import event_env_problems, event_env_warnings
    from monitor.notify.factory import slack_env_problems
    from monitor.warehouse import warehouse_url_problem

    app = command_app(args)
    config = app.config
    # The environment too: a deployment's Slack and warehouse settings fail here,
    # not in the first scheduled run. The warehouse is the one the App would open.
    problems = slack_env_problems(app.env) + event_env_problems(app.env)
    if app.names_a_warehouse:
        problem = warehouse_url_problem(app.warehouse_url)
        if problem:
            problems.append(f"warehouse: {problem}")
    if problems:
        raise EnvironmentProblem("\n" + "\n".join(f"  {p}" for p in problems))
    print(f"ok: {len(config.rules)} rules, dataset {config.dataset}")
    for warning in event_env_warnings(app.env):
        print(f"warning: {warning}")
    # No warehouse here: whether the table exists is said by `run` and `validate-daily`.
    print(f"calendar: table {config.calendar.table}" if config.calendar else
          "calendar: none configured — off days cannot be told from a missing slate, so a "
          "missing slate is only a warning")
    for rule in config.rules:
        print(f"  {rule.name}: {rule.metric} ({rule.severity}) by {', '.join(rule.group_by)}")
    print("critical features: " + ", ".join(f.key for f in config.features))
    if args.warehouse:  # given on the command line: say which keys no row carries
        for line in absent_feature_lines(app):
            print(line)
    if config.settings.sentinels is not None:
        print("note: settings.sentinels is read as critical_features entries; replace it "
              "with this top-level block:\n" + config.settings.sentinels.rewrite_hint())
    return ExitCode.OK


def absent_feature_lines(app: App) -> list[str]:
    """A line per configured critical feature that no row of any commit carried in the
    last 28 days (what the built-in critical_feature_absent warning says in `run`)."""
    import datetime as dt

    from monitor.checks.feature_defaults import ABSENT_KEY_DAYS, absent_keys
    from monitor.commands.common import open_warehouse_or_exit
    from monitor.model import eastern_date

    config = app.config
    now = dt.datetime.now(dt.UTC)
    warehouse = open_warehouse_or_exit(app, read_only=True, create=False)
    try:
        absent = absent_keys(warehouse, config.features,
                             eastern_date(now) + dt.timedelta(days=1), now)
    finally:
        warehouse.close()
    return [f"critical feature absent: {f.key} (no row of any commit carried it in the "
            f"last {ABSENT_KEY_DAYS} days: remove it from critical_features, or the worker "
            "stopped writing it)" for f in config.features if f.key in absent]
