"""validate-daily --format markdown, pinned by golden files (UPDATE_GOLDEN=1 rewrites)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from monitor.config import MonitorConfig
from monitor.model import CheckResult, Observation, Status, make_labels
from monitor.report.markdown import render_markdown
from monitor.rules.evaluate import evaluate_check
from monitor.stats import wilson_interval
from monitor.validate import DailyReport

GOLDEN = Path(__file__).parent / "golden"
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
                                  window="7d"), 0.45, 40, wilson_interval(18, 40))
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
                                  window="7d"), 0.63, 600, wilson_interval(378, 600))
    return DailyReport(D, [check(config, "hit_rate_by_commit", ["hit_rate"], [hit])], NOW)


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_markdown_for_failures_has_verdict_table_and_next_steps(config: MonitorConfig) -> None:
    text = render_markdown(failing_report(config))
    assert text.splitlines()[0].startswith("**💥 validate-daily 2026-01-09: ERROR**")
    assert "| feature_defaults | ❌ fail |" in text
    assert "sample too small" in text  # 40 picks at 45%: reported, not failed
    # No settings.runbook_base_url: the relative runbook_url is text, not a link.
    assert "Runbook: `runbooks.md#vegas_line_feature_mismatch`." in text
    assert "feature_values_at_prediction_time --param game_date=2026-01-09" in text
    assert "\\| timeout" in text  # a pipe in data does not break the table
    golden("validate_daily_failing.md", text)


def test_markdown_links_the_runbook_under_the_configured_base(config: MonitorConfig) -> None:
    text = render_markdown(failing_report(config, "https://docs.test/monitor"))
    assert "Runbook: <https://docs.test/monitor/runbooks.md#vegas_line_feature_mismatch>." in text


def test_markdown_for_a_healthy_day(config: MonitorConfig) -> None:
    text = render_markdown(passing_report(config))
    assert "Next steps" not in text
    golden("validate_daily_ok.md", text)
