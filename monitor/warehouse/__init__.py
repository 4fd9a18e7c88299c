"""A warehouse from its URL (duckdb: or bigquery:). Every setting comes in as an
argument: monitor/app.py, the composition root, reads them from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from monitor.warehouse.base import Warehouse, WarehouseError


class WarehouseURLError(ValueError):
    pass


class WarehouseOpenError(RuntimeError):
    """The URL is fine but the backend could not open it (a locked or corrupt DuckDB
    file, a folder that cannot be created, no credentials)."""


class WarehouseBusy(WarehouseOpenError):
    """Another process has the DuckDB file open (DuckDB lets one process write a file
    at a time): `serve`'s cycle beside a `run`, say. Trying again later can work."""


def _busy(exc: Exception) -> WarehouseBusy | None:
    text = str(exc)
    if "Conflicting lock" not in text:
        return None
    pid = re.search(r"\(PID (\d+)\)", text)
    holder = f" (PID {pid.group(1)})" if pid else ""
    return WarehouseBusy(f"warehouse busy: another process{holder} has the DuckDB file open "
                         "(serve, or another command); try again once it is done")


@dataclass(frozen=True)
class DuckDBFile:
    path: Path


@dataclass(frozen=True)
class BigQueryDataset:
    project: str
    dataset: str


def parse_warehouse_url(url: str) -> DuckDBFile | BigQueryDataset:
    """duckdb:///abs.duckdb, duckdb:rel.duckdb or bigquery://PROJECT/DATASET, without
    connecting; raises WarehouseURLError saying what is wrong. The one reading of a
    warehouse URL: `open_warehouse` and `check-config` both use it."""
    if url.startswith("duckdb:///"):
        return DuckDBFile(Path("/" + url[len("duckdb:///"):]))
    if url.startswith("duckdb:"):
        rest = url[len("duckdb:"):]
        if rest.startswith("//"):
            raise WarehouseURLError(
                f"{url!r}: use duckdb:///absolute/path.duckdb or duckdb:relative.duckdb"
            )
        return DuckDBFile(Path(rest))
    if url.startswith("bigquery://"):
        project, _, ds = url[len("bigquery://"):].partition("/")
        if not project or not ds or "/" in ds:
            raise WarehouseURLError(f"{url!r}: expected bigquery://PROJECT/DATASET")
        return BigQueryDataset(project, ds)
    raise WarehouseURLError(
        f"unknown warehouse URL {url!r}: expected duckdb:///path.duckdb, duckdb:path.duckdb "
        "or bigquery://PROJECT/DATASET"
    )


def warehouse_url_problem(url: str, *, must_exist: bool = True) -> str | None:
    """What is wrong with a warehouse URL, without connecting (check-config)."""
    try:
        where = parse_warehouse_url(url)
    except WarehouseURLError as exc:
        return str(exc)
    if must_exist and isinstance(where, DuckDBFile) and not where.path.exists():
        return f"DuckDB warehouse {where.path} does not exist"
    return None


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
        raise _busy(exc) or WarehouseOpenError(f"{type(exc).__name__}: {exc}") from exc


def _open(url: str, *, dataset: str, read_only: bool, create: bool, location: str | None,
          maximum_bytes_billed: int | None, job_timeout_seconds: float, run_id: str,
          tables: Mapping[str, str] | None, endpoint: str | None,
          sql_cache: Path | None) -> Warehouse:
    where = parse_warehouse_url(url)
    if isinstance(where, DuckDBFile):
        from monitor.warehouse.duckdb import DuckDBWarehouse

        if (read_only or not create) and not where.path.exists():
            raise WarehouseURLError(f"DuckDB warehouse {where.path} does not exist")
        return DuckDBWarehouse(where.path, dataset, read_only=read_only, tables=tables,
                               sql_cache=sql_cache)
    from monitor.warehouse.bigquery import BigQueryWarehouse

    return BigQueryWarehouse(where.project, where.dataset, location=location,
                             maximum_bytes_billed=maximum_bytes_billed,
                             job_timeout_seconds=job_timeout_seconds, endpoint=endpoint,
                             run_id=run_id, tables=tables)


__all__ = ["BigQueryDataset", "DuckDBFile", "Warehouse", "WarehouseError", "WarehouseOpenError",
           "WarehouseURLError", "open_warehouse", "parse_warehouse_url",
           "warehouse_url_problem"]
