"""`prediction-monitor blocks`: the commits blocked now (block-commit, Slack's Block
this commit), with who blocked each, when and why; read-only."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from monitor.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common

    p = sub.add_parser("blocks", help="the blocked commits: who blocked each, when and why")
    _add_common(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=cmd_blocks)


def cmd_blocks(args: argparse.Namespace) -> int:
    from monitor.commands.common import command_app, open_warehouse_or_exit
    from monitor.report.format import terminal_safe

    app = command_app(args)
    now = dt.datetime.now(dt.UTC)
    warehouse = open_warehouse_or_exit(app, read_only=True, create=False)
    try:
        store = app.alert_store(warehouse, dry_run=False, as_of=now)
        blocks = sorted(store.load_blocks(now).values(), key=lambda b: (b.blocked_at, b.commit))
    finally:
        warehouse.close()
    if args.format == "json":
        print(json.dumps({"as_of": now.isoformat(), "blocks": [b.to_json() for b in blocks]}))
        return ExitCode.OK
    if not blocks:
        print("no blocked commit")
    for b in blocks:
        # The commit, the name and the reason were typed by people: shown escaped.
        print(terminal_safe(f"{b.commit} blocked by {b.blocked_by} since "
                            f"{b.blocked_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC: "
                            f"{b.reason}", keep_newlines=False))
    return ExitCode.OK
