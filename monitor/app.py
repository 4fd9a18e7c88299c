"""The composition root: configuration + environment + warehouse URL → the adapters a
command uses (warehouse, notifier, metric sinks, alert store, cycle lock). Every command
that opens a warehouse or sends anything gets them here; nothing else maps
configuration to an adapter, and `serve` re-uses `run`'s wiring through it."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.config import MonitorConfig
    from monitor.metrics.base import MetricSink
    from monitor.notify.base import Notifier
    from monitor.rules.lock import CycleLock
    from monitor.rules.store import AlertStore
    from monitor.warehouse.base import Warehouse


@dataclass(frozen=True)
class App:
    config: MonitorConfig
    env: Mapping[str, str]
    # --warehouse; None: MONITOR_WAREHOUSE, else the demo warehouse.
    url: str | None = None

    @property
    def warehouse_url(self) -> str:
        from monitor.warehouse import default_warehouse_url

        return self.url or self.env.get("MONITOR_WAREHOUSE") or default_warehouse_url(self.env)

    @property
    def names_a_warehouse(self) -> bool:
        """False when the URL falls back to the demo warehouse."""
        return bool(self.url or self.env.get("MONITOR_WAREHOUSE"))

    def open_warehouse(self, *, read_only: bool = False, run_id: str = "",
                       create: bool = True) -> Warehouse:
        """Raises WarehouseURLError or WarehouseOpenError (monitor.warehouse)."""
        from monitor.warehouse import open_warehouse

        bigquery = self.config.bigquery
        return open_warehouse(self.warehouse_url, dataset=self.config.dataset,
                              read_only=read_only, create=create, location=bigquery.location,
                              maximum_bytes_billed=bigquery.maximum_bytes_billed,
                              job_timeout_seconds=bigquery.job_timeout_seconds,
                              run_id=run_id, tables=self.config.table_names())

    def notifier(self) -> Notifier:
        """Slack (bot or webhook) or the console; raises NotifierConfigError."""
        from monitor.notify.factory import notifier_from_env

        return notifier_from_env(self.env,
                                 max_retry_after=self.config.slack.max_retry_after_seconds)

    def metric_sinks(self) -> list[MetricSink]:
        """Cloud Monitoring with GOOGLE_CLOUD_PROJECT, else the local files."""
        from monitor.metrics.factory import sinks_from_env
        from monitor.warehouse import data_dir

        return sinks_from_env(self.env, data_dir(self.env), self.config)

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
    return App(config, dict(os.environ) if env is None else env, url)
