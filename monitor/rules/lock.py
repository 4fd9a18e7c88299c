"""One cycle at a time owns alert state and notifications: a lease in the warehouse."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Protocol

from monitor.warehouse.base import Warehouse, WarehouseError

log = logging.getLogger(__name__)
LOCK_NAME = "cycle"
LEASE = dt.timedelta(minutes=15)


class CycleLock(Protocol):
    def acquire(self) -> bool: ...

    def release(self) -> None: ...


class NoLock:
    """Backtests and dry runs: state is private, nothing to contend for."""

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


class WarehouseCycleLock:
    def __init__(self, warehouse: Warehouse, run_id: str, lease: dt.timedelta = LEASE) -> None:
        self.warehouse = warehouse
        # Unique per process: a concurrent run with the same run id is another owner.
        self.owner = f"{run_id}#{uuid.uuid4().hex[:8]}"
        self.lease = lease

    def acquire(self) -> bool:
        now = dt.datetime.now(dt.UTC)  # wall clock, also when replaying with --as-of
        try:
            self.warehouse.query("acquire_cycle_lock", {
                "lock_name": LOCK_NAME, "owner": self.owner, "now": now,
                "expires_at": now + self.lease})
        except WarehouseError as exc:
            # A concurrent MERGE lost the race inside the warehouse.
            log.info("cycle lock contended: %s", exc)
        rows = self.warehouse.query("lock_holder", {"lock_name": LOCK_NAME})
        return bool(rows) and rows[0]["owner"] == self.owner

    def release(self) -> None:
        try:
            self.warehouse.query("release_cycle_lock", {
                "lock_name": LOCK_NAME, "owner": self.owner, "now": dt.datetime.now(dt.UTC)})
        except WarehouseError as exc:
            log.warning("cycle lock not released (it expires by itself): %s", exc)
