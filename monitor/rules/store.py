"""Where alert events live: the warehouse's monitor_alert_events table, or memory
(backtests and dry runs). Converting rows ↔ events is the only logic here."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from monitor.rules.blocks import CommitBlock, fold_blocks
from monitor.rules.state import (
    ACTIONS,
    BLOCK_RULE,
    INCIDENT_RULE,
    AlertEvent,
    EventType,
    Evidence,
    as_event_type,
    as_severity,
)
from monitor.warehouse.base import MissingTableError, Params, Warehouse, WarehouseError

STATE_HORIZON = dt.timedelta(days=90)  # alerts older than this are forgotten
# Commit blocks are not alerts: a block stands until someone lifts it, so they are read
# over a window of their own, long but bounded (the log is partitioned by event_time).
# An open incident is carried over the same window: a long one must not page anew.
BLOCK_HORIZON = dt.timedelta(days=3 * 366)
# Events a person wrote, whose actor is read apart (the column came with migration 022).
_BY_PEOPLE: tuple[EventType, ...] = (*ACTIONS, "blocked", "unblocked")


class AlertStore(Protocol):
    def load(self, as_of: dt.datetime) -> list[AlertEvent]: ...

    def load_blocks(self, as_of: dt.datetime) -> dict[str, CommitBlock]: ...

    def append(self, events: Sequence[AlertEvent]) -> None: ...


class MemoryAlertStore:
    def __init__(self, events: Sequence[AlertEvent] = ()) -> None:
        self.events: list[AlertEvent] = list(events)

    def load(self, as_of: dt.datetime) -> list[AlertEvent]:
        since = as_of - STATE_HORIZON
        carried = open_incidents(
            (e.incident_id, e.event_type, e.event_time) for e in self.events
            if e.rule == INCIDENT_RULE and e.incident_id
            and as_of - BLOCK_HORIZON <= e.event_time <= as_of)
        return [e for e in self.events if e.event_time <= as_of and (
            since <= e.event_time or (e.incident_id in carried
                                      and as_of - BLOCK_HORIZON <= e.event_time))]

    def load_blocks(self, as_of: dt.datetime) -> dict[str, CommitBlock]:
        """The commit blocks in force at as_of, by commit (past STATE_HORIZON too)."""
        return fold_blocks(e for e in self.events if e.rule == BLOCK_RULE
                           and as_of - BLOCK_HORIZON <= e.event_time <= as_of)

    def append(self, events: Sequence[AlertEvent]) -> None:
        self.events.extend(events)


class WarehouseAlertStore:
    def __init__(self, warehouse: Warehouse, *,
                 labels: Mapping[str, str] | None = None) -> None:
        self.warehouse = warehouse
        # The job labels of the reads (BigQuery): a gate command's reads say which.
        self.labels = labels

    def load(self, as_of: dt.datetime) -> list[AlertEvent]:
        """The events of STATE_HORIZON, after those of the incidents still open that
        began before it (read over BLOCK_HORIZON)."""
        window = {"since": as_of - STATE_HORIZON, "as_of": as_of}
        recent = _events(self.warehouse.query("alert_events_recent", window,
                                              labels=self.labels))
        long = {"since": as_of - BLOCK_HORIZON, "as_of": as_of}
        try:
            opens = self.warehouse.query("incident_opens", long, labels=self.labels)
        except WarehouseError as exc:
            if "incident_id" not in str(exc):
                raise
            # Older than migration 023 (a read-only command before the upgrade's first
            # run): no incident yet.
            return self._with_actors(recent, window)
        if not opens:
            return self._with_actors(recent, window)
        recent = self._with_incidents(recent, window)
        carried = open_incidents((r["incident_id"], r["event_type"], r["event_time"])
                                 for r in opens)
        if not carried:
            return self._with_actors(recent, window)
        older = _events(self.warehouse.query("incident_events", {
            "incident_ids": sorted(carried), "since": long["since"],
            "before": window["since"]}, labels=self.labels))
        return self._with_actors([*older, *recent], long)

    def _with_incidents(self, events: list[AlertEvent],
                        window: dict[str, dt.datetime]) -> list[AlertEvent]:
        found = {r["event_id"]: (r["incident_id"], r["incident_key"])
                 for r in self.warehouse.query("alert_event_incidents", window,
                                               labels=self.labels)}
        return [replace(e, incident_id=found[e.event_id][0],
                        incident_key=found[e.event_id][1]) if e.event_id in found else e
                for e in events]

    def event_incidents(self, since: dt.datetime,
                        as_of: dt.datetime) -> dict[str, tuple[str, str | None]] | None:
        """event_id → (incident_id, incident_key) of the events from since to as_of that
        belong to an incident; None for a warehouse older than migration 023."""
        try:
            rows = self.warehouse.query("alert_event_incidents",
                                        {"since": since, "as_of": as_of}, labels=self.labels)
        except WarehouseError as exc:
            if "incident_id" not in str(exc):
                raise
            return None
        return {r["event_id"]: (r["incident_id"], r["incident_key"]) for r in rows}

    def incident_history(self, since: dt.datetime, until: dt.datetime) -> list[AlertEvent]:
        """The events from `since` to `until`, each with its incident, after the earlier
        events (read over BLOCK_HORIZON) of every incident that was open when the period
        began or that the period meets without its opening (reopened in it): what a fold
        of the period's incidents needs (notebooks, the report). A warehouse older than
        migration 023 holds no incident: its events come alone."""
        window = {"since": since, "as_of": until}
        recent = _events(self.warehouse.query("alert_events_recent", window,
                                              labels=self.labels))
        found = self.event_incidents(since, until)
        if found is None:
            return self._with_actors(recent, window)
        recent = [replace(e, incident_id=found[e.event_id][0],
                          incident_key=found[e.event_id][1]) if e.event_id in found else e
                  for e in recent]
        long = {"since": since - BLOCK_HORIZON, "as_of": since}
        opens = self.warehouse.query("incident_opens", long, labels=self.labels)
        met = {e.incident_id for e in recent if e.incident_id}
        opened = {e.incident_id for e in recent
                  if e.rule == INCIDENT_RULE and e.event_type == "opened"}
        earlier = open_incidents((r["incident_id"], r["event_type"], r["event_time"])
                                 for r in opens) | {i for i in met - opened if i}
        older = _events(self.warehouse.query("incident_events", {
            "incident_ids": sorted(earlier), "since": long["since"], "before": since},
            labels=self.labels)) if earlier else []
        return self._with_actors([*older, *recent], {"since": long["since"], "as_of": until})

    def load_blocks(self, as_of: dt.datetime) -> dict[str, CommitBlock]:
        """The commit blocks in force at as_of, by commit: read over BLOCK_HORIZON, not
        STATE_HORIZON, so a block does not lapse with the alerts. A warehouse without the
        alert event log holds no block."""
        window = {"since": as_of - BLOCK_HORIZON, "as_of": as_of}
        try:
            rows = self.warehouse.query("commit_blocks", window, labels=self.labels)
        except MissingTableError:
            return {}
        return fold_blocks(self._with_actors(_events(rows), window))

    def _with_actors(self, events: list[AlertEvent],
                     window: dict[str, dt.datetime]) -> list[AlertEvent]:
        """The events, those written by people with who did it (read only when any)."""
        if not any(e.event_type in _BY_PEOPLE for e in events):
            return events
        actors = {r["event_id"]: r["actor"]
                  for r in self.warehouse.query("alert_event_actors", window,
                                                labels=self.labels)}
        return [replace(e, actor=actors.get(e.event_id)) if e.event_type in _BY_PEOPLE
                else e for e in events]

    def append(self, events: Sequence[AlertEvent]) -> None:
        # Events of one cycle share event_time (the cycle's as-of time): the wall
        # clock and the position keep the order they were decided in.
        recorded_at = dt.datetime.now(dt.UTC)
        for seq, event in enumerate(events):
            params = dict(event_params(event))
            params.update(recorded_at=recorded_at, seq=seq)
            self.warehouse.query("append_alert_event", params)


def open_incidents(rows: Iterable[tuple[str | None, str, dt.datetime]]) -> set[str]:
    """The incidents whose last opened/reopened/resolved event is not `resolved`, from
    (incident_id, event_type, event_time) rows in the order they were written."""
    last: dict[str, str] = {}
    for inc_id, kind, _ in rows:
        if inc_id and kind in ("opened", "reopened", "resolved"):
            last[inc_id] = kind
    return {inc_id for inc_id, kind in last.items() if kind != "resolved"}


def _events(rows: Sequence[dict[str, Any]]) -> list[AlertEvent]:
    """The events the rows hold, those of an event type this code does not know left out."""
    return [e for e in map(event_from_row, rows) if e is not None]


def _json(value: Any) -> Any:
    if value is None or isinstance(value, dict | list):
        return value
    return json.loads(value)


def event_from_row(row: dict[str, Any]) -> AlertEvent | None:
    """The event a stored row holds; None for an event type this code does not know (a
    newer release's), which folds to nothing."""
    event_type = as_event_type(row["event_type"])
    if event_type is None:
        return None
    labels = _json(row["labels_json"]) or {}
    ev = _json(row["evidence_json"])
    evidence = None
    if ev:
        evidence = Evidence(
            ev["metric"], ev["value"], int(ev["sample_size"]),
            tuple(ev["interval"]) if ev.get("interval") else None,
            ev.get("baseline"), float(ev["threshold"]), ev.get("reason", ""),
            tuple(ev.get("dates", ())), tuple(sorted(ev.get("context", {}).items())))
    time = row["event_time"]
    if isinstance(time, dt.datetime) and time.tzinfo is None:
        time = time.replace(tzinfo=dt.UTC)
    return AlertEvent(row["event_id"], time, row["run_id"], event_type, row["rule"],
                      row["fingerprint"], as_severity(row["severity"]),
                      tuple(sorted(labels.items())), evidence, row["slack_ts"],
                      row["slack_channel"], row["detail"], row.get("actor"),
                      row.get("incident_id"), row.get("incident_key"))


def event_params(e: AlertEvent) -> Params:
    ev = e.evidence
    evidence_json = None
    if ev is not None:
        evidence_json = json.dumps({
            "metric": ev.metric, "value": ev.value, "sample_size": ev.sample_size,
            "interval": list(ev.interval) if ev.interval else None, "baseline": ev.baseline,
            "threshold": ev.threshold, "reason": ev.reason, "dates": list(ev.dates),
            "context": dict(ev.context)})
    summary = None
    if ev is not None:
        summary = f"{ev.metric}={ev.value} n={ev.sample_size} {ev.reason}"
    return {
        "event_id": e.event_id, "event_time": e.event_time, "run_id": e.run_id,
        "event_type": e.event_type, "rule": e.rule, "fingerprint": e.fingerprint,
        "severity": e.severity, "labels_json": json.dumps(dict(e.labels)),
        "value": ev.value if ev else None,
        "sample_size": ev.sample_size if ev else None,
        "interval_low": ev.interval[0] if ev and ev.interval else None,
        "interval_high": ev.interval[1] if ev and ev.interval else None,
        "baseline": ev.baseline if ev else None,
        "threshold": ev.threshold if ev else None,
        "summary": summary, "slack_ts": e.slack_ts, "slack_channel": e.slack_channel,
        "detail": e.detail, "evidence_json": evidence_json, "actor": e.actor,
        "incident_id": e.incident_id, "incident_key": e.incident_key,
    }
