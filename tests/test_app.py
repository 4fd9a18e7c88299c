"""The composition root: configuration + environment + warehouse URL → adapters, and
the only place in monitor/ that calls the adapter factories."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from monitor.app import App
from monitor.config import MonitorConfig
from monitor.metrics.local_files import JsonlSink, PrometheusTextfileSink
from monitor.notify.base import ChartUploader
from monitor.notify.console import ConsoleNotifier
from monitor.notify.slack import SlackWebhookNotifier
from monitor.rules.lock import WarehouseCycleLock
from monitor.rules.store import MemoryAlertStore, WarehouseAlertStore
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.contract import ContractDB
from tests.fakes.slack_server import TOKEN

ROOT = Path(__file__).resolve().parent.parent
# Configuration → adapter: called from the composition root and nowhere else.
FACTORIES = {"open_warehouse", "notifier_from_env", "sinks_from_env", "WarehouseCycleLock"}
T = dt.datetime(2026, 1, 9, 15, tzinfo=dt.UTC)


def test_the_warehouse_url_is_the_flag_then_the_environment_then_the_demo(
        config: MonitorConfig, tmp_path: Path) -> None:
    env = {"MONITOR_WAREHOUSE": "duckdb:env.duckdb", "MONITOR_DATA_DIR": str(tmp_path)}
    assert App(config, env, "duckdb:flag.duckdb").warehouse_url == "duckdb:flag.duckdb"
    assert App(config, env).warehouse_url == "duckdb:env.duckdb"
    demo = App(config, {"MONITOR_DATA_DIR": str(tmp_path)})
    assert demo.warehouse_url == f"duckdb:///{tmp_path.resolve()}/demo.duckdb"
    assert not demo.names_a_warehouse and App(config, env).names_a_warehouse


def test_the_notifier_follows_the_environment(config: MonitorConfig) -> None:
    bot = App(config, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "#a",
                       "SLACK_API_URL": "http://127.0.0.1:9/api/"}).notifier()
    assert isinstance(bot, ChartUploader)
    hook = App(config, {"SLACK_WEBHOOK_URL": "http://127.0.0.1:9/hook"}).notifier()
    assert isinstance(hook, SlackWebhookNotifier)
    assert isinstance(App(config, {}).notifier(), ConsoleNotifier)


def test_metric_sinks_without_google_cloud_are_the_local_files(config: MonitorConfig,
                                                               tmp_path: Path) -> None:
    sinks = App(config, {"MONITOR_METRICS_DIR": str(tmp_path / "m")}).metric_sinks()
    assert [type(s) for s in sinks] == [JsonlSink, PrometheusTextfileSink]
    assert [s.path for s in sinks] == [tmp_path / "m" / "metrics.jsonl",
                                       tmp_path / "m" / "prediction_monitor.prom"]


def test_store_and_lock_of_a_run_and_of_a_dry_run(config: MonitorConfig,
                                                  db: ContractDB) -> None:
    app = App(config, {}, db.url)
    warehouse = app.open_warehouse()
    try:
        assert isinstance(warehouse, DuckDBWarehouse)
        assert isinstance(app.alert_store(warehouse, dry_run=False, as_of=T),
                          WarehouseAlertStore)
        dry = app.alert_store(warehouse, dry_run=True, as_of=T)
        assert isinstance(dry, MemoryAlertStore) and dry.events == []
        assert isinstance(app.cycle_lock(warehouse, "r1"), WarehouseCycleLock)
    finally:
        warehouse.close()


def test_only_the_composition_root_calls_the_adapter_factories() -> None:
    calls = []
    for path in sorted((ROOT / "monitor").rglob("*.py")):
        rel = path.relative_to(ROOT)
        # The worker's gate has no App: `blocked_commits(url)` opens its warehouse.
        if rel in (Path("monitor/app.py"), Path("monitor/gate.py")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            # The factories are imported by name; `app.open_warehouse()` is the root's.
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in FACTORIES:
                calls.append(f"{rel}:{node.lineno} {node.func.id}")
    assert calls == [], "build adapters in monitor/app.py: " + ", ".join(calls)



def test_the_sql_cache_folder_and_the_release_come_from_the_environment(
        config: MonitorConfig, tmp_path: Path) -> None:
    assert App(config, {"MONITOR_SQL_CACHE_DIR": str(tmp_path)}).sql_cache_dir == tmp_path
    assert App(config, {"MONITOR_SQL_CACHE_DIR": "off"}).sql_cache_dir is None
    assert App(config, {"XDG_CACHE_HOME": str(tmp_path)}).sql_cache_dir == \
        tmp_path / "prediction-monitor" / "sql"
    assert App(config, {}).sql_cache_dir == Path.home() / ".cache" / "prediction-monitor" / "sql"
    from monitor import __version__

    assert App(config, {}).release == __version__
    assert App(config, {"BUILD_COMMIT": " ea88e526f00d1234 "}).release == \
        f"{__version__}+ea88e526f00d"


def test_only_the_app_and_the_worker_side_read_the_process_environment() -> None:
    """Everything else gets its settings passed in, from the App a command built."""
    allowed = {Path("monitor/app.py"), Path("monitor/events/publisher.py")}
    readers = []
    for path in sorted((ROOT / "monitor").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel in allowed or rel.parts[:2] == ("monitor", "provenance"):
            continue
        text = path.read_text()
        for needle in ("os.environ", "getenv", "expanduser"):
            if needle in text:
                readers.append(f"{rel}: {needle}")
    assert readers == [], "take it from the App (monitor/app.py): " + ", ".join(readers)


def test_one_reading_of_a_warehouse_url(tmp_path: Path) -> None:
    from monitor.warehouse import (
        BigQueryDataset,
        DuckDBFile,
        WarehouseURLError,
        parse_warehouse_url,
        warehouse_url_problem,
    )

    assert parse_warehouse_url("duckdb:///a/b.duckdb") == DuckDBFile(Path("/a/b.duckdb"))
    assert parse_warehouse_url("duckdb:b.duckdb") == DuckDBFile(Path("b.duckdb"))
    assert parse_warehouse_url("bigquery://p/ds") == BigQueryDataset("p", "ds")
    for bad in ("duckdb://host/x.duckdb", "bigquery://p", "bigquery://p/a/b", "postgres://x"):
        try:
            parse_warehouse_url(bad)
        except WarehouseURLError as exc:
            assert warehouse_url_problem(bad) == str(exc)
        else:
            raise AssertionError(f"{bad} parsed")
    missing = tmp_path / "absent.duckdb"
    assert warehouse_url_problem(f"duckdb://{missing}") == \
        f"DuckDB warehouse {missing} does not exist"
    assert warehouse_url_problem(f"duckdb://{missing}", must_exist=False) is None
