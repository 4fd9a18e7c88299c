"""The cycle lease: short, renewed while the cycle runs, lapsing soon after its holder
dies, and taken over at once from a holder on this host whose process is gone."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.migrations import ensure_schema
from monitor.rules.lock import LEASE, WarehouseCycleLock, process_alive
from monitor.warehouse.base import WarehouseError
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.contract import ContractDB, D, features, ts
from tests.fakes.slack_server import TOKEN, FakeSlack

BIN = Path(sys.executable).parent / "prediction-monitor"
T = dt.datetime(2026, 1, 9, 15, tzinfo=dt.UTC)
HOST = socket.gethostname()


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def wh(db: ContractDB) -> ContractDB:
    ensure_schema(db.wh, migrate=True)
    return db


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)
    return child.pid


def test_the_lease_is_short_and_a_dead_holders_lease_lapses(wh: ContractDB) -> None:
    assert LEASE <= dt.timedelta(minutes=2)
    clock = Clock(T)
    dead = WarehouseCycleLock(wh.wh, "killed", clock=clock, host="other-host", pid=1)
    assert dead.acquire()
    other = WarehouseCycleLock(wh.wh, "next", clock=clock, host="another-host", pid=2)
    clock.now = T + LEASE - dt.timedelta(seconds=1)
    assert not other.acquire()  # still within the dead holder's lease
    clock.now = T + LEASE + dt.timedelta(seconds=1)
    assert other.acquire()  # nobody renewed it: it lapsed


def test_a_live_holder_renews_its_lease_while_the_cycle_runs(wh: ContractDB) -> None:
    clock = Clock(T)
    holder = WarehouseCycleLock(wh.wh, "long", clock=clock, host="h1", pid=1)
    assert holder.acquire()
    clock.now = T + LEASE * 0.75
    assert holder.renew()
    clock.now = T + LEASE * 1.5  # past the first lease, within the renewed one
    contender = WarehouseCycleLock(wh.wh, "c", clock=clock, host="h2", pid=2)
    assert not contender.acquire()
    # A holder whose lease was taken over learns it when renewing.
    clock.now = T + LEASE * 3
    assert contender.acquire()
    assert not holder.renew()


def test_a_holder_on_this_host_whose_process_is_gone_is_taken_over_at_once(
        wh: ContractDB) -> None:
    clock = Clock(T)
    gone = WarehouseCycleLock(wh.wh, "killed", clock=clock, host=HOST, pid=dead_pid())
    assert gone.acquire()
    # Elsewhere nobody can tell whether that process lives: they wait for the lease.
    remote = WarehouseCycleLock(wh.wh, "remote", clock=clock, host="elsewhere", pid=os.getpid())
    assert not remote.acquire()
    # On the same host, a holder whose process is gone is taken over at once...
    here = WarehouseCycleLock(wh.wh, "here", clock=clock, host=HOST, pid=os.getpid())
    assert here.acquire()
    # ...and a live one is respected.
    after = WarehouseCycleLock(wh.wh, "after", clock=clock, host=HOST, pid=dead_pid())
    assert not after.acquire()


def test_a_cycle_killed_mid_send_does_not_block_the_next_one(
        db: ContractDB, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(40):
        db.prediction(line=21.5, cf=features(None, has=0.0), predicted_at=ts(D, 12))
    db.close()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "CLOUD_RUN", "K_", "GOOGLE_CLOUD", "MONITOR_"))}
    slack_env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "#alerts",
                 "SLACK_API_URL": slack.base_url}
    env.update(slack_env, MONITOR_METRICS_DIR=str(tmp_path / "metrics"))
    slack.delay = 30.0  # the first cycle hangs inside its send, holding the lease
    first = subprocess.Popen([str(BIN), "run", "--warehouse", db.url, "--as-of",
                              ts(D, 16).isoformat()], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if slack.requests:
                break
            time.sleep(0.1)
        assert slack.requests, "the first cycle never reached Slack"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    wh = DuckDBWarehouse(db.path, read_only=True)
    try:
        (host, pid, held), = wh.connection.execute(
            "SELECT holder_host, holder_pid, expires_at "
            "FROM nba_predictions.monitor_locks").fetchall()
    finally:
        wh.close()
    # Left behind by the killed holder: it lapses within two minutes of its death.
    assert (host, pid) == (HOST, first.pid)
    assert held <= dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    slack.delay = 0.0
    for key, value in slack_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MONITOR_METRICS_DIR", str(tmp_path / "metrics"))
    capsys.readouterr()
    assert main(["run", "--warehouse", db.url, "--as-of", ts(D, 17).isoformat()]) == 0
    out = capsys.readouterr().out
    assert "alerts not handled" not in out and "1 sent" in out


class RefusesToLock:
    """The warehouse, but every attempt to take the lease fails inside it (as a missing
    right or a quota would): a fault the local DuckDB cannot produce by itself."""

    def __init__(self, inner: DuckDBWarehouse) -> None:
        self.inner = inner
        self.dataset, self.kind = inner.dataset, inner.kind

    def query(self, name: str, params: dict[str, object], **kw: object) -> list[dict[str, object]]:
        if name == "acquire_cycle_lock":
            raise WarehouseError(name, "Access Denied: permission to update monitor_locks")
        return self.inner.query(name, params)  # type: ignore[arg-type]


def test_a_lock_that_can_never_be_taken_fails_the_run_instead_of_skipping(
        wh: ContractDB) -> None:
    clock = Clock(T)
    refusing = WarehouseCycleLock(RefusesToLock(wh.wh), "r1", clock=clock,  # type: ignore[arg-type]
                                  host="h", pid=1)
    with pytest.raises(WarehouseError, match="Access Denied"):
        refusing.acquire()  # nobody holds a live lease: this is no lost race
    holder = WarehouseCycleLock(wh.wh, "live", clock=clock, host="h2", pid=2)
    assert holder.acquire()
    # With a live holder the same failure is contention: skip, as before.
    assert WarehouseCycleLock(RefusesToLock(wh.wh), "r2", clock=clock,  # type: ignore[arg-type]
                              host="h", pid=1).acquire() is False
