"""Replays scheduled cycles over history: each cycle sees the data as it was at its
time (the --as-of rule), alert state lives in memory, nothing is written or sent. What
the replay's alert log holds at the end is folded into its incidents, with the
messages each would have sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.config import MonitorConfig
from monitor.cycle import COMMIT_PROVENANCE_DAYS, run_cycle
from monitor.model import EASTERN, as_utc
from monitor.notify.memory import MemoryNotifier
from monitor.rules.incidents import fold_incidents
from monitor.rules.state import INCIDENT_RULE, AlertEvent, Evidence
from monitor.rules.store import MemoryAlertStore
from monitor.scheduler import cron_trigger, next_fire_times
from monitor.warehouse.base import Params, QueryRunner, Record

REPORTED = ("fired", "repeated", "resolved", "inhibited")
VERSION_WINDOW_DAYS = 130  # at least: the fixed windows a check reads


def version_window_days(configs: Iterable[MonitorConfig]) -> int:
    """Days of data whose change must invalidate the replay cache: every window a check
    reads, the configured ones included (history_days go up to 180)."""
    days = [VERSION_WINDOW_DAYS, COMMIT_PROVENANCE_DAYS]
    for config in configs:
        settings = config.settings
        days += [settings.sequential.history_days, settings.provenance.history_days,
                 max(settings.hit_rate_windows_days) + 30]
    return max(days)


class ReplayCache:
    """Runs a query once per (query, parameters, visible data) and reuses the rows.

    Hourly cycles between two batches see the same rows; `as_of` only filters what
    is visible, so the counts from data_version.sql stand in for it in the key."""

    def __init__(self, inner: QueryRunner, window_days: int = VERSION_WINDOW_DAYS) -> None:
        self.inner = inner
        self.window_days = window_days
        self.version: tuple[Any, ...] = ()
        self.cache: dict[tuple[Any, ...], list[Record]] = {}
        self.hits = self.misses = 0

    def start_cycle(self, as_of: dt.datetime, today: dt.date) -> None:
        start = today - dt.timedelta(days=self.window_days)
        row = self.inner.query("data_version", {
            "start_date": start, "end_date": today + dt.timedelta(days=2),
            "exec_from": dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC),
            "as_of": as_of})[0]
        version = (today, row["predictions"], row["graded"], row["batches"])
        if version != self.version:
            self.cache.clear()
            self.version = version

    def query(self, name: str, params: Params, *,
              labels: Mapping[str, str] | None = None) -> list[Record]:
        key = (name, tuple(sorted((k, _hashable(v)) for k, v in params.items()
                                  if k != "as_of")), self.version)
        if key in self.cache:
            self.hits += 1
        else:
            self.misses += 1
            self.cache[key] = self.inner.query(name, params, labels=labels)
        return self.cache[key]


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class BacktestAlert:
    time: dt.datetime
    event: str  # fired | repeated | resolved | inhibited
    rule: str
    severity: str
    labels: tuple[tuple[str, str], ...]
    evidence: Evidence | None
    incident_id: str | None = None
    inhibited_by: str | None = None  # the source's rule, for `inhibited`

    def label(self, name: str) -> str:
        return dict(self.labels).get(name, "")

    def to_json(self) -> dict[str, Any]:
        ev = self.evidence
        return {
            "time": self.time.isoformat(), "event": self.event, "rule": self.rule,
            "severity": self.severity, "labels": dict(self.labels),
            "evidence": None if ev is None else {
                "metric": ev.metric, "value": ev.value, "sample_size": ev.sample_size,
                "interval": list(ev.interval) if ev.interval else None,
                "baseline": ev.baseline, "threshold": ev.threshold, "reason": ev.reason,
                "dates": list(ev.dates), "context": dict(ev.context)},
            "incident_id": self.incident_id, "inhibited_by": self.inhibited_by,
        }


def backtest_alert(at: dt.datetime, e: AlertEvent) -> BacktestAlert:
    return BacktestAlert(at, e.event_type, e.rule, e.severity, e.labels, e.evidence,
                         e.incident_id, e.detail if e.event_type == "inhibited" else None)


@dataclass(frozen=True)
class BacktestMember:
    fingerprint: str
    rule: str
    severity: str
    labels: tuple[tuple[str, str], ...]
    first_fired: dt.datetime
    status: str  # at the end of the replay: firing | inhibited | resolved

    def to_json(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "rule": self.rule,
                "severity": self.severity, "labels": dict(self.labels),
                "first_fired": self.first_fired.isoformat(), "status": self.status}


@dataclass(frozen=True)
class BacktestIncident:
    """An incident of the replay and the Slack messages it would have sent: `pages`
    top-level posts, `replies` threaded replies (its reminders included, counted again
    in `reminders`), `updates` edits of the top-level message. pages + replies is
    the chat.postMessage calls a bot token would have made for it."""

    incident_id: str
    number: int
    key: str
    severity: str
    opened: dt.datetime
    resolved: dt.datetime | None  # None: still open at the end of the replay
    members: tuple[BacktestMember, ...]
    pages: int = 0
    replies: int = 0
    reminders: int = 0
    updates: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.incident_id, "number": self.number, "key": self.key,
                "severity": self.severity, "opened": self.opened.isoformat(),
                "resolved": self.resolved.isoformat() if self.resolved else None,
                "members": [m.to_json() for m in self.members], "pages": self.pages,
                "replies": self.replies, "reminders": self.reminders,
                "updates": self.updates}


def messages_by_incident(events: Iterable[AlertEvent]) -> dict[str, dict[str, int]]:
    """incident id → kind of message (post, reply, reminder, update) → how many were
    delivered, from the incidents' `notified` events."""
    sent: dict[str, dict[str, int]] = {}
    for e in events:
        if e.rule == INCIDENT_RULE and e.event_type == "notified" and e.incident_id:
            counts = sent.setdefault(e.incident_id, {})
            counts[e.detail or ""] = counts.get(e.detail or "", 0) + 1
    return sent


