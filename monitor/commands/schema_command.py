"""`prediction-monitor schema apply [--dry-run]` and `schema status`: the contract's
idempotent DDL and the versioned migrations of the monitor's own tables."""

from __future__ import annotations

import argparse

from monitor.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common

    p = sub.add_parser("schema", help="manage the warehouse schema")
    actions = p.add_subparsers(dest="schema_action", required=True, metavar="ACTION")
    apply = actions.add_parser("apply", help="create the contract's tables and apply the "
                                             "monitor's pending migrations (idempotent)")
    _add_common(apply)
    apply.add_argument("--dry-run", action="store_true",
                       help="print what would be applied, change nothing")
    apply.set_defaults(handler=cmd_schema_apply)
    status = actions.add_parser("status", help="schema version of the warehouse and of "
                                               "the code")
    _add_common(status)
    status.set_defaults(handler=cmd_schema_status)


def cmd_schema_apply(args: argparse.Namespace) -> int:
    from monitor.commands.common import command_app, open_warehouse_or_exit
    from monitor.errors import WarehouseUnavailable
    from monitor.migrations import schema_status
    from monitor.schema import apply_schema, schema_plan
    from monitor.warehouse.base import WarehouseError

    app = command_app(args)
    warehouse = open_warehouse_or_exit(app)
    try:
        status = schema_status(warehouse)
        if args.dry_run:
            print(f"-- {status.line()}")
            pending = {m.name for m in status.pending}
            for name, statements in schema_plan(warehouse, status):
                kind = "pending migration" if name in pending else "contract table"
                print(f"-- {name} ({kind})")
                for statement in statements:
                    print(statement.rstrip(";") + ";")
                print()
            return ExitCode.OK
        if status.state == "ahead":
            raise WarehouseUnavailable(f"{status.line()}. Deploy the newer release.",
                                       label="schema apply refused")
        try:
            applied = apply_schema(warehouse, release=app.release)
        except WarehouseError as exc:
            raise WarehouseUnavailable(str(exc), label="schema apply failed") from exc
        names = ", ".join(m.name for m in applied.migrations) or "none pending"
        print(f"{warehouse.kind} dataset {warehouse.dataset}: contract tables ensured "
              f"({applied.contract_statements} statements); migrations applied: {names}")
        print(schema_status(warehouse).line())
        return ExitCode.OK
    finally:
        warehouse.close()


def cmd_schema_status(args: argparse.Namespace) -> int:
    """Exit 0 when the warehouse is at the code's version, 1 when it is behind or ahead."""
    from monitor.commands.common import command_app, open_warehouse_or_exit
    from monitor.errors import WarehouseUnavailable
    from monitor.migrations import schema_status
    from monitor.warehouse.base import WarehouseError

    warehouse = open_warehouse_or_exit(command_app(args), read_only=True)
    try:
        status = schema_status(warehouse)
    except WarehouseError as exc:
        raise WarehouseUnavailable(str(exc), label="schema status failed") from exc
    finally:
        warehouse.close()
    print(status.line())
    for a in status.applied:
        when = a.applied_at.isoformat() if a.applied_at else "?"
        print(f"  applied {a.name} at {when} by {a.release or 'unknown release'}")
    for m in status.pending:
        print(f"  pending {m.name}")
    return ExitCode.OK if status.state == "current" else ExitCode.CHECK_FAILED
