"""Applies queries/schema/ (idempotent DDL) to a warehouse."""

from __future__ import annotations

from monitor.queries import schema_files
from monitor.warehouse.base import Warehouse


def schema_plan(warehouse: Warehouse) -> list[tuple[str, list[str]]]:
    """(file name, statements as this warehouse would run them) in order."""
    return [(path.name, warehouse.schema_statements(path.read_text(encoding="utf-8")))
            for path in schema_files()]


def apply_schema(warehouse: Warehouse) -> int:
    """Run every schema file; safe to repeat (CREATE/ADD COLUMN IF NOT EXISTS)."""
    count = 0
    for path in schema_files():
        count += warehouse.execute_statements(path.read_text(encoding="utf-8"),
                                              source=f"schema/{path.name}")
    return count