def backtest_incidents(events: Iterable[AlertEvent]) -> list[BacktestIncident]:
    """The incidents an alert log holds, in the order they opened, each with the
    messages recorded for it (the incident's `notified` events: post, reply, reminder,
    update)."""
    events = list(events)
    sent = messages_by_incident(events)
    out = []
    for inc in fold_incidents(events).values():
        counts = sent.get(inc.incident_id, {})
        members = tuple(BacktestMember(m.fingerprint, m.rule, m.severity, m.labels,
                                       m.first_fired, m.status.value)
                        for m in sorted(inc.members.values(),
                                        key=lambda m: (m.first_fired, m.rule, m.fingerprint)))
        out.append(BacktestIncident(
            inc.incident_id, inc.number, inc.key, inc.severity, inc.opened_at,
            inc.resolved_at, members, pages=counts.get("post", 0),
            replies=counts.get("reply", 0) + counts.get("reminder", 0),
            reminders=counts.get("reminder", 0), updates=counts.get("update", 0)))
    return sorted(out, key=lambda i: (i.opened, i.number, i.incident_id))


@dataclass
class BacktestRun:
    name: str
    alerts: list[BacktestAlert] = field(default_factory=list)
    incidents: list[BacktestIncident] = field(default_factory=list)


def cycle_times(start: dt.datetime, end: dt.datetime, cron: str, timezone: str) -> (
    list[dt.datetime]
):
    trigger = cron_trigger(cron, timezone)
    times: list[dt.datetime] = []
    cursor = start
    while True:
        batch = next_fire_times(trigger, cursor, 500)
        for t in batch:
            if t.astimezone(dt.UTC) > end:
                return times
            times.append(t.astimezone(dt.UTC))
        if not batch:
            return times
        cursor = times[-1] + dt.timedelta(seconds=1)


EVENTS = "events"  # `--schedule events`: a reserved word beside cron expressions
EVENT_DELAY = dt.timedelta(seconds=1)  # a push arrives after the log row is written


def game_day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first and last moment of game dates start..end (US/Eastern calendar days)."""
    first = dt.datetime.combine(start, dt.time(), tzinfo=EASTERN).astimezone(dt.UTC)
    last = dt.datetime.combine(end, dt.time(23, 59, 59), tzinfo=EASTERN).astimezone(dt.UTC)
    return first, last


def game_day_cycle_times(start: dt.date, end: dt.date, cron: str, timezone: str) -> (
    list[dt.datetime]
):
    """The scheduled cycles from the first to the last moment of game dates start..end."""
    return cycle_times(*game_day_bounds(start, end), cron, timezone)


def event_cycle_times(warehouse: QueryRunner, first: dt.datetime, last: dt.datetime) -> (
    list[dt.datetime]
):
    """A cycle one second after each batch's execution_end_timestamp, as the Pub/Sub
    push of the execution-log writer would run one."""
    rows = warehouse.query("batch_end_times", {
        "exec_from": first - dt.timedelta(days=1), "from_ts": first, "to_ts": last})
    ends = (as_utc(r["ended_at"]) for r in rows if r["ended_at"] is not None)
    return [t + EVENT_DELAY for t in ends if t + EVENT_DELAY <= last]


def replay_cron(schedule: str | None, config: MonitorConfig) -> str:
    """The cron line a replay follows: `schedule`, or the config's for none or `events`."""
    return config.schedule.cycle if schedule in (None, "", EVENTS) else schedule


def replay_times(warehouse: QueryRunner, start: dt.date, end: dt.date, schedule: str | None,
                 config: MonitorConfig) -> tuple[list[dt.datetime], int]:
    """The cycles to replay over game dates start..end, and how many are event cycles:
    `schedule` (a cron line; default the config's), or `events` — the config's schedule
    plus a cycle one second after each batch ended."""
    events = schedule == EVENTS
    cron = replay_cron(schedule, config)
    times = game_day_cycle_times(start, end, cron, config.schedule.timezone)
    extra = event_cycle_times(warehouse, *game_day_bounds(start, end)) if events else []
    return sorted({*times, *extra}), len(extra)


def backtest(warehouse: QueryRunner, configs: Mapping[str, MonitorConfig],
             times: list[dt.datetime],
             progress: Callable[[dt.datetime], None] | None = None) -> (
    tuple[dict[str, BacktestRun], ReplayCache]
):
    """Every cycle time, for every rule set (config): fired/repeated/resolved/inhibited
    alerts, and the incidents they made."""
    from monitor.model import eastern_date

    cache = ReplayCache(warehouse, version_window_days(configs.values()))
    runs = {name: BacktestRun(name) for name in configs}
    stores = {name: MemoryAlertStore() for name in configs}
    for at in times:
        cache.start_cycle(at, eastern_date(at))
        for name, config in configs.items():
            summary = run_cycle(cache, config, MemoryNotifier(), stores[name], as_of=at,
                                run_id=f"backtest-{at:%Y%m%dT%H%M%S}")
            runs[name].alerts += [backtest_alert(at, e) for e in summary.events
                                  if e.event_type in REPORTED and e.rule != INCIDENT_RULE]
        if progress:
            progress(at)
    for name, store in stores.items():
        runs[name].incidents = backtest_incidents(store.events)
    return runs, cache
