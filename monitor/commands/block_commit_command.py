"""`prediction-monitor block-commit SHA --reason TEXT [--by NAME]`: no batch of this
commit may be published. Recorded in the alert event log with who and why; from then
on `check-batch`, `check-deployment` and the worker's gate block every batch of it,
until `unblock-commit`."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from monitor.exit_codes import ExitCode

if TYPE_CHECKING:
    from monitor.app import App
    from monitor.rules.store import AlertStore


def argument(parse: Callable[[str], str]) -> Callable[[str], str]:
    """An argparse type of a pure parser raising ValueError: a usage error (exit 2)."""
    def checked(text: str) -> str:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return checked


def commit_arg(text: str) -> str:
    from monitor.rules.blocks import commit_text

    return commit_text(text)


def reason_arg(text: str) -> str:
    from monitor.rules.blocks import plain_text

    return plain_text(text, "the reason")


def name_arg(text: str) -> str:
    from monitor.rules.blocks import plain_text

    return plain_text(text, "the name", limit=200)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common

    p = sub.add_parser("block-commit", help="block every batch of a commit (check-batch, "
                                            "check-deployment, the gate) until unblocked")
    _add_common(p)
    p.add_argument("sha", type=argument(commit_arg), metavar="SHA",
                   help="the commit: a full or abbreviated sha, or the build_commit_sha text")
    p.add_argument("--reason", type=argument(reason_arg), required=True, metavar="TEXT",
                   help="why no batch of it may be published (shown wherever it blocks)")
    p.add_argument("--by", type=argument(name_arg), metavar="NAME",
                   help="who blocks it (default: $USER, else $LOGNAME, else cli)")
    p.set_defaults(handler=cmd_block_commit)


def cmd_block_commit(args: argparse.Namespace) -> int:
    from monitor.report.format import terminal_safe
    from monitor.rules.blocks import block_event, blocks_of

    now = dt.datetime.now(dt.UTC)
    with writable_store(args, now) as (app, store):
        by = args.by or app.user
        existing = blocks_of(store.load_blocks(now), args.sha)
        if not existing:
            store.append([block_event(now, run_id(now), args.sha, actor=by,
                                      reason=args.reason)])
    if existing:
        b = existing[0]
        print(terminal_safe(f"{b.commit} is already blocked, by {b.blocked_by} since "
                            f"{b.blocked_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC: "
                            f"{b.reason} (unchanged; unblock it first to change the reason)",
                            keep_newlines=False))
        return ExitCode.OK
    print(terminal_safe(f"blocked {args.sha}, by {by}: {args.reason}. check-batch, "
                        "check-deployment and the gate block every batch of it until "
                        f"`prediction-monitor unblock-commit {args.sha}`",
                        keep_newlines=False))
    return ExitCode.OK


def run_id(now: dt.datetime) -> str:
    """The run id of an event a person writes from the command line."""
    return f"cli:{now.isoformat()}"


@contextmanager
def writable_store(args: argparse.Namespace, now: dt.datetime) -> Iterator[
        tuple[App, AlertStore]]:
    """(the App, its alert store) on the warehouse opened for writing, after the start-up
    schema check of every writing command; the warehouse is closed on exit."""
    from monitor.commands.common import command_app, open_warehouse_or_exit
    from monitor.errors import CommandError
    from monitor.migrations import SchemaVersionError, ensure_schema, may_migrate

    app = command_app(args)
    warehouse = open_warehouse_or_exit(app, create=False)
    try:
        try:
            # An older schema is migrated (or the command stops, asking for `schema
            # apply`), a newer one is never written to.
            ensure_schema(warehouse, migrate=may_migrate(warehouse,
                                                         app.config.bigquery.auto_migrate),
                          release=app.release)
        except SchemaVersionError as exc:
            raise CommandError(str(exc), label="schema error") from None
        yield app, app.alert_store(warehouse, dry_run=False, as_of=now)
    finally:
        warehouse.close()
