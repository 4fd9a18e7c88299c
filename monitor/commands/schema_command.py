"""`prediction-monitor schema apply [--dry-run]`: the idempotent DDL of queries/schema."""

from __future__ import annotations

import argparse

from monitor.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.cli import _add_common

    p = sub.add_parser("schema", help="manage the warehouse schema")
    actions = p.add_subparsers(dest="schema_action", required=True, metavar="ACTION")
    apply = actions.add_parser("apply", help="create/alter the contract's and the monitor's "
                                             "tables (idempotent)")
    _add_common(apply)
    apply.add_argument("--dry-run", action="store_true", help="print the statements only")
    apply.set_defaults(handler=cmd_schema_apply)


def cmd_schema_apply(args: argparse.Namespace) -> int:
    from monitor.cli import load_config_or_exit, open_warehouse_or_exit
    from monitor.schema import apply_schema, schema_plan
    from monitor.warehouse.base import WarehouseError

    config = load_config_or_exit(args.config)
    warehouse = open_warehouse_or_exit(args, config)
    try:
        if args.dry_run:
            for name, statements in schema_plan(warehouse):
                print(f"-- {name}")
                for statement in statements:
                    print(statement.rstrip(";") + ";")
                print()
            return ExitCode.OK
        try:
            count = apply_schema(warehouse)
        except WarehouseError as exc:
            print(f"schema apply failed: {exc}")
            return ExitCode.MONITOR_ERROR
        print(f"applied {count} statements to {warehouse.kind} dataset {warehouse.dataset}")
        return ExitCode.OK
    finally:
        warehouse.close()
