"""`prediction-monitor query NAME --param k=v`: shipped investigation queries
(queries/investigate/) on either warehouse; values go in as typed parameters."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from monitor.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from monitor.commands.common import _add_common

    p = sub.add_parser("query", help="run a shipped investigation query")
    _add_common(p)
    p.add_argument("name", nargs="?", help="query name (omit to list them)")
    p.add_argument("--param", action="append", default=[], metavar="K=V",
                   help="a parameter, typed by the query's header (repeatable)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(handler=cmd_query)


def parse_value(kind: str, text: str) -> Any:
    from monitor.date_bounds import parse_bounded_date, parse_bounded_timestamp

    if kind == "DATE":
        return parse_bounded_date(text)
    if kind == "TIMESTAMP":
        return parse_bounded_timestamp(text)
    if kind == "INT64":
        return int(text)
    if kind == "FLOAT64":
        return float(text)
    if kind == "BOOL":
        return text.lower() in ("1", "true", "yes")
    if kind == "ARRAY<STRING>":
        return [v for v in text.split(",") if v]
    if kind == "ARRAY<DATE>":
        return [parse_bounded_date(v) for v in text.split(",") if v]
    return text


def cmd_query(args: argparse.Namespace) -> int:
    from monitor.commands.common import command_app, open_warehouse_or_exit
    from monitor.errors import UsageError, WarehouseUnavailable
    from monitor.queries import declared_params, query_names
    from monitor.warehouse.base import WarehouseError

    names = [n.split("/", 1)[1] for n in query_names("investigate")]
    if not args.name:
        for known in names:
            kinds = declared_params(f"investigate/{known}")
            print(f"{known}  " + " ".join(f"--param {k}=<{v}>" for k, v in kinds.items()))
        return ExitCode.OK
    if args.name not in names:
        raise UsageError(f"unknown query {args.name!r}; known: {', '.join(names)}")
    name = f"investigate/{args.name}"
    declared = declared_params(name)
    given: dict[str, str] = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or key not in declared:
            raise UsageError(f"bad --param {item!r}: {args.name} takes "
                             + ", ".join(f"{k} ({v})" for k, v in declared.items()))
        given[key] = value
    params: dict[str, Any] = {}
    for key, kind in declared.items():
        if key not in given and kind != "STRING":
            raise UsageError(f"missing --param {key}=<{kind}>")
        try:
            params[key] = parse_value(kind, given.get(key, ""))
        except ValueError as exc:
            raise UsageError(f"--param {key}: {exc}") from None
    warehouse = open_warehouse_or_exit(command_app(args), read_only=True)
    try:
        rows = warehouse.query(name, params)
    except WarehouseError as exc:
        raise WarehouseUnavailable(str(exc), label="") from exc
    finally:
        warehouse.close()
    write_rows(rows, args.format)
    return ExitCode.OK


def write_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        from monitor.report.strict_json import dumps

        print(dumps(rows, indent=2))
        return
    if not rows:
        print("(no rows)")
        return
    columns = list(rows[0])
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return
    from monitor.report.format import terminal_safe

    # Cells come from the data: shown escaped, one line each, so no value drives the
    # terminal or breaks the table.
    def shown(value: object) -> str:
        return terminal_safe("" if value is None else str(value), keep_newlines=False)

    header = [shown(c) for c in columns]
    cells = [[shown(r[c]) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(header)]
    print("  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
