"""`prediction-monitor check-config`: alerts.yaml with the loader every command uses,
and the Slack, batch-event and warehouse settings of the environment."""

from __future__ import annotations

import argparse

from monitor.exit_codes import ExitCode


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
    if config.settings.sentinels is not None:
        print("note: settings.sentinels is read as critical_features entries; replace it "
              "with this top-level block:\n" + config.settings.sentinels.rewrite_hint())
    return ExitCode.OK
