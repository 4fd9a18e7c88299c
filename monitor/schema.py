"""Applies queries/schema/ (idempotent DDL) to a warehouse."""

from __future__ import annotations

from monitor.queries import schema_files
from monitor.warehouse.base import Warehouse

# Files 010 and up create the monitor's own tables; lower numbers are the
# prediction system's tables, which the monitor only reads.
MONITOR_TABLES_FROM = 10


def schema_plan(warehouse: Warehouse) -> list[tuple[str, list[str]]]:
    """(file name, statements as this warehouse would run them) in order."""
    return [(path.name, warehouse.schema_statements(path.read_text(encoding="utf-8")))
            for path in schema_files()]


def apply_schema_files(warehouse: Warehouse, *, monitor_tables_only: bool = False) -> int:
    """Run the schema files; safe to repeat (CREATE/ADD COLUMN IF NOT EXISTS)."""
    count = 0
    for path in schema_files():
        if monitor_tables_only and int(path.name[:3]) < MONITOR_TABLES_FROM:
            continue
        count += warehouse.execute_statements(path.read_text(encoding="utf-8"),
                                              source=f"schema/{path.name}")
    return count


def apply_schema(warehouse: Warehouse) -> int:
    return apply_schema_files(warehouse)
