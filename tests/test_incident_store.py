"""Incidents in the alert log: the incident columns written and read back (migration
023), and an incident still open carried past the alert state horizon, on DuckDB and
in memory, so a long incident does not page anew; a resolved one is forgotten."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from monitor.migrations import ensure_schema
from monitor.rules.incidents import fold_incidents, incident_event
from monitor.rules.state import AlertEvent, make_event
from monitor.rules.store import STATE_HORIZON, AlertStore, MemoryAlertStore, WarehouseAlertStore
from monitor.warehouse.duckdb import DuckDBWarehouse

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
LONG_AGO = NOW - STATE_HORIZON - dt.timedelta(days=30)
LABELS = (("build_commit_sha", "abc1234"), ("system_id", "v8"))


def history() -> list[AlertEvent]:
    """Two incidents opened before the horizon: one still open, one resolved."""
    events: list[AlertEvent] = []
    for n, key in ((1, "commit:abc1234"), (2, "commit:def5678")):
        opened = incident_event(LONG_AGO, "r0", "opened", f"inc-{n}", key, "critical",
                                detail=str(n))
        fired = make_event(LONG_AGO, "r0", "fired", "hit_rate_below_55", "critical",
                           LABELS if n == 1 else (("build_commit_sha", "def5678"),))
        fired = replace(fired, incident_id=f"inc-{n}", incident_key=key)
        posted = incident_event(LONG_AGO, "r0", "notified", f"inc-{n}", key, "critical",
                                detail="post", slack_ts=f"17.{n}", slack_channel="C1")
        events += [opened, fired, posted]
    events.append(incident_event(LONG_AGO + dt.timedelta(days=1), "r1", "resolved", "inc-2",
                                 "commit:def5678", "critical"))
    # Something recent, inside the horizon, that is not about either incident.
    events.append(make_event(NOW - dt.timedelta(days=1), "r9", "fired", "monitor_no_data",
                             "warning", (("scope", "all checks"),)))
    return events


def check(store: AlertStore) -> None:
    loaded = store.load(NOW)
    incidents = fold_incidents(loaded)
    assert set(incidents) == {"inc-1"}  # the open one is carried, the resolved forgotten
    inc = incidents["inc-1"]
    assert inc.open and inc.slack_ts == "17.1" and inc.number == 1
    assert [m.rule for m in inc.members.values()] == ["hit_rate_below_55"]
    assert any(e.rule == "monitor_no_data" for e in loaded)
    # An incident's columns survive the round trip.
    fired = next(e for e in loaded if e.event_type == "fired" and e.incident_id)
    assert (fired.incident_id, fired.incident_key) == ("inc-1", "commit:abc1234")


def test_memory_store_carries_an_open_incident_past_the_horizon() -> None:
    check(MemoryAlertStore(history()))


def test_duckdb_store_carries_an_open_incident_past_the_horizon(tmp_path: Path) -> None:
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    try:
        ensure_schema(wh, migrate=True)
        WarehouseAlertStore(wh).append(history())
        check(WarehouseAlertStore(wh))
    finally:
        wh.close()
