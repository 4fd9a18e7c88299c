"""The one interface every warehouse backend implements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

ParamValue = (str | int | float | bool | dt.date | dt.datetime | Sequence[str]
              | Sequence[dt.date] | None)
Params = Mapping[str, ParamValue]
Record = dict[str, Any]


class WarehouseError(RuntimeError):
    """A query failed inside the warehouse; carries the query name for the report."""

    def __init__(self, query: str, message: str) -> None:
        super().__init__(f"query {query!r} failed: {message}")
        self.query = query


class MissingTableError(WarehouseError):
    """The query names a table the warehouse does not have (yet): an un-migrated
    deployment, told apart from every other failure by the backend that saw it."""


class QueryRunner(Protocol):
    """What a check needs: run a named query from queries/ with typed parameters.

    Values only ever travel as query parameters; the SQL text is the file's.
    """

    def query(self, name: str, params: Params, *, labels: Mapping[str, str] | None = None) -> (
        list[Record]
    ): ...


class Warehouse(QueryRunner, Protocol):
    """A backend: named queries, schema statements, and its identity."""

    dataset: str
    kind: str
    # An embedded file the monitor owns: its schema migrations apply themselves.
    embedded: bool

    def execute_statements(self, sql: str, *, source: str) -> int:
        """Run DDL/DML statements (BigQuery dialect) from a schema file; returns the count."""
        ...

    def query_frame(self, name: str, params: Params) -> Any:
        """The rows of a named query as a pandas DataFrame in this backend's own dtypes
        (monitor.frames makes them the same on every backend). Needs pandas."""
        ...

    def schema_statements(self, sql: str) -> list[str]:
        """The statements `execute_statements` would run, as this backend would run them."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class DryRunEstimator(Protocol):
    """A backend that can say what a query would cost without running it (BigQuery's
    free dry run). Declared by the backend's class; `estimate` needs it."""

    dataset: str
    kind: str

    def dry_run_bytes(self, name: str, params: Params) -> int:
        """Bytes the named query would process."""
        ...


def bigquery_type(value: ParamValue) -> str:
    """BigQuery Standard SQL type of a Python parameter value."""
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, dt.datetime):
        return "TIMESTAMP"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, list | tuple):
        # An array's type is its elements' (an empty one: STRING, as it always was).
        kinds = {bigquery_type(v) for v in value} or {"STRING"}
        if kinds not in ({"STRING"}, {"DATE"}):
            raise TypeError(f"unsupported array of {sorted(kinds)}")
        return f"ARRAY<{kinds.pop()}>"
    raise TypeError(f"unsupported parameter type {type(value).__name__}")
