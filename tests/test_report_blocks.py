"""validate-daily as Block Kit (the /validate-daily answer in Slack), pinned by golden
files (UPDATE_GOLDEN=1 rewrites them on purpose)."""

from __future__ import annotations

import json

from monitor.config import MonitorConfig
from monitor.model import CheckResult, Status
from monitor.report.blocks import report_blocks
from monitor.validate import DailyReport
from tests.daily_reports import NOW, D, failing_report, passing_report
from tests.golden_files import assert_golden, golden_json


def test_failing_day_names_the_commit_with_a_row_per_check_and_next_steps(
        config: MonitorConfig) -> None:
    payload = report_blocks(failing_report(config))
    verdict = payload["blocks"][0]["text"]["text"]
    assert "ERROR" in verdict and "feature_defaults fail (commit `0b5e11ad`)" in verdict
    rows = [b["text"]["text"] for b in payload["blocks"][2:6]]
    assert [r.split("*")[1] for r in rows] == ["feature_defaults", "hit_rate_by_commit",
                                                "freshness", "vegas_coverage_trend"]
    steps = payload["blocks"][-1]["text"]["text"]
    assert steps.startswith("*Next steps*") and steps.count("\n•") == 3
    assert "Runbook: `runbooks.md#vegas_line_feature_mismatch`" in steps  # no base: text
    assert "|Runbook>" not in steps
    assert_golden("validate_daily_failing.blocks.json", golden_json(payload))


def test_next_steps_link_the_runbook_under_the_configured_base(config: MonitorConfig) -> None:
    payload = report_blocks(failing_report(config, "https://docs.test/monitor/"))
    steps = payload["blocks"][-1]["text"]["text"]
    assert "<https://docs.test/monitor/runbooks.md#vegas_line_feature_mismatch|Runbook>" in steps


def test_healthy_day(config: MonitorConfig) -> None:
    payload = report_blocks(passing_report(config))
    assert "OK* — all checks passed" in payload["blocks"][0]["text"]["text"]
    assert all("Next steps" not in json.dumps(b) for b in payload["blocks"])
    assert_golden("validate_daily_ok.blocks.json", golden_json(payload))


def test_text_from_the_data_is_escaped_and_limits_hold() -> None:
    results = [CheckResult(f"check_{i}", Status.ERROR, "<!channel> & " + "x" * 4000)
               for i in range(60)]
    payload = report_blocks(DailyReport(D, results, NOW))
    assert len(payload["blocks"]) <= 50
    text = json.dumps(payload)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp;" in text
    assert all(len(b["text"]["text"]) <= 3000 for b in payload["blocks"] if "text" in b)
