"""validate-daily as Block Kit (the /validate-daily answer in Slack), pinned by golden
files (UPDATE_GOLDEN=1 rewrites them on purpose)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from monitor.config import MonitorConfig
from monitor.model import CheckResult, Status
from monitor.report.blocks import report_blocks
from monitor.validate import DailyReport
from tests.test_markdown_report import NOW, D, failing_report, passing_report

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str, payload: dict[str, Any]) -> None:
    path = GOLDEN / name
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


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
    golden("validate_daily_failing.blocks.json", payload)


def test_next_steps_link_the_runbook_under_the_configured_base(config: MonitorConfig) -> None:
    payload = report_blocks(failing_report(config, "https://docs.test/monitor/"))
    steps = payload["blocks"][-1]["text"]["text"]
    assert "<https://docs.test/monitor/runbooks.md#vegas_line_feature_mismatch|Runbook>" in steps


def test_healthy_day(config: MonitorConfig) -> None:
    payload = report_blocks(passing_report(config))
    assert "OK* — all checks passed" in payload["blocks"][0]["text"]["text"]
    assert all("Next steps" not in json.dumps(b) for b in payload["blocks"])
    golden("validate_daily_ok.blocks.json", payload)


def test_text_from_the_data_is_escaped_and_limits_hold() -> None:
    results = [CheckResult(f"check_{i}", Status.ERROR, "<!channel> & " + "x" * 4000)
               for i in range(60)]
    payload = report_blocks(DailyReport(D, results, NOW))
    assert len(payload["blocks"]) <= 50
    text = json.dumps(payload)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp;" in text
    assert all(len(b["text"]["text"]) <= 3000 for b in payload["blocks"] if "text" in b)
