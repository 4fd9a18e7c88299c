"""Optional capabilities are small Protocols that a class declares, never attributes
sniffed with getattr/hasattr: the notifier that takes charts, the warehouse that dry-runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from monitor.cli import main
from monitor.notify.base import ChartUploader
from monitor.notify.console import ConsoleNotifier
from monitor.notify.memory import MemoryNotifier
from monitor.notify.slack import SlackNotifier, SlackWebhookNotifier
from monitor.warehouse.base import DryRunEstimator
from monitor.warehouse.bigquery import BigQueryWarehouse
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.contract import ContractDB

ROOT = Path(__file__).resolve().parent.parent
# Protocol → the method that makes the capability.
CAPABILITIES = {"ChartUploader": "upload_png", "DryRunEstimator": "dry_run_bytes"}


def test_only_the_slack_bot_takes_charts() -> None:
    bot = SlackNotifier(WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/"), "#a")
    hook = SlackWebhookNotifier(WebhookClient("http://127.0.0.1:9/hook"))
    assert isinstance(bot, ChartUploader)
    for notifier in (hook, ConsoleNotifier(), MemoryNotifier()):
        assert not isinstance(notifier, ChartUploader), type(notifier).__name__


def test_only_bigquery_dry_runs(tmp_path: Path) -> None:
    big = BigQueryWarehouse("p", "nba_predictions", endpoint="http://127.0.0.1:9")
    duck = DuckDBWarehouse(tmp_path / "w.duckdb")
    try:
        assert isinstance(big, DryRunEstimator)
        assert not isinstance(duck, DryRunEstimator)
    finally:
        duck.close()
        big.close()


def test_estimate_on_duckdb_says_it_needs_bigquery(db: ContractDB,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db.close()
    assert main(["estimate", "--warehouse", db.url]) == 2
    assert "estimate needs a BigQuery warehouse" in capsys.readouterr().err


def _classes() -> list[tuple[Path, ast.ClassDef]]:
    out = []
    for path in sorted((ROOT / "monitor").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        out += [(path, node) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    return out


def test_every_class_with_a_capability_declares_its_protocol() -> None:
    missing = []
    for path, cls in _classes():
        methods = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
        bases = {b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in cls.bases}
        for protocol, method in CAPABILITIES.items():
            if method in methods and cls.name != protocol and protocol not in bases:
                missing.append(f"{path.relative_to(ROOT)}: class {cls.name}({protocol})")
    assert not missing, "declare the capability: " + "; ".join(missing)


def test_no_capability_is_sniffed() -> None:
    sniffs = []
    for path in sorted((ROOT / "monitor").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr") and len(node.args) > 1
                    and isinstance(node.args[1], ast.Constant)
                    and node.args[1].value in CAPABILITIES.values()):
                sniffs.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not sniffs, "use the capability's Protocol with isinstance: " + ", ".join(sniffs)
