"""`prediction-monitor check-deployment --expected-sha SHA`: the seed's pre-backfill
gate. Exit 0 when the serving code is SHA, 1 when it is not (both commits named,
with when each was first seen) or when SHA is a blocked commit (who blocked it, when and
why), 2 when it cannot tell."""

from __future__ import annotations

import argparse
import datetime as dt

from monitor.exit_codes import ExitCode

HISTORY = dt.timedelta(days=30)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common, _timestamp

    p = sub.add_parser("check-deployment", help="is SHA the commit serving the latest daily "
                                                "batches? (run before any backfill)")
    _add_common(p)
    p.add_argument("--expected-sha", required=True, metavar="SHA")
    p.add_argument("--system", metavar="ID", help="only this system_id's batches")
    p.add_argument("--revision-commit", metavar="SHA",
                   help="BUILD_COMMIT of the deployed revision, compared too")
    p.add_argument("--as-of", type=_timestamp, metavar="TIMESTAMP",
                   help="judge as if the clock read TIMESTAMP")
    p.set_defaults(handler=cmd_check_deployment)


def cmd_check_deployment(args: argparse.Namespace) -> int:
    from monitor.commands.common import command_app, open_warehouse_or_exit
    from monitor.errors import CannotTell
    from monitor.gate import block_message, blocked_commit
    from monitor.provenance.identity import same_commit
    from monitor.rules.store import WarehouseAlertStore
    from monitor.warehouse.base import WarehouseError

    app = command_app(args)
    as_of = args.as_of or dt.datetime.now(dt.UTC)
    expected = args.expected_sha.strip()
    warehouse = open_warehouse_or_exit(app, read_only=True)
    try:
        rows = warehouse.query("serving_commit", {
            "system_id": args.system or "", "history_from": as_of - HISTORY, "as_of": as_of})
        seen = warehouse.query("commit_provenance", {
            "commits": [expected], "exec_from": as_of - HISTORY, "as_of": as_of})
        blocks = WarehouseAlertStore(warehouse).load_blocks(as_of)
    except WarehouseError as exc:
        raise CannotTell(str(exc)) from exc
    finally:
        warehouse.close()
    from monitor.report.format import terminal_safe

    # A blocked commit (`block-commit`) may not be backfilled,
    # whatever serves: every batch of it would be blocked.
    blocked: dict[str, None] = {}
    for commit in (expected, args.revision_commit or ""):
        found = blocked_commit(commit, blocks) if commit else None
        if found is not None:
            blocked[block_message(*found)] = None
    if blocked:
        print("BLOCKED COMMIT: do not backfill.\n- " + "\n- ".join(
            terminal_safe(b, keep_newlines=False) for b in blocked))
        return ExitCode.CHECK_FAILED
    if not rows or not rows[0]["serving_commit"] or rows[0]["serving_commit"] == "unknown":
        scope = f" for system {args.system}" if args.system else ""
        raise CannotTell(f"no daily batch with a known commit{scope} in the last "
                         f"{HISTORY.days} days")
    serving = rows[0]
    expected_seen = seen[0]["first_seen_at"].isoformat() if seen else "never seen in batches"
    problems = []
    if not same_commit(expected, serving["serving_commit"]):
        problems.append(
            f"the latest daily batches run {serving['serving_commit']} (first seen "
            f"{serving['first_seen_at'].isoformat()}, latest daily batch "
            f"{serving['latest_daily_batch_at'].isoformat()} on {serving['system_id']}), "
            f"not the expected {expected} (first seen: {expected_seen})")
    if args.revision_commit and not same_commit(expected, args.revision_commit):
        problems.append(f"the deployed revision was built from {args.revision_commit}, "
                        f"not the expected {expected}")

    # Commits and systems come from the data (and the flags): shown escaped.
    if problems:
        print("STALE DEPLOYMENT: do not backfill.\n- " + "\n- ".join(
            terminal_safe(p, keep_newlines=False) for p in problems))
        return ExitCode.CHECK_FAILED
    print(terminal_safe(f"ok: {expected} is serving (latest daily batch "
                        f"{serving['latest_daily_batch_at'].isoformat()} on "
                        f"{serving['system_id']})", keep_newlines=False))
    return ExitCode.OK
