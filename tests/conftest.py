from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import MonitorConfig, load_config
from tests.contract import ContractDB

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def config() -> MonitorConfig:
    return load_config(ROOT / "alerts.yaml")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[ContractDB]:
    contract = ContractDB(tmp_path / "contract.duckdb")
    yield contract
    contract.close()
