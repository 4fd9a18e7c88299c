"""The composition root: configuration + environment + warehouse URL → the adapters a
command uses (warehouse, notifier, metric sinks, alert store, cycle lock) and the values
the environment sets (data folder, SQL cache folder, release name). A command builds its
App once (`app_for`, from the process environment) and takes every adapter from it.

The one module of the monitor that reads the process environment (`process_env`); the
prediction worker's side (monitor/provenance/, monitor/events/publisher.py) has no App
and reads its own."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.config import MonitorConfig
    from monitor.metrics.base import MetricSink
    from monitor.notify.base import Notifier
    from monitor.rules.lock import CycleLock
    from monitor.rules.store import AlertStore
    from monitor.warehouse.base import Warehouse


def process_env() -> dict[str, str]:
    """A copy of this process's environment: what a command's App is built from."""
    return dict(os.environ)


def data_dir(env: Mapping[str, str]) -> Path:
    """The folder of the demo warehouse and the local metrics: MONITOR_DATA_DIR, else
    ./data."""
    return Path(env.get("MONITOR_DATA_DIR") or "data")


def sql_cache_dir(env: Mapping[str, str]) -> Path | None:
    """Where DuckDB's transpiled SQL is kept: MONITOR_SQL_CACHE_DIR (`off`: nowhere),
    else the user's cache folder — never the checkout or the image's read-only layers."""
    configured = env.get("MONITOR_SQL_CACHE_DIR")
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = env.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "prediction-monitor" / "sql"


def release_name(env: Mapping[str, str]) -> str:
    """This code's release: the package version, plus BUILD_COMMIT when the image has
    one (recorded with each migration a release applies)."""
    from monitor import __version__

    commit = env.get("BUILD_COMMIT", "").strip()
    return f"{__version__}+{commit[:12]}" if commit else __version__


@dataclass(frozen=True)
class App:
    config: MonitorConfig
    env: Mapping[str, str]
    # --warehouse; None: MONITOR_WAREHOUSE, else the demo warehouse.
    url: str | None = None

    @property
    def data_dir(self) -> Path:
        return data_dir(self.env)

    @property
    def demo_warehouse_path(self) -> Path:
        return (self.data_dir / "demo.duckdb").resolve()

    @property
    def warehouse_url(self) -> str:
        return (self.url or self.env.get("MONITOR_WAREHOUSE")
                or f"duckdb:///{self.demo_warehouse_path}")

    @property
    def names_a_warehouse(self) -> bool:
        """False when the URL falls back to the demo warehouse."""
        return bool(self.url or self.env.get("MONITOR_WAREHOUSE"))

    @property
    def sql_cache_dir(self) -> Path | None:
        return sql_cache_dir(self.env)

    @property
    def release(self) -> str:
        return release_name(self.env)

    @property
    def slack_workspace_url(self) -> str | None:
        """SLACK_WORKSPACE_URL (https://TEAM.slack.com): the report links each
        incident's Slack thread under it; None: unset (the report shows the ts)."""
        return self.env.get("SLACK_WORKSPACE_URL", "").strip() or None

    @property
    def user(self) -> str:
        """Who runs the command, for the events a person writes from the command line
        (`block-commit --by` defaults to it): USER, else LOGNAME, else "cli"."""
        return (self.env.get("USER") or self.env.get("LOGNAME") or "").strip() or "cli"

    def open_warehouse(self, *, read_only: bool = False, run_id: str = "",
                       create: bool = True) -> Warehouse:
        """Raises WarehouseURLError or WarehouseOpenError (monitor.warehouse)."""
        from monitor.warehouse import open_warehouse

        bigquery = self.config.bigquery
        return open_warehouse(self.warehouse_url, dataset=self.config.dataset,
                              read_only=read_only, create=create, location=bigquery.location,
                              maximum_bytes_billed=bigquery.maximum_bytes_billed,
                              job_timeout_seconds=bigquery.job_timeout_seconds,
                              run_id=run_id, tables=self.config.table_names(),
                              endpoint=self.env.get("BIGQUERY_API_ENDPOINT"),
                              sql_cache=self.sql_cache_dir)

    def open_duckdb(self, path: Path, *, read_only: bool = False) -> Warehouse:
        """A DuckDB file by path (the demo's own file), with this App's SQL cache."""
        from monitor.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse(path, self.config.dataset, read_only=read_only,
                               sql_cache=self.sql_cache_dir)

    def notifier(self) -> Notifier:
        """Slack (bot or webhook) or the console; raises NotifierConfigError."""
        from monitor.notify.factory import notifier_from_env

        return notifier_from_env(self.env,
                                 max_retry_after=self.config.slack.max_retry_after_seconds)

    def metric_sinks(self) -> list[MetricSink]:
        """Cloud Monitoring with GOOGLE_CLOUD_PROJECT, else the local files."""
        from monitor.metrics.factory import sinks_from_env

        return sinks_from_env(self.env, self.data_dir, self.config)

    def alert_store(self, warehouse: Warehouse, *, dry_run: bool,
                    as_of: dt.datetime) -> AlertStore:
        """The warehouse's event log; a dry run reads it into memory and writes nothing."""
        from monitor.rules.store import MemoryAlertStore, WarehouseAlertStore
        from monitor.warehouse.base import WarehouseError

        if not dry_run:
            return WarehouseAlertStore(warehouse)
        try:
            return MemoryAlertStore(WarehouseAlertStore(warehouse).load(as_of))
        except WarehouseError:
            return MemoryAlertStore()  # no state table yet: a dry run starts from nothing

    def cycle_lock(self, warehouse: Warehouse, run_id: str) -> CycleLock:
        from monitor.rules.lock import WarehouseCycleLock

        return WarehouseCycleLock(warehouse, run_id)


def app_for(config: MonitorConfig, url: str | None = None,
            env: Mapping[str, str] | None = None) -> App:
    """The App of this process (its environment), or of `env`."""
    return App(config, process_env() if env is None else env, url)
