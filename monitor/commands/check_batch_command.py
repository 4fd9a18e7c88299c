"""`prediction-monitor check-batch (--execution-id ID | --batch-id ID)`: the orchestrator
step between "predict" and "publish". The prediction-time checks on that batch alone
(feature defaults and mismatch through the batch gate, provenance against the serving
commit, the commits people blocked). Exit 0 pass, 1 block (naming the commit and the
rule), 2 cannot tell."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING

from monitor.exit_codes import ExitCode

if TYPE_CHECKING:
    from monitor.batch_verdict import BatchVerdict


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common, _timestamp, day_count

    p = sub.add_parser("check-batch", help="judge one prediction batch before it is "
                                           "published: exit 0 pass, 1 block, 2 cannot tell")
    _add_common(p)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--execution-id", metavar="ID", help="the execution log's execution_id")
    which.add_argument("--batch-id", metavar="ID",
                       help="the execution log's batch_id (every system's batch of that id)")
    p.add_argument("--lookback-days", type=day_count(0, 400), default=3, metavar="N",
                   help="look the id up among batches started in the last N days, UTC "
                        "(default 3)")
    p.add_argument("--as-of", type=_timestamp, metavar="TIMESTAMP",
                   help="judge as if the clock read TIMESTAMP")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=cmd_check_batch)


def cmd_check_batch(args: argparse.Namespace) -> int:
    from monitor.batch_verdict import BLOCK, CANNOT_TELL, PASS, find_batches, judge_batch, overall
    from monitor.commands.common import command_app, open_warehouse_or_exit
    from monitor.errors import CannotTell
    from monitor.report.strict_json import dumps
    from monitor.rules.store import WarehouseAlertStore

    app = command_app(args)
    config = app.config
    as_of = args.as_of or dt.datetime.now(dt.UTC)
    which = (f"execution_id {args.execution_id}" if args.execution_id
             else f"batch_id {args.batch_id}")
    warehouse = open_warehouse_or_exit(app, read_only=True)
    try:
        batches = find_batches(warehouse, execution_id=args.execution_id or "",
                               batch_id=args.batch_id or "", as_of=as_of,
                               lookback_days=args.lookback_days)
        # The blocks in force when the clock reads as_of: `block-commit` and Slack's.
        store = WarehouseAlertStore(warehouse, labels={"check": "check_batch"})
        blocks = store.load_blocks(as_of) if batches else {}
        verdicts = [judge_batch(warehouse, config, b, blocked_commits=blocks)
                    for b in batches]
    finally:
        warehouse.close()
    if not verdicts:
        why = (f"no batch with {which} started from "
               f"{as_of.astimezone(dt.UTC).date() - dt.timedelta(days=args.lookback_days)} "
               f"(UTC) to {as_of.isoformat()} (--lookback-days {args.lookback_days})")
        if args.format == "json":
            print(dumps({"verdict": CANNOT_TELL, "as_of": as_of.isoformat(), "message": why,
                         "batches": []}))
        raise CannotTell(why)
    state = overall(verdicts)
    if args.format == "json":
        print(dumps({"verdict": state, "as_of": as_of.isoformat(),
                     "batches": [v.to_json() for v in verdicts]}))
    else:
        sys.stdout.write(render_text(verdicts))
    # The verdict, already printed with its reasons, is the exit code.
    return {PASS: ExitCode.OK, BLOCK: ExitCode.CHECK_FAILED,
            CANNOT_TELL: ExitCode.MONITOR_ERROR}[state]


def render_text(verdicts: list[BatchVerdict]) -> str:
    from monitor.report.format import terminal_safe

    lines = []
    for v in verdicts:
        b = v.batch
        head = (f"{v.state.upper()}: {b['system_id']} {b['game_date']} commit {v.commit} "
                f"({b['feature_source_mode'] or 'unknown'} batch, execution "
                f"{b['execution_id']}, batch {b['batch_id'] or '-'}, {v.verdict.rows} rows; "
                f"serving commit {v.serving_commit or 'unknown'})")
        lines.append(head)
        if v.cannot_tell:
            lines.append(f"  cannot tell: {v.cannot_tell}")
        for r in v.verdict.reasons:
            lines.append(f"  - {r.severity} {r.message}")
    return terminal_safe("\n".join(lines)) + "\n"
