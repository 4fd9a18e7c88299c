from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import MonitorConfig, load_config
from monitor.demo import build_demo_warehouse
from monitor.demo.options import DemoOptions
from tests.contract import ContractDB
from tests.fakes.slack_server import TOKEN, FakeSlack, start_fake_slack, stop_fake_slack

ROOT = Path(__file__).resolve().parent.parent
# A demo season from opening night (so every commit has its full 21-day baseline)
# long enough for a healthy December and the incident's start.
DEMO_OPTS = DemoOptions(start=dt.date(2025, 10, 21), end=dt.date(2026, 1, 16))

# What a developer's or the deployment's environment must not leak into a test.
LEAKY_ENV = ("SLACK_", "GOOGLE_", "MONITOR_", "CLOUD_RUN_", "K_")
LEAKY_ENV_NAMES = ("BIGQUERY_API_ENDPOINT", "MONITORING_API_ENDPOINT", "PORT",
                   "PUBSUB_EMULATOR_HOST")
# Left behind by the tools themselves, not by the tests.
TOOL_DIRS = (".venv/", ".mypy_cache/", ".ruff_cache/", ".pytest_cache/")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
                 ) -> Path:
    """Every data folder in a temporary one; no Slack, Google Cloud, Cloud Run or
    monitor setting from the caller's environment (subprocesses inherit this)."""
    for key in list(os.environ):
        if key.startswith(LEAKY_ENV) or key in LEAKY_ENV_NAMES:
            monkeypatch.delenv(key)
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("MONITOR_DATA_DIR", str(data))
    monkeypatch.setenv("MONITOR_METRICS_DIR", str(data / "metrics"))
    # Shared by the test run (every xdist worker: the cache writes atomically):
    # transpiled once, like a user's cache between runs.
    monkeypatch.setenv("MONITOR_SQL_CACHE_DIR", str(run_temp(tmp_path_factory) / "sql"))
    return data


def run_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of the whole test run: under pytest-xdist each worker has a
    folder of its own inside it."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _controller(config: pytest.Config) -> bool:
    """The process that runs the session, not one of pytest-xdist's workers."""
    return not hasattr(config, "workerinput")


def _checkout_state() -> dict[str, str] | None:
    """Every changed, untracked or ignored path of the checkout with a digest of its
    content; None outside a git checkout (an unpacked sdist)."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--ignored", "-z"], cwd=ROOT,
                             capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    state: dict[str, str] = {}
    for entry in out.decode().split("\0"):
        path = entry[3:]
        if not path or path.startswith(TOOL_DIRS) or "__pycache__/" in path \
                or path.endswith(".egg-info/"):
            continue
        state[path] = entry[:2] + _digest(ROOT / path)
    return state


def _digest(path: Path) -> str:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    h = hashlib.sha256()
    for f in files:
        if f.exists():
            h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def pytest_sessionstart(session: pytest.Session) -> None:
    if _controller(session.config):
        session.config.stash[_CHECKOUT] = _checkout_state()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Tests never write into the checkout: any path they added or changed fails the run.
    Checked once, by the controller, after every worker has finished."""
    if not _controller(session.config):
        return
    before = session.config.stash.get(_CHECKOUT, None)
    after = _checkout_state()
    if before is None or after is None:
        return
    changed = sorted(p for p in after.keys() | before.keys() if after.get(p) != before.get(p))
    if changed:
        print("\nthe tests changed the checkout (write into tmp_path instead):\n  "
              + "\n  ".join(changed))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_CHECKOUT = pytest.StashKey[dict[str, str] | None]()


class DemoWarehouses:
    """Demo warehouses built once per test run, whichever xdist worker asks first (the
    others wait on a file lock), each worker reading a copy of its own: DuckDB locks a
    database file per process."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.shared = run_temp(tmp_path_factory) / "demo-warehouses"
        self.factory = tmp_path_factory

    def __call__(self, name: str, opts: DemoOptions) -> Path:
        self.shared.mkdir(exist_ok=True)
        key = hashlib.sha256(repr(opts).encode()).hexdigest()[:12]
        built = self.shared / f"{name}-{key}.duckdb"
        with open(built.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not built.exists():  # the build writes a partial file, then renames it
                build_demo_warehouse(built, opts, show_progress=False)
        copy = self.factory.mktemp(name) / f"{name}.duckdb"
        shutil.copyfile(built, copy)
        return copy


@pytest.fixture(scope="session", autouse=True)
def contract_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each kind of empty contract warehouse is built once per test process, then
    copied for every test that asks for one."""
    ContractDB.templates = tmp_path_factory.mktemp("contract-templates")
    yield
    ContractDB.templates = None


@pytest.fixture(scope="session")
def demo_warehouses(tmp_path_factory: pytest.TempPathFactory) -> DemoWarehouses:
    return DemoWarehouses(tmp_path_factory)


@pytest.fixture(scope="session")
def demo_path(demo_warehouses: DemoWarehouses) -> Path:
    """Built once per run; tests that write copy it first."""
    return demo_warehouses("demo", DEMO_OPTS)


@pytest.fixture(scope="session")
def config() -> MonitorConfig:
    return load_config(ROOT / "alerts.yaml")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[ContractDB]:
    contract = ContractDB(tmp_path / "contract.duckdb")
    yield contract
    contract.close()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """The Slack fake on 127.0.0.1 for one test; nothing points at it (see slack_bot)."""
    fake = start_fake_slack()
    yield fake
    stop_fake_slack(fake)


@pytest.fixture
def slack_bot(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeSlack:
    """The Slack fake posted to with a bot token; metrics go to tmp_path, not Cloud
    Monitoring."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_CHANNEL", "#prediction-alerts")
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.setenv("MONITOR_METRICS_DIR", str(tmp_path / "metrics"))
    return slack
