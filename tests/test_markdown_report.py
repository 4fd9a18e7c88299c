"""validate-daily --format markdown, pinned by golden files (UPDATE_GOLDEN=1 rewrites)."""

from __future__ import annotations

from monitor.config import MonitorConfig
from monitor.report.markdown import render_markdown
from tests.daily_reports import failing_report, passing_report
from tests.golden_files import assert_golden


def test_markdown_for_failures_has_verdict_table_and_next_steps(config: MonitorConfig) -> None:
    text = render_markdown(failing_report(config))
    assert text.splitlines()[0].startswith("**💥 validate-daily 2026-01-09: ERROR**")
    assert "| feature_defaults | ❌ fail |" in text
    assert "sample too small" in text  # 40 picks at 45%: reported, not failed
    # No settings.runbook_base_url: the relative runbook_url is text, not a link.
    assert "Runbook: `runbooks.md#vegas_line_feature_mismatch`." in text
    assert "feature_values_at_prediction_time --param game_date=2026-01-09" in text
    assert "\\| timeout" in text  # a pipe in data does not break the table
    assert_golden("validate_daily_failing.md", text)


def test_markdown_links_the_runbook_under_the_configured_base(config: MonitorConfig) -> None:
    text = render_markdown(failing_report(config, "https://docs.test/monitor"))
    assert "Runbook: <https://docs.test/monitor/runbooks.md#vegas_line_feature_mismatch>." in text


def test_markdown_for_a_healthy_day(config: MonitorConfig) -> None:
    text = render_markdown(passing_report(config))
    assert "Next steps" not in text
    assert_golden("validate_daily_ok.md", text)
