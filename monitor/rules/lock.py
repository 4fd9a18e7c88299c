"""One cycle at a time owns alert state and notifications: a lease in the warehouse.

The lease is short and renewed while the cycle runs, so the lease of a holder that
was killed lapses within one lease length; a cycle on the same host takes over at
once from a holder whose process is gone."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Callable
from typing import Protocol

from monitor.warehouse.base import Warehouse, WarehouseError

log = logging.getLogger(__name__)
LOCK_NAME = "cycle"
# Renewed before every notification (one send takes at most about 40 s: the timeout
# and the capped Retry-After), so two minutes is plenty for a live holder and the
# most a dead one can block alerting.
LEASE = dt.timedelta(minutes=2)

Clock = Callable[[], dt.datetime]


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)  # also when replaying with --as-of


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (signal 0 only checks)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return True  # cannot tell: never take over on a guess
    return True


class CycleLock(Protocol):
    def acquire(self) -> bool: ...

    def renew(self) -> bool:
        """Extend the lease; False when it was lost (stop acting on alerts)."""
        ...

    def release(self) -> None: ...


class NoLock:
    """Backtests and dry runs: state is private, nothing to contend for."""

    def acquire(self) -> bool:
        return True

    def renew(self) -> bool:
        return True

    def release(self) -> None:
        pass


class WarehouseCycleLock:
    def __init__(self, warehouse: Warehouse, run_id: str, lease: dt.timedelta = LEASE, *,
                 clock: Clock = _wall_clock, host: str | None = None,
                 pid: int | None = None) -> None:
        self.warehouse = warehouse
        # Unique per process: a concurrent run with the same run id is another owner.
        self.owner = f"{run_id}#{uuid.uuid4().hex[:8]}"
        self.lease = lease
        self.clock = clock
        self.host = host if host is not None else socket.gethostname()
        self.pid = pid if pid is not None else os.getpid()

    def _holder(self) -> dict[str, object] | None:
        rows = self.warehouse.query("lock_holder", {"lock_name": LOCK_NAME})
        return rows[0] if rows else None

    def _stale_owner(self, holder: dict[str, object] | None) -> str:
        """The holder's owner when it ran on this host and its process is gone."""
        if not holder or holder.get("holder_host") != self.host:
            return ""
        pid = holder.get("holder_pid")
        if not isinstance(pid, int) or pid == self.pid or process_alive(pid):
            return ""
        log.warning("taking over the cycle lock from %s: process %d on this host is gone",
                    holder.get("owner"), pid)
        return str(holder.get("owner") or "")

    def acquire(self) -> bool:
        now = self.clock()
        failed: WarehouseError | None = None
        try:
            stale = self._stale_owner(self._holder())
            self.warehouse.query("acquire_cycle_lock", {
                "lock_name": LOCK_NAME, "owner": self.owner, "now": now,
                "expires_at": now + self.lease, "holder_host": self.host,
                "holder_pid": self.pid, "stale_owner": stale})
        except WarehouseError as exc:
            failed = exc
        holder = self._holder()
        if holder is not None and holder["owner"] == self.owner:
            return True
        if failed is not None:
            expires = holder.get("expires_at") if holder else None
            if not isinstance(expires, dt.datetime) or expires <= now:
                # Nobody holds a live lease, so this was no lost race: a MERGE that
                # always fails (rights, quota, schema) must fail the run, not skip
                # alerting quietly every hour.
                raise failed
            log.info("cycle lock contended: %s", failed)
        return False

    def renew(self) -> bool:
        try:
            self.warehouse.query("renew_cycle_lock", {
                "lock_name": LOCK_NAME, "owner": self.owner,
                "expires_at": self.clock() + self.lease})
            holder = self._holder()
        except WarehouseError as exc:
            log.warning("cycle lock not renewed: %s", exc)
            return False
        return holder is not None and holder["owner"] == self.owner

    def release(self) -> None:
        try:
            self.warehouse.query("release_cycle_lock", {
                "lock_name": LOCK_NAME, "owner": self.owner, "now": self.clock()})
        except WarehouseError as exc:
            log.warning("cycle lock not released (it expires by itself): %s", exc)
