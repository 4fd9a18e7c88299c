"""The backtest's replay cache is invalidated by a change anywhere in the data a check
reads: its window follows the configured windows, not a copy of them."""

from __future__ import annotations

from monitor.config import MonitorConfig


def test_the_replay_cache_watches_every_window_the_config_reads(
        config: MonitorConfig) -> None:
    from monitor.backtest import VERSION_WINDOW_DAYS, version_window_days
    from monitor.cycle import COMMIT_PROVENANCE_DAYS

    assert version_window_days([config]) == max(VERSION_WINDOW_DAYS, COMMIT_PROVENANCE_DAYS)
    settings = config.settings
    longer = config.model_copy(update={"settings": settings.model_copy(update={
        "sequential": settings.sequential.model_copy(update={"history_days": 180})})})
    assert version_window_days([config, longer]) == 180
