"""Applies queries/schema/ to a warehouse: the contract's tables (files below 010,
idempotent DDL, run every time) and the monitor's pending migrations (monitor/migrations.py)."""

from __future__ import annotations

from dataclasses import dataclass

from monitor import __version__
from monitor.migrations import (
    MONITOR_TABLES_FROM,
    Migration,
    SchemaStatus,
    apply_migrations,
    schema_status,
)
from monitor.queries import schema_files
from monitor.warehouse.base import Warehouse


@dataclass(frozen=True)
class SchemaApplied:
    contract_statements: int
    migrations: list[Migration]


def _contract_files() -> list[tuple[str, str]]:
    return [(p.name, p.read_text(encoding="utf-8")) for p in schema_files()
            if int(p.name[:3]) < MONITOR_TABLES_FROM]


def schema_plan(warehouse: Warehouse, status: SchemaStatus | None = None) -> (
        list[tuple[str, list[str]]]):
    """(file name, statements as this warehouse would run them) for what `apply_schema`
    would run now: the contract's files and the pending migrations, in order."""
    status = status or schema_status(warehouse)
    files = _contract_files() + [(m.name, m.sql()) for m in status.pending]
    return [(name, warehouse.schema_statements(sql)) for name, sql in files]


def apply_schema(warehouse: Warehouse, *, release: str = __version__) -> SchemaApplied:
    """Bring a warehouse, new or made by any earlier release, to this code's schema
    (migrations recorded as applied by `release`)."""
    count = 0
    for name, sql in _contract_files():
        count += warehouse.execute_statements(sql, source=f"schema/{name}")
    return SchemaApplied(count, apply_migrations(warehouse, release=release))
