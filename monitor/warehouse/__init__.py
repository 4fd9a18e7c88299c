"""Warehouse selection from a URL: the composition root for storage."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from monitor.warehouse.base import Warehouse, WarehouseError


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The folder of the demo warehouse and local metrics, read when asked (not at
    import) so a changed MONITOR_DATA_DIR is always the one used."""
    return Path((os.environ if env is None else env).get("MONITOR_DATA_DIR") or "data")


def default_warehouse_url(env: Mapping[str, str] | None = None) -> str:
    return f"duckdb:///{(data_dir(env) / 'demo.duckdb').resolve()}"


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


def open_warehouse(url: str | None, *, dataset: str = "nba_predictions",
                   read_only: bool = False, create: bool = True,
                   location: str | None = None,
                   maximum_bytes_billed: int | None = None,
                   job_timeout_seconds: float = 120.0, run_id: str = "",
                   tables: Mapping[str, str] | None = None) -> Warehouse:
    """duckdb:///abs.duckdb, duckdb:rel.duckdb or bigquery://PROJECT/DATASET.
    A DuckDB file that does not exist is created only when `create` (and not
    `read_only`): a typo must not become a new, empty, healthy-looking warehouse."""
    url = url or os.environ.get("MONITOR_WAREHOUSE") or default_warehouse_url()
    try:
        return _open(url, dataset=dataset, read_only=read_only, create=create,
                     location=location, maximum_bytes_billed=maximum_bytes_billed,
                     job_timeout_seconds=job_timeout_seconds, run_id=run_id, tables=tables)
    except WarehouseURLError:
        raise
    except OSError as exc:
        raise WarehouseOpenError(str(exc)) from exc
    except Exception as exc:  # each engine's own errors (duckdb.IOException on a lock)
        raise WarehouseOpenError(f"{type(exc).__name__}: {exc}") from exc


def _open(url: str, *, dataset: str, read_only: bool, create: bool, location: str | None,
          maximum_bytes_billed: int | None, job_timeout_seconds: float, run_id: str,
          tables: Mapping[str, str] | None) -> Warehouse:
    if url.startswith("duckdb:"):
        from monitor.warehouse.duckdb import DuckDBWarehouse

        path = parse_duckdb_path(url)
        if (read_only or not create) and not path.exists():
            raise WarehouseURLError(f"DuckDB warehouse {path} does not exist")
        return DuckDBWarehouse(path, dataset, read_only=read_only, tables=tables)
    if url.startswith("bigquery://"):
        from monitor.warehouse.bigquery import BigQueryWarehouse

        project, _, ds = url[len("bigquery://"):].partition("/")
        if not project or not ds or "/" in ds:
            raise WarehouseURLError(f"{url!r}: expected bigquery://PROJECT/DATASET")
        return BigQueryWarehouse(project, ds, location=location,
                                 maximum_bytes_billed=maximum_bytes_billed,
                                 job_timeout_seconds=job_timeout_seconds,
                                 endpoint=os.environ.get("BIGQUERY_API_ENDPOINT"),
                                 run_id=run_id, tables=tables)
    raise WarehouseURLError(
        f"unknown warehouse URL {url!r}: expected duckdb:///path.duckdb, duckdb:path.duckdb "
        "or bigquery://PROJECT/DATASET"
    )


__all__ = ["Warehouse", "WarehouseError", "WarehouseOpenError", "WarehouseURLError",
           "open_warehouse",
           "data_dir", "default_warehouse_url", "warehouse_url_problem"]
