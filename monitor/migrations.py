"""Versioned, additive migrations of the monitor's own tables.

The numbered files of queries/schema/ from 010 up are the monitor's tables; each is a
migration whose version is its number. They only add (CREATE TABLE IF NOT EXISTS,
ALTER TABLE ... ADD COLUMN IF NOT EXISTS, backfills of new columns), so running one
again changes nothing. `monitor_schema_migrations` records which versions a
warehouse applied, when and by which release.

A warehouse is *behind* when the code ships a version it has not applied (numbers
need not be contiguous: a file merged later with a lower number is still applied),
and *ahead* when it recorded a version this code does not ship (a newer release
migrated it, then the code was rolled back): writing commands then refuse.
Files below 010 are the prediction system's tables: never migrations.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from monitor import __version__
from monitor.queries import schema_files
from monitor.warehouse.base import MissingTableError, Warehouse

log = logging.getLogger(__name__)
MONITOR_TABLES_FROM = 10
# Created before any other migration runs, so each one is recorded as it is applied.
MIGRATIONS_TABLE_VERSION = 20


@dataclass(frozen=True)
class Migration:
    version: int
    name: str  # the file name: 021_monitor_locks_holder.sql
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Applied:
    version: int
    name: str
    applied_at: dt.datetime | None
    release: str | None


class SchemaVersionError(RuntimeError):
    """The warehouse's schema does not fit this code; the message says what to do."""


def code_migrations(files: list[Path] | None = None) -> list[Migration]:
    """The monitor's migrations shipped with this code, in version order."""
    out: list[Migration] = []
    for path in files if files is not None else schema_files():
        version = int(path.name[:3])
        if version < MONITOR_TABLES_FROM:
            continue
        if out and out[-1].version == version:
            raise ValueError(f"queries/schema/{path.name}: version {version} is also "
                             f"{out[-1].name}; give each migration its own number")
        out.append(Migration(version, path.name, path))
    return out


@dataclass(frozen=True)
class SchemaStatus:
    applied: tuple[Applied, ...]
    pending: tuple[Migration, ...]
    unknown: tuple[Applied, ...]  # recorded by a release newer than this code
    code_version: int

    @property
    def warehouse_version(self) -> int:
        """Highest version recorded; 0 for a warehouse that never recorded one (new, or
        made by a release before migrations were recorded)."""
        return max((a.version for a in self.applied), default=0)

    @property
    def state(self) -> str:
        if self.unknown:
            return "ahead"
        return "behind" if self.pending else "current"

    def line(self) -> str:
        recorded = str(self.warehouse_version) if self.applied else "none recorded"
        text = (f"warehouse schema version {recorded}, "
                f"code schema version {self.code_version}: {self.state}")
        if self.pending:
            text += f"; pending: {', '.join(m.name for m in self.pending)}"
        if self.unknown:
            text += ("; applied by a newer release: "
                     + ", ".join(f"{a.name} ({a.release or 'unknown release'})"
                                 for a in self.unknown))
        return text


def plan(applied: list[Applied], migrations: list[Migration]) -> SchemaStatus:
    """Pure: what is pending and what is unknown, given what a warehouse recorded."""
    done = {a.version for a in applied}
    shipped = {m.version for m in migrations}
    return SchemaStatus(
        applied=tuple(applied),
        pending=tuple(m for m in migrations if m.version not in done),
        unknown=tuple(a for a in applied if a.version not in shipped),
        code_version=max(shipped, default=0))


def read_applied(warehouse: Warehouse) -> list[Applied]:
    try:
        rows = warehouse.query("schema_migrations_applied", {})
    except MissingTableError:
        return []  # nothing recorded yet
    out = []
    for r in rows:
        at = r["applied_at"]
        if isinstance(at, dt.datetime) and at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        out.append(Applied(int(r["version"]), str(r["name"]), at, r["release"]))
    return out


def schema_status(warehouse: Warehouse) -> SchemaStatus:
    return plan(read_applied(warehouse), code_migrations())


def apply_migrations(warehouse: Warehouse, status: SchemaStatus | None = None, *,
                     release: str = __version__) -> list[Migration]:
    """Apply the pending migrations in version order, recording each once it ran, as
    applied by `release` (the App's release name: the version and the image's commit)."""
    status = status or schema_status(warehouse)
    if not status.pending:
        return []
    table = next((m for m in code_migrations() if m.version == MIGRATIONS_TABLE_VERSION), None)
    if table is not None:
        warehouse.execute_statements(table.sql(), source=f"schema/{table.name}")
    for migration in status.pending:
        warehouse.execute_statements(migration.sql(), source=f"schema/{migration.name}")
        warehouse.query("record_schema_migration", {
            "version": migration.version, "name": migration.name,
            "applied_at": dt.datetime.now(dt.UTC), "release": release})
    return list(status.pending)


def may_migrate(warehouse: Warehouse, auto_migrate: bool) -> bool:
    """Embedded warehouses migrate themselves; BigQuery only when configured to."""
    return warehouse.embedded or auto_migrate


def ensure_schema(warehouse: Warehouse, *, migrate: bool, require_current: bool = True,
                  release: str = __version__) -> list[Migration]:
    """The start-up check of writing commands: raise SchemaVersionError (one line, what
    to do) unless the warehouse fits this code; apply pending migrations if allowed.
    `require_current=False` (writers of the contract's tables only, which migrations
    never touch) lets a warehouse that is behind pass with a warning."""
    status = schema_status(warehouse)
    if status.state == "ahead":
        raise SchemaVersionError(
            f"{status.line()}. This code is older than the warehouse's schema and will not "
            f"write to it: deploy the newer release (read-only commands still work)")
    if status.state == "behind":
        if not migrate and not require_current:
            log.warning("%s: run `prediction-monitor schema apply` on this warehouse",
                        status.line())
            return []
        if not migrate:
            raise SchemaVersionError(
                f"{status.line()}. Run `prediction-monitor schema apply` on this warehouse "
                f"(or set bigquery.auto_migrate: true in alerts.yaml)")
        return apply_migrations(warehouse, status, release=release)
    return []
