"""A warehouse from its URL (duckdb: or bigquery:). Every setting comes in as an
argument: monitor/app.py, the composition root, reads them from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from monitor.warehouse.base import Warehouse, WarehouseError


class WarehouseURLError(ValueError):
    pass


class WarehouseOpenError(RuntimeError):
    """The URL is fine but the backend could not open it (a locked or corrupt DuckDB
    file, a folder that cannot be created, no credentials)."""


def parse_duckdb_path(url: str) -> Path:
    if url.startswith("duckdb:///"):
        return Path("/" + url[len("duckdb:///"):])
    if url.startswith("duckdb:"):
        rest = url[len("duckdb:"):]
        if rest.startswith("//"):
            raise WarehouseURLError(
                f"{url!r}: use duckdb:///absolute/path.duckdb or duckdb:relative.duckdb"
            )
        return Path(rest)
    raise WarehouseURLError(f"{url!r} is not a duckdb: URL")


def warehouse_url_problem(url: str, *, must_exist: bool = True) -> str | None:
    """What is wrong with a warehouse URL, without connecting (check-config)."""
    if url.startswith("duckdb:"):
        try:
            path = parse_duckdb_path(url)
        except WarehouseURLError as exc:
            return str(exc)
        if must_exist and not path.exists():
            return f"DuckDB warehouse {path} does not exist"
        return None
    if url.startswith("bigquery://"):
        project, _, ds = url[len("bigquery://"):].partition("/")
        if not project or not ds or "/" in ds:
            return f"{url!r}: expected bigquery://PROJECT/DATASET"
        return None
    return (f"unknown warehouse URL {url!r}: expected duckdb:///path.duckdb, "
            "duckdb:path.duckdb or bigquery://PROJECT/DATASET")


def open_warehouse(url: str, *, dataset: str = "nba_predictions",
                   read_only: bool = False, create: bool = True,
                   location: str | None = None,
                   maximum_bytes_billed: int | None = None,
                   job_timeout_seconds: float = 120.0, run_id: str = "",
                   tables: Mapping[str, str] | None = None, endpoint: str | None = None,
                   sql_cache: Path | None = None) -> Warehouse:
    """duckdb:///abs.duckdb, duckdb:rel.duckdb or bigquery://PROJECT/DATASET.
    A DuckDB file that does not exist is created only when `create` (and not
    `read_only`): a typo must not become a new, empty, healthy-looking warehouse.
    `endpoint`: another BigQuery API root (an emulator); `sql_cache`: the folder of
    DuckDB's transpiled SQL (None: none kept on disk)."""
    try:
        return _open(url, dataset=dataset, read_only=read_only, create=create,
                     location=location, maximum_bytes_billed=maximum_bytes_billed,
                     job_timeout_seconds=job_timeout_seconds, run_id=run_id, tables=tables,
                     endpoint=endpoint, sql_cache=sql_cache)
    except WarehouseURLError:
        raise
    except OSError as exc:
        raise WarehouseOpenError(str(exc)) from exc
    except Exception as exc:  # each engine's own errors (duckdb.IOException on a lock)
        raise WarehouseOpenError(f"{type(exc).__name__}: {exc}") from exc


def _open(url: str, *, dataset: str, read_only: bool, create: bool, location: str | None,
          maximum_bytes_billed: int | None, job_timeout_seconds: float, run_id: str,
          tables: Mapping[str, str] | None, endpoint: str | None,
          sql_cache: Path | None) -> Warehouse:
    if url.startswith("duckdb:"):
        from monitor.warehouse.duckdb import DuckDBWarehouse

        path = parse_duckdb_path(url)
        if (read_only or not create) and not path.exists():
            raise WarehouseURLError(f"DuckDB warehouse {path} does not exist")
        return DuckDBWarehouse(path, dataset, read_only=read_only, tables=tables,
                               sql_cache=sql_cache)
    if url.startswith("bigquery://"):
        from monitor.warehouse.bigquery import BigQueryWarehouse

        project, _, ds = url[len("bigquery://"):].partition("/")
        if not project or not ds or "/" in ds:
            raise WarehouseURLError(f"{url!r}: expected bigquery://PROJECT/DATASET")
        return BigQueryWarehouse(project, ds, location=location,
                                 maximum_bytes_billed=maximum_bytes_billed,
                                 job_timeout_seconds=job_timeout_seconds,
                                 endpoint=endpoint,
                                 run_id=run_id, tables=tables)
    raise WarehouseURLError(
        f"unknown warehouse URL {url!r}: expected duckdb:///path.duckdb, duckdb:path.duckdb "
        "or bigquery://PROJECT/DATASET"
    )


__all__ = ["Warehouse", "WarehouseError", "WarehouseOpenError", "WarehouseURLError",
           "open_warehouse", "warehouse_url_problem"]
