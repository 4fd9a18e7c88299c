"""Row writers of the prediction worker's provenance (monitor.provenance re-exports
them): append contract rows to a DuckDB file or stream them into BigQuery. Nothing
heavy at import: duckdb and the google-cloud libraries load when a writer writes or
is created."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from monitor import __version__
from monitor.model import json_value

log = logging.getLogger("monitor.provenance")


def _check_schema(warehouse: Any, release: str) -> None:
    """The writers' start-up check (once per writer, at its first write): an embedded
    file gets its pending migrations; a warehouse newer than this code is refused
    (SchemaVersionError). A BigQuery warehouse that is behind only logs a warning: these
    writers touch only the contract's tables, which migrations never change."""
    from monitor.migrations import ensure_schema
    from monitor.warehouse.base import WarehouseError

    try:
        ensure_schema(warehouse, migrate=warehouse.embedded, require_current=False,
                      release=release)
    except WarehouseError as exc:
        # E.g. a worker allowed to stream rows but not to run query jobs: recording the
        # batch matters more than checking the monitor's version.
        log.warning("schema version not checked: %s", exc)


class DuckDBRowWriter:
    """Appends rows to a DuckDB file that follows the data contract. `release`: what a
    migration this writer applies to the file is recorded as applied by."""

    def __init__(self, path: str, dataset: str = "nba_predictions", *,
                 release: str = __version__) -> None:
        self.path = path
        self.dataset = dataset
        self.release = release
        self._checked = False

    def write(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        import duckdb

        if not self._checked:
            from monitor.warehouse.duckdb import DuckDBWarehouse

            warehouse = DuckDBWarehouse(self.path, self.dataset)
            try:
                _check_schema(warehouse, self.release)
            finally:
                warehouse.close()
            self._checked = True

        columns = list(rows[0])
        for name in (table, self.dataset, *columns):
            if not name.replace("_", "").isalnum():
                raise ValueError(f"invalid identifier {name!r}")
        sql = (f'INSERT INTO "{self.dataset}"."{table}" ({", ".join(columns)}) '
               f'VALUES ({", ".join("?" for _ in columns)})')
        with duckdb.connect(self.path) as con:
            con.execute("SET TimeZone = 'UTC'")
            con.executemany(sql, [[r.get(c) for c in columns] for r in rows])


class BigQueryRowWriter:
    """Streams rows with the BigQuery client's insert_rows_json (tabledata.insertAll).

    Streaming rather than a load job: an execution-log row must be visible to the
    monitor's next cycle within minutes, and a worker writes a few rows per batch —
    far below streaming quotas, while load jobs add latency and count against a
    per-table daily job quota. insertId (the execution_id) makes a retried insert
    of the same row best-effort deduplicated."""

    def __init__(self, project: str, dataset: str, client: Any = None,
                 timeout: float = 30.0) -> None:
        from google.cloud import bigquery

        self.client = client or bigquery.Client(project=project)
        self.project = project
        self.dataset = dataset
        self.table_prefix = f"{project}.{dataset}"
        self.timeout = timeout
        self._checked = False

    def write(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        from google.cloud import bigquery

        if not self._checked:
            from monitor.warehouse.bigquery import BigQueryWarehouse

            # Shares the writer's client (not closed here): one query job per writer.
            _check_schema(BigQueryWarehouse(self.project, self.dataset, client=self.client,
                                            job_timeout_seconds=self.timeout),
                          __version__)  # BigQuery is never migrated by a writer
            self._checked = True

        payload = [{k: json_value(v) for k, v in r.items()} for r in rows]
        ids = [str(r.get("execution_id") or r.get("prediction_id") or uuid.uuid4())
               for r in rows]
        errors = self.client.insert_rows_json(
            f"{self.table_prefix}.{table}", payload, row_ids=ids,
            retry=bigquery.DEFAULT_RETRY.with_deadline(self.timeout), timeout=self.timeout)
        if errors:
            raise RuntimeError(f"BigQuery rejected rows of {table}: {errors[:3]}")

