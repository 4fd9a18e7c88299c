"""The period a report covers, read from the warehouse through the same queries the
checks use (no SQL of its own), into plain values for the renderers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from monitor.checks.feature_defaults import feature_counts, query_feature_defaults
from monitor.checks.outcome_drift import NO_SENTINELS
from monitor.config import MonitorConfig
from monitor.model import as_date
from monitor.rules.blocks import CommitBlock
from monitor.rules.incidents import Incident, fold_incidents
from monitor.rules.state import INCIDENT_RULE, AlertEvent
from monitor.rules.store import WarehouseAlertStore
from monitor.validate import DailyReport, validate_daily
from monitor.warehouse.base import Warehouse, WarehouseError


@dataclass
class SystemHistory:
    system: str
    # day → commit → (graded, sum_abs_error, picks, hits)
    outcomes: dict[dt.date, dict[str, tuple[int, float, int, int]]] = field(
        default_factory=lambda: defaultdict(dict))
    # day → commit → (rows with a line, mismatches, rows with ppm, ppm defaults)
    features: dict[dt.date, dict[str, tuple[int, int, int, int]]] = field(
        default_factory=lambda: defaultdict(dict))
    # day → (coverage, baseline, failed batches, partial batches, blocked batches, batches)
    coverage: dict[dt.date, tuple[float | None, float | None, int, int, int, int]] = field(
        default_factory=dict)

    def commit_first_days(self) -> dict[str, dt.date]:
        first: dict[str, dt.date] = {}
        for source in (self.features, self.outcomes):
            for day, commits in source.items():
                for commit in commits:
                    if commit not in first or day < first[commit]:
                        first[commit] = day
        return first


@dataclass
class ReportData:
    date: dt.date
    start: dt.date
    daily: DailyReport
    systems: dict[str, SystemHistory]
    alerts: list[AlertEvent]
    alerts_note: str = ""
    # Per system and commit with batches the gate blocked in the period: the
    # provenance check's batch_commit_lineage rows (count, latest batch, its reasons).
    blocked: list[dict[str, Any]] = field(default_factory=list)
    # The commits people blocked (block-commit, Slack), in force when the page is made.
    commit_blocks: list[CommitBlock] = field(default_factory=list)
    # The incidents open at some time in the period, as they stand at its end: the
    # open ones first, then the others, each group the latest first.
    incidents: list[Incident] = field(default_factory=list)


def read_history(warehouse: Warehouse, config: MonitorConfig, date: dt.date, days: int,
                 now: dt.datetime) -> ReportData:
    start = date - dt.timedelta(days=days - 1)
    daily = validate_daily(warehouse, config, date, now)
    systems: dict[str, SystemHistory] = {}

    def system(name: str) -> SystemHistory:
        return systems.setdefault(name, SystemHistory(name))

    for r in warehouse.query("outcome_daily_by_commit",
                             {"start_date": start, "end_date": date, "as_of": now,
                              **NO_SENTINELS}):
        system(r["system_id"]).outcomes[as_date(r["game_date"])][r["build_commit_sha"]] = (
            int(r["graded"]), float(r["sum_abs_error"] or 0), int(r["picks"]), int(r["hits"]))
    for r in query_feature_defaults(warehouse, config.features, start, date, now):
        seed = {c.feature.key: c for c in feature_counts(r, config.features)}
        vegas, ppm = seed.get("has_vegas_line"), seed.get("ppm_avg_last_10")
        system(r["system_id"]).features[as_date(r["game_date"])][r["build_commit_sha"]] = (
            vegas.eligible if vegas else 0, vegas.at_sentinel if vegas else 0,
            ppm.eligible if ppm else 0, ppm.at_sentinel if ppm else 0)
    baseline_days = config.settings.coverage_baseline_days
    for r in warehouse.query("vegas_coverage_trend", {
            "start_date": start, "end_date": date,
            "baseline_start": start - dt.timedelta(days=baseline_days),
            "exec_from": dt.datetime.combine(start - dt.timedelta(days=baseline_days + 2),
                                             dt.time(), tzinfo=dt.UTC),
            "as_of": now, "baseline_days": baseline_days}):
        system(r["system_id"]).coverage[as_date(r["game_date"])] = (
            r["vegas_coverage"], r["baseline_vegas_coverage"], int(r["failed_batches"]),
            int(r["partial_batches"]), int(r["blocked_batches"]), int(r["batches"]))
    period_from = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    period_end = min(now, dt.datetime.combine(date + dt.timedelta(days=1), dt.time(),
                                              tzinfo=dt.UTC))
    blocked = [r for r in warehouse.query("batch_commit_lineage", {
        "history_from": period_from - dt.timedelta(
            days=config.settings.provenance.history_days),
        "recent_from": period_from, "as_of": period_end}) if int(r["blocked_batches"])]
    note = ""
    store = WarehouseAlertStore(warehouse)
    try:
        # The period's events, and those of its incidents that began before it.
        events = store.incident_history(period_from, period_end)
        alerts = [e for e in events if e.event_type in ("fired", "resolved")
                  and e.rule != INCIDENT_RULE and e.event_time >= period_from]
        incidents = sorted(fold_incidents(events).values(),
                           key=lambda i: (not i.open, -i.opened_at.timestamp(), -i.number))
        commit_blocks = sorted(store.load_blocks(now).values(),
                               key=lambda b: (b.blocked_at, b.commit))
    except WarehouseError:
        alerts, commit_blocks, incidents = [], [], []
        note = "no alert history in this warehouse (run `schema apply`)"
    return ReportData(date, start, daily, dict(sorted(systems.items())), alerts, note,
                      blocked, commit_blocks, incidents)
