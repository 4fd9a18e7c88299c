"""`prediction-monitor unblock-commit SHA [--by NAME]`: lift a commit's block. Its
batches are judged on their rows and provenance again. Unblocking a commit that is not
blocked is an error (exit 2) naming it."""

from __future__ import annotations

import argparse
import datetime as dt

from monitor.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.block_commit_command import argument, commit_arg, name_arg
    from monitor.commands.common import _add_common

    p = sub.add_parser("unblock-commit", help="lift a commit's block (see block-commit)")
    _add_common(p)
    p.add_argument("sha", type=argument(commit_arg), metavar="SHA",
                   help="the blocked commit, as `blocks` lists it (or an abbreviation)")
    p.add_argument("--by", type=argument(name_arg), metavar="NAME",
                   help="who unblocks it (default: $USER, else $LOGNAME, else cli)")
    p.set_defaults(handler=cmd_unblock_commit)


def cmd_unblock_commit(args: argparse.Namespace) -> int:
    from monitor.commands.block_commit_command import run_id, writable_store
    from monitor.errors import CommandError
    from monitor.report.format import terminal_safe
    from monitor.rules.blocks import block_event, blocks_of

    now = dt.datetime.now(dt.UTC)
    with writable_store(args, now) as (app, store):
        by = args.by or app.user
        found = blocks_of(store.load_blocks(now), args.sha)
        if not found:
            raise CommandError(f"commit {args.sha} is not blocked (`prediction-monitor "
                               "blocks` lists the blocked commits)")
        if len(found) > 1:
            raise CommandError(f"{args.sha} matches {len(found)} blocked commits ("
                               f"{', '.join(b.commit for b in found)}): give the one to "
                               "unblock in full")
        (block,) = found
        store.append([block_event(now, run_id(now), block.commit, actor=by, reason="",
                                  blocked=False)])
    print(terminal_safe(f"unblocked {block.commit}, by {by} (blocked by {block.blocked_by} "
                        f"since {block.blocked_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC: "
                        f"{block.reason}); its batches are judged on their rows again",
                        keep_newlines=False))
    return ExitCode.OK
