"""Finds reads of partitioned contract tables whose partition column is not bounded
on both sides by query parameters (so cost would follow the table, not the window)."""

from __future__ import annotations

from sqlglot import exp

from monitor.warehouse.sql_dialect import parse_bigquery

PARTITION_COLUMN = {
    "player_prop_predictions": "game_date",
    "prediction_accuracy": "game_date",
    "prediction_execution_log": "execution_start_timestamp",
    "game_schedule": "game_date",
    "monitor_alert_events": "event_time",
    "monitor_runs": "started_at",
}


def _is_param(node: exp.Expr) -> bool:
    return isinstance(node, exp.Parameter | exp.Placeholder) or any(
        isinstance(n, exp.Parameter | exp.Placeholder) for n in node.walk())


def _refers(node: exp.Expr, column: str, alias: str) -> bool:
    return isinstance(node, exp.Column) and node.name == column and node.table in ("", alias)


def _conjuncts(where: exp.Expr | None) -> list[exp.Expr]:
    if where is None:
        return []
    cond = where.this if isinstance(where, exp.Where) else where
    out: list[exp.Expr] = []
    stack = [cond]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.And):
            stack += [node.left, node.right]
        elif isinstance(node, exp.Paren):
            stack.append(node.this)
        else:
            out.append(node)
    return out


def _bounded(select: exp.Select, column: str, alias: str) -> bool:
    low = high = False
    for c in _conjuncts(select.args.get("where")):
        if isinstance(c, exp.Between) and _refers(c.this, column, alias):
            low |= _is_param(c.args["low"])
            high |= _is_param(c.args["high"])
        elif isinstance(c, exp.GTE | exp.GT) and _refers(c.this, column, alias):
            low |= _is_param(c.expression)
        elif isinstance(c, exp.LTE | exp.LT) and _refers(c.this, column, alias):
            high |= _is_param(c.expression)
        elif isinstance(c, exp.LTE | exp.LT) and _refers(c.expression, column, alias):
            low |= _is_param(c.this)
        elif isinstance(c, exp.GTE | exp.GT) and _refers(c.expression, column, alias):
            high |= _is_param(c.this)
    return low and high


def partition_violations(sql: str) -> list[str]:
    problems = []
    for tree in parse_bigquery(sql):
        for table in tree.find_all(exp.Table):
            column = PARTITION_COLUMN.get(table.name)
            select = table.find_ancestor(exp.Select)
            if column is None or select is None:
                continue  # not partitioned, or written (INSERT/DDL), not read
            if not _bounded(select, column, table.alias_or_name):
                problems.append(f"{table.name} read without {column} bounded by parameters")
    return problems
