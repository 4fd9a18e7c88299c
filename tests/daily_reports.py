"""validate-daily reports built from plain values: one failing day, one healthy day."""

from __future__ import annotations

import datetime as dt

from monitor.config import MonitorConfig
from monitor.model import CheckResult, Observation, Status, make_labels
from monitor.rules.evaluate import evaluate_check
from monitor.stats import wilson_interval
from monitor.validate import DailyReport

D = dt.date(2026, 1, 9)
NOW = dt.datetime(2026, 1, 10, 15, tzinfo=dt.UTC)


def check(config: MonitorConfig, name: str, metrics: list[str],
          observations: list[Observation]) -> CheckResult:
    rules = config.rules_for(set(metrics))
    return evaluate_check(name, metrics, observations, rules, "no rows for game date 2026-01-09")


def failing_report(config: MonitorConfig, runbook_base_url: str | None = None) -> DailyReport:
    labels = make_labels(system_id="catboost_v8", game_date=D, build_commit_sha="0b5e11ad")
    mismatch = Observation("feature_defaults", "mismatch_share", labels, 0.823, 390,
                           wilson_interval(321, 390))
    hit = Observation("hit_rate_by_commit", "hit_rate",
                      make_labels(system_id="catboost_v8", build_commit_sha="0b5e11ad",
                                  window="commit"), 0.45, 40, wilson_interval(18, 40))
    return DailyReport(D, [
        check(config, "feature_defaults", ["mismatch_share"], [mismatch]),
        check(config, "hit_rate_by_commit", ["hit_rate"], [hit]),
        check(config, "freshness", ["slate_batches"], []),
        CheckResult("vegas_coverage_trend", Status.ERROR,
                    "WarehouseError: query 'vegas_coverage_trend' failed: | timeout"),
    ], NOW, runbook_base_url=runbook_base_url)


def passing_report(config: MonitorConfig) -> DailyReport:
    hit = Observation("hit_rate_by_commit", "hit_rate",
                      make_labels(system_id="catboost_v8", build_commit_sha="ea88e526",
                                  window="commit"), 0.63, 600, wilson_interval(378, 600))
    return DailyReport(D, [check(config, "hit_rate_by_commit", ["hit_rate"], [hit])], NOW)
