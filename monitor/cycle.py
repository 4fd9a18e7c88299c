"""One monitoring cycle: checks → rules → alert state → notifications.

The composition is here; each step's logic lives in its own module. Returns a
summary; raises only when the monitor itself cannot go on (state unreadable).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from monitor.checks import CheckContext
from monitor.checks.feature_shift import shifts_by_commit
from monitor.checks.freshness import data_expected
from monitor.config import BUILT_IN_CHECK_RULES, MonitorConfig, Rule
from monitor.delivery import PlannedMessage, deliver, plan
from monitor.league_calendar import LeagueCalendar, load_calendar
from monitor.model import CheckResult, Status, eastern_date, iso
from monitor.notify.base import Notifier
from monitor.rules.incidents import (
    Incident,
    IncidentOp,
    assign,
    fold_incidents,
    open_by_severity,
    plan_incident_ops,
    renamed_keys,
)
from monitor.rules.inhibit import inhibit_rules_of
from monitor.rules.lock import CycleLock, NoLock
from monitor.rules.state import (
    AlertEvent,
    AlertState,
    Candidate,
    Evidence,
    cause_key,
    fold,
    group_findings,
    transition,
)
from monitor.rules.store import AlertStore
from monitor.runner import run_checks
from monitor.warehouse.base import Params, QueryRunner

log = logging.getLogger(__name__)
# How far back an alert's commit hints (first seen, deploys) look in the execution log.
COMMIT_PROVENANCE_DAYS = 120

# A check that errors is a finding too: this built-in rule turns it into an alert.
CHECK_ERROR_RULE = Rule(
    name="monitor_check_error", metric="check_error", description="a check could not run",
    above=0, evidence="point", severity="warning", group_by=["check"],
    repeat_interval=dt.timedelta(hours=6), runbook_url="runbooks.md#monitor_check_error",
)
# A cycle where every check had no data is not a quiet success: unless the calendar
# says no games are expected (an off day), it says so, once, through alert state.
NO_DATA_RULE = Rule(
    name="monitor_no_data", metric="checks_no_data",
    description="every check had no data while games are expected (or the calendar is "
                "unknown)",
    above=0, evidence="point", severity="warning", group_by=["scope"],
    repeat_interval=dt.timedelta(hours=24), resolve={"announce": False, "after_runs": 1},
    runbook_url="runbooks.md#monitor_no_data",
)
BUILT_IN_RULES = (CHECK_ERROR_RULE, NO_DATA_RULE, *BUILT_IN_CHECK_RULES)


@dataclass
class CycleSummary:
    run_id: str
    as_of: dt.datetime
    started_at: dt.datetime
    results: list[CheckResult]
    events: list[AlertEvent] = field(default_factory=list)
    planned: list[PlannedMessage] = field(default_factory=list)
    sent: int = 0
    failed: int = 0  # kept owed for the next run
    dropped: int = 0  # refused for good by the channel: reported, no longer owed
    notification_errors: list[str] = field(default_factory=list)
    metric_failures: int = 0
    metric_errors: list[str] = field(default_factory=list)
    alerts_firing: int = 0
    skipped: str | None = None  # why state and notifications were not handled
    chart_errors: list[str] = field(default_factory=list)
    finished_at: dt.datetime | None = None
    calendar: LeagueCalendar | None = None
    incidents_open: dict[str, int] = field(default_factory=dict)  # by severity

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    def events_of(self, kind: str) -> int:
        return sum(1 for e in self.events if e.event_type == kind)

    @property
    def pending(self) -> int:
        """Alerts whose message is still owed after this cycle."""
        return sum(1 for e in self.events if e.event_type == "notify_failed")

    def run_row(self, metric_failures: int) -> Params:
        failed = self.count(Status.FAIL) + self.count(Status.WARN)
        return {
            "run_id": self.run_id, "started_at": self.started_at,
            "finished_at": self.finished_at or dt.datetime.now(dt.UTC), "as_of": self.as_of,
            "checks_ok": self.count(Status.OK), "checks_failed": failed,
            "checks_no_data": self.count(Status.NO_DATA),
            "checks_error": self.count(Status.ERROR),
            "alerts_fired": self.events_of("fired"), "alerts_resolved": self.events_of("resolved"),
            "alerts_pending": self.pending, "notification_failures": self.failed + self.dropped,
            "metric_failures": metric_failures,
            "status": "skipped" if self.skipped else "completed",
        }

    def line(self) -> str:
        checks = ", ".join(f"{self.count(s)} {s.value}" for s in Status if self.count(s))
        if self.skipped:
            return (f"run {self.run_id} as of {self.as_of.isoformat()}: checks {checks}; "
                    f"alerts not handled: {self.skipped}")
        dropped = (f", {self.dropped} refused for good (not re-sent every run)"
                   if self.dropped else "")
        return (f"run {self.run_id} as of {self.as_of.isoformat()}: checks {checks}; "
                f"alerts {self.events_of('fired')} fired, {self.events_of('resolved')} "
                f"resolved, {self.events_of('silenced')} silenced; notifications "
                f"{self.sent} sent, {self.failed} failed (kept pending){dropped}; "
                f"metric failures {self.metric_failures}")


def candidates_for(results: Sequence[CheckResult], rules: Mapping[str, Rule],
                   games_expected: bool | None = None) -> tuple[list[Candidate], set[str]]:
    """Candidates from findings, plus the rules that were actually evaluated.

    A check that errored or had no data evaluates none of its rules: its alerts
    neither fire nor resolve this run (missing data is not health).
    `games_expected`: from the league calendar; None when it is unknown."""
    findings = [f for r in results if r.status not in (Status.ERROR, Status.NO_DATA)
                for f in r.findings]
    evaluated = {f.rule for f in findings} | {CHECK_ERROR_RULE.name, NO_DATA_RULE.name}
    candidates = group_findings(findings, rules)
    silent = bool(results) and all(r.status is Status.NO_DATA for r in results)
    why = ("games are expected" if games_expected else "the calendar is unknown")
    no_data = silent and games_expected is not False
    candidates.append(Candidate(
        NO_DATA_RULE.name, NO_DATA_RULE.severity, (("scope", "all checks"),), no_data,
        Evidence("checks_no_data", float(len(results)), len(results), None, None, 0.0,
                 f"all {len(results)} checks had no data and {why}: the prediction "
                 "tables may have stopped filling") if no_data else None))
    for r in results:
        labels = (("check", r.name),)
        error = r.status is Status.ERROR
        evidence = Evidence("check_error", 1.0, 1, None, None, 0.0, r.summary) if error else None
        candidates.append(Candidate(CHECK_ERROR_RULE.name, CHECK_ERROR_RULE.severity, labels,
                                    error, evidence))
    return candidates, evaluated


def commit_hints(warehouse: QueryRunner, commits: set[str],
                 as_of: dt.datetime) -> dict[str, dict[str, str]]:
    """commit → what an alert's hints say about it: when it was first seen, its feature
    source modes and deployment revisions (the execution log's provenance columns)."""
    commits = {c for c in commits if c and c != "unknown"}
    if not commits:
        return {}
    try:
        rows = warehouse.query("commit_provenance", {
            "commits": sorted(commits),
            "exec_from": as_of - dt.timedelta(days=COMMIT_PROVENANCE_DAYS),
            "as_of": as_of})
    except Exception as exc:  # noqa: BLE001 - hints are optional; the alert is not
        log.warning("commit provenance unavailable: %s", exc)
        return {}
    return {r["build_commit_sha"]: {
        "commit first seen": iso(r["first_seen_at"]),
        "feature_source_mode": r["feature_source_modes"] or "",
        "deployment_revision": r["deployment_revisions"] or "",
    } for r in rows}


def run_cycle(warehouse: QueryRunner, config: MonitorConfig, notifier: Notifier,
              store: AlertStore, *, as_of: dt.datetime, run_id: str,
              dry_run: bool = False, lock: CycleLock | None = None,
              games_expected: bool | None = None) -> CycleSummary:
    """`games_expected`: whether today's slate has games; by default the league
    calendar says (None when it is unknown). Only a known off day keeps a cycle
    without any data quiet."""
    started = dt.datetime.now(dt.UTC)
    league = load_calendar(warehouse, config, eastern_date(as_of))
    if games_expected is None:  # due by now: the day's deadline, even after a break
        games_expected = data_expected(as_of, config.settings.freshness, league)
    ctx = CheckContext(as_of=as_of, config=config, mode="cycle", run_id=run_id,
                       calendar=league)
    results = run_checks(warehouse, ctx)
    summary = CycleSummary(run_id, as_of, started, results, calendar=league)
    lock = lock or NoLock()
    if not lock.acquire():
        summary.skipped = "another cycle holds the lock and handles alerts"
        summary.finished_at = dt.datetime.now(dt.UTC)
        return summary
    try:
        _handle_alerts(summary, warehouse, config, notifier, store, dry_run=dry_run,
                       games_expected=games_expected, lock=lock)
    finally:
        lock.release()
    summary.finished_at = dt.datetime.now(dt.UTC)
    return summary


@dataclass(frozen=True)
class AlertStep:
    """What a cycle decides about its alerts (pure): alert states after this cycle's
    events, the events to write (alerts stamped with their incidents, and what those
    caused), the incidents, and what they owe Slack."""

    states: dict[str, AlertState]
    events: list[AlertEvent]
    incidents: dict[str, Incident]
    ops: list[IncidentOp]


def decide_alerts(before: Sequence[AlertEvent], candidates: Sequence[Candidate],
                  rules: Mapping[str, Rule], evaluated: set[str], config: MonitorConfig, *,
                  now: dt.datetime, run_id: str, threads: bool) -> AlertStep:
    """Alert transitions, then each alert into the incident of its cause
    (monitor/rules/incidents.py); what the incidents owe becomes the cycle's messages."""
    new_events = transition(fold(before), candidates, rules, evaluated, now, run_id)
    states = fold([*before, *new_events])
    keys = {fp: cause_key(st.rule, dict(st.labels), rules[st.rule].incident_by,
                          dict(st.evidence.context) if st.evidence else None)
            for fp, st in states.items() if st.rule in rules}
    incidents_before = fold_incidents(before)
    keys.update(renamed_keys(incidents_before, new_events))
    decided = assign(incidents_before, states, new_events, keys=keys,
                     inhibit_rules=inhibit_rules_of(config), settings=config.incident,
                     now=now, run_id=run_id)
    incidents = fold_incidents([*before, *decided])
    ops = plan_incident_ops(incidents, states, now=now, settings=config.incident,
                            threads=threads)
    return AlertStep(states, decided, incidents, ops)


def _handle_alerts(summary: CycleSummary, warehouse: QueryRunner, config: MonitorConfig,
                   notifier: Notifier, store: AlertStore, *, dry_run: bool,
                   games_expected: bool | None = None, lock: CycleLock | None = None) -> None:
    as_of, run_id, results = summary.as_of, summary.run_id, summary.results
    rules = {r.name: r for r in (*config.rules, *BUILT_IN_RULES)}
    candidates, evaluated = candidates_for(results, rules, games_expected)

    step = decide_alerts(store.load(as_of), candidates, rules, evaluated, config,
                         now=as_of, run_id=run_id, threads=notifier.supports_threads)
    states, decided, ops = step.states, step.events, step.ops
    summary.alerts_firing = sum(1 for st in states.values() if st.active)
    summary.incidents_open = open_by_severity(step.incidents.values())
    commits = {op.incident.key.removeprefix("commit:") for op in ops
               if op.incident.key.startswith("commit:")}
    provenance = commit_hints(warehouse, commits, as_of)
    # What changed with each commit: its most shifted critical features, in the hints
    # of its incident.
    for commit, shifted in shifts_by_commit(results).items():
        provenance.setdefault(commit, {})["features shifted"] = shifted
    blocked = frozenset(store.load_blocks(as_of)) if commits else frozenset()
    summary.planned = plan(ops, states, rules, threads=notifier.supports_threads,
                           provenance=provenance, blocked=blocked, now=as_of,
                           runbook_base_url=config.settings.runbook_base_url,
                           report_url=config.settings.report_url)
    summary.events = list(decided)
    if dry_run:
        return

    store.append(decided)
    report = deliver(summary.planned, notifier=notifier, store=store, lock=lock or NoLock(),
                     warehouse=warehouse, config=config, rules=rules, as_of=as_of,
                     run_id=run_id)
    summary.events += report.events
    summary.sent, summary.failed, summary.dropped = report.sent, report.failed, report.dropped
    summary.notification_errors += report.errors
    summary.chart_errors += report.chart_errors
    if report.lock_lost:
        summary.skipped = "the cycle lock was lost while notifying"
