from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import MonitorConfig, load_config
from monitor.demo import build_demo_warehouse
from monitor.demo.generator import DemoOptions
from tests.contract import ContractDB
from tests.fakes.slack_server import TOKEN, FakeSlack, start_fake_slack, stop_fake_slack

ROOT = Path(__file__).resolve().parent.parent
# A demo season from opening night (so every commit has its full 21-day baseline)
# long enough for a healthy December and the incident's start.
DEMO_OPTS = DemoOptions(start=dt.date(2025, 10, 21), end=dt.date(2026, 1, 16))


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per session; tests that write copy it first."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo_warehouse(path, DEMO_OPTS, show_progress=False)
    return path


@pytest.fixture(scope="session")
def config() -> MonitorConfig:
    return load_config(ROOT / "alerts.yaml")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[ContractDB]:
    contract = ContractDB(tmp_path / "contract.duckdb")
    yield contract
    contract.close()


@pytest.fixture
def slack_bot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeSlack]:
    """A Slack fake posted to with a bot token; metrics go to tmp_path, not Cloud
    Monitoring."""
    fake = start_fake_slack()
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_CHANNEL", "#prediction-alerts")
    monkeypatch.setenv("SLACK_API_URL", fake.base_url)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.setenv("MONITOR_METRICS_DIR", str(tmp_path / "metrics"))
    yield fake
    stop_fake_slack(fake)
