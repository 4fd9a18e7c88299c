"""The embedded default warehouse: a DuckDB file, dataset = schema of the same name."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from monitor.queries import load_query
from monitor.warehouse.base import MissingTableError, Params, Record, WarehouseError
from monitor.warehouse.sql_dialect import Renames, feature_keys, to_duckdb


class DuckDBWarehouse:
    kind = "duckdb"
    embedded = True

    def __init__(self, path: Path | str, dataset: str = "nba_predictions", *,
                 read_only: bool = False, tables: Mapping[str, str] | None = None,
                 sql_cache: Path | None = None) -> None:
        self.path = Path(path)
        self.sql_cache = sql_cache  # the folder of transpiled SQL; None: memory only
        self.dataset = dataset
        self.renames: Renames = tuple(sorted((tables or {}).items()))
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path), read_only=read_only)
        # TIMESTAMP_TRUNC and DATE(ts) match BigQuery only with the session in UTC.
        self._con.execute("SET TimeZone = 'UTC'")
        # One connection shared by threads (scheduler, health endpoint) needs a lock.
        self._lock = threading.Lock()
        if not read_only:
            self._con.execute(f'CREATE SCHEMA IF NOT EXISTS "{_ident(dataset)}"')

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._con

    def statements(self, name: str, params: Params) -> tuple[str, ...]:
        """The DuckDB statements a named query runs as for these parameters (its
        per-feature columns expanded for the features they name)."""
        return to_duckdb(load_query(name), self.dataset, self.renames, feature_keys(params),
                         self.sql_cache)

    def query(self, name: str, params: Params, *, labels: Mapping[str, str] | None = None) -> (
        list[Record]
    ):
        return self._run(name, self.statements(name, params), params)

    def run_sql(self, name: str, sql: str, params: Params) -> list[Record]:
        """Run BigQuery-dialect SQL that is not a named file (investigation, tests)."""
        return self._run(name, to_duckdb(sql, self.dataset, self.renames, None, self.sql_cache),
                         params)

    def query_frame(self, name: str, params: Params) -> Any:
        *setup, last = self.statements(name, params)
        with self._lock:
            try:
                for stmt in setup:
                    self._con.execute(stmt, self._used(stmt, params))
                # Arrow from a relation (a cursor's Arrow output copies the rows once
                # more); int columns with NULLs stay ints rather than turning float,
                # DATEs stay dates (a naive datetime64 is a UTC TIMESTAMP).
                table = self._con.sql(last, params=self._used(last, params)).to_arrow_table()
            except duckdb.Error as exc:
                raise WarehouseError(name, str(exc).splitlines()[0]) from exc
        return _bigquery_number_types(table).to_pandas(integer_object_nulls=True)

    @staticmethod
    def _used(stmt: str, params: Params) -> dict[str, Any]:
        return {k: _to_duckdb_value(v) for k, v in params.items() if f"${k}" in stmt}

    def _run(self, name: str, statements: tuple[str, ...], params: Params) -> list[Record]:
        with self._lock:
            try:
                rows: list[Record] = []
                for stmt in statements:
                    cur = self._con.execute(stmt, self._used(stmt, params))
                    if cur.description:
                        cols = [d[0] for d in cur.description]
                        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
                return rows
            except duckdb.CatalogException as exc:
                raise MissingTableError(name, str(exc).splitlines()[0]) from exc
            except duckdb.Error as exc:
                raise WarehouseError(name, str(exc).splitlines()[0]) from exc

    def schema_statements(self, sql: str) -> list[str]:
        return list(to_duckdb(sql, self.dataset, cache=self.sql_cache))

    def execute_statements(self, sql: str, *, source: str) -> int:
        statements = to_duckdb(sql, self.dataset, cache=self.sql_cache)
        self._run(source, statements, {})
        return len(statements)

    def insert_arrow(self, table: str, data: Any) -> None:
        """Append an Arrow table (demo generator, provenance writers)."""
        with self._lock:
            self._con.register("_incoming", data)
            try:
                cols = ", ".join(f'"{_ident(c)}"' for c in data.column_names)
                self._con.execute(
                    f'INSERT INTO "{_ident(self.dataset)}"."{_ident(table)}" ({cols}) '
                    f"SELECT {cols} FROM _incoming"
                )
            finally:
                self._con.unregister("_incoming")

    def close(self) -> None:
        self._con.close()


def _ident(name: str) -> str:
    """Identifiers come from config and code, never from data; refuse anything odd."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"invalid identifier {name!r}")
    return name


def _to_duckdb_value(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    if isinstance(value, tuple):
        return list(value)
    return value


def _bigquery_number_types(table: Any) -> Any:
    """DuckDB sums integers into HUGEINT and rounds into DECIMAL where BigQuery gives
    INT64 and FLOAT64: an Arrow table with BigQuery's number types."""
    import pyarrow as pa

    for i, column in enumerate(table.schema):
        if pa.types.is_decimal(column.type):
            target = pa.int64() if column.type.scale == 0 else pa.float64()
            table = table.set_column(i, column.name, table.column(i).cast(target))
    return table
