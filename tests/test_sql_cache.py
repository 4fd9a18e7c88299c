"""DuckDB statements are transpiled once and cached on disk, keyed by everything they
depend on; a warm DuckDB validate-daily never imports sqlglot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import MonitorConfig
from monitor.warehouse import sql_dialect
from monitor.warehouse.sql_dialect import sql_cache_key, to_duckdb, transpile_duckdb

ROOT = Path(__file__).resolve().parent.parent
QUERIES = sorted((ROOT / "queries").rglob("*.sql"))


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "sql"
    to_duckdb.cache_clear()
    yield folder
    to_duckdb.cache_clear()


def test_the_cache_equals_a_fresh_transpile_for_every_query(cache: Path,
                                                            config: MonitorConfig) -> None:
    renames = tuple(sorted(config.table_names().items()))
    assert QUERIES
    for path in QUERIES:
        sql = path.read_text()
        written = to_duckdb(sql, config.dataset, renames, cache=cache)
        on_disk = cache / f"{sql_cache_key(sql, config.dataset, renames)}.json"
        assert json.loads(on_disk.read_text()) == list(written), path.name
        to_duckdb.cache_clear()  # the next call reads the file, as a new process would
        assert to_duckdb(sql, config.dataset, renames, cache=cache) == written \
            == transpile_duckdb(sql, config.dataset, renames), path.name


def test_the_key_covers_text_dataset_and_configured_tables() -> None:
    base = sql_cache_key("SELECT 1 FROM t", "ds", ())
    assert base == sql_cache_key("SELECT 1 FROM t", "ds", ())
    assert len({base, sql_cache_key("SELECT 2 FROM t", "ds", ()),
                sql_cache_key("SELECT 1 FROM t", "other", ()),
                sql_cache_key("SELECT 1 FROM t", "ds", (("t", "league.t"),))}) == 4
    # The sqlglot version and this module's rewrites are part of every key.
    identity = sql_dialect._transpiler_identity()
    assert identity.startswith("sqlglot ") and " rewrites " in identity


def test_a_stale_or_torn_file_is_replaced(cache: Path) -> None:
    sql = "SELECT COUNTIF(x) AS n FROM t"
    to_duckdb(sql, "ds", cache=cache)
    path = cache / f"{sql_cache_key(sql, 'ds', ())}.json"
    path.write_text('["SELECT 1')  # torn write
    to_duckdb.cache_clear()
    assert to_duckdb(sql, "ds", cache=cache) == ("SELECT COALESCE(COUNT_IF(x), 0) AS n FROM ds.t",)
    assert json.loads(path.read_text()) == ["SELECT COALESCE(COUNT_IF(x), 0) AS n FROM ds.t"]


def test_an_unwritable_cache_only_costs_the_transpile(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    to_duckdb.cache_clear()
    assert to_duckdb("SELECT a FROM t", "ds", cache=blocker / "sql") == ("SELECT a FROM ds.t",)
    assert to_duckdb("SELECT b FROM t", "ds", cache=None) == ("SELECT b FROM ds.t",)
    assert not list(tmp_path.rglob("*.json"))
    to_duckdb.cache_clear()


RUN = """
import sys
from monitor.cli import main
code = main(["validate-daily", "--warehouse", sys.argv[1], "--date", "2026-01-12",
             "--format", "json"])
print("SQLGLOT" if any(m.split(".")[0] == "sqlglot" for m in sys.modules) else "NO-SQLGLOT")
print("EXIT", code)
"""


def test_a_warm_validate_daily_on_duckdb_never_imports_sqlglot(demo_path: Path,
                                                               tmp_path: Path) -> None:
    env = {**os.environ, "MONITOR_SQL_CACHE_DIR": str(tmp_path / "sql")}

    def run() -> tuple[str, list[str]]:
        proc = subprocess.run([sys.executable, "-c", RUN, f"duckdb:///{demo_path}"],
                              capture_output=True, text=True, env=env, timeout=300)
        *report, imported, code = proc.stdout.strip().splitlines()
        assert code in ("EXIT 0", "EXIT 1"), proc.stderr
        return imported, report

    cold_imported, cold = run()
    warm_imported, warm = run()
    assert cold_imported == "SQLGLOT"  # the check can fail: a cold run transpiles
    assert warm_imported == "NO-SQLGLOT"
    assert _essence(warm) == _essence(cold)


def _essence(report: list[str]) -> list[tuple[object, ...]]:
    """Statuses and observations; values rounded (DuckDB's parallel sums may differ in
    the last bits from run to run)."""
    checks = json.loads("\n".join(report))["checks"]
    return [(c["name"], c["status"], sorted(
        (o["metric"], sorted(o["labels"].items()), o["sample_size"],
         None if o["value"] is None else round(o["value"], 9)) for o in c["observations"]))
        for c in checks]
