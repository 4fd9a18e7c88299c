"""The HTML report draws the thresholds of the rules themselves: no copy of a number
that drifts from alerts.yaml, and no line where no rule sets one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.commands.report_command import report_page
from monitor.config import MonitorConfig, Rule
from monitor.warehouse.duckdb import DuckDBWarehouse

NOW = dt.datetime(2026, 1, 13, 15, tzinfo=dt.UTC)


def _page(demo_path: Path, config: MonitorConfig) -> str:
    warehouse = DuckDBWarehouse(demo_path, read_only=True)
    try:
        return report_page(warehouse, config, dt.date(2026, 1, 12), 14, NOW)[0]
    finally:
        warehouse.close()


def _with_rules(config: MonitorConfig, change: dict[str, dict[str, float | None]]) -> (
        MonitorConfig):
    rules: list[Rule] = [r.model_copy(update=change.get(r.metric, {})) for r in config.rules]
    return config.model_copy(update={"rules": rules})


def test_the_coverage_band_is_the_drop_rules_limit(demo_path: Path,
                                                   config: MonitorConfig) -> None:
    limit = next(r.drop_from_baseline for r in config.rules if r.metric == "vegas_coverage"
                 and r.drop_from_baseline is not None)
    assert f"± {limit * 100:.0f} points" in _page(demo_path, config)
    changed = _with_rules(config, {"vegas_coverage": {"drop_from_baseline": 0.11}})
    assert "± 11 points" in _page(demo_path, changed)


def test_no_drop_rule_no_band(demo_path: Path, config: MonitorConfig) -> None:
    page = _page(demo_path, _with_rules(config, {"vegas_coverage": {
        "drop_from_baseline": None, "below": 0.2}}))
    assert "no drop rule, no band" in page and "± " not in page
