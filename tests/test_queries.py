"""Completeness: every query in queries/ runs on DuckDB and is used by the code."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from monitor.queries import load_query, query_names, schema_files
from tests.contract import ContractDB

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = {
    "BOOL": True,
    "DATE": dt.date(2026, 1, 9),
    "TIMESTAMP": dt.datetime(2026, 1, 10, tzinfo=dt.UTC),
    "INT64": 7,
    "FLOAT64": 3.0,
    "STRING": "catboost_v8",
    "ARRAY<STRING>": ["abc123"],
    "ARRAY<DATE>": [dt.date(2026, 1, 9)],
}
PARAM = re.compile(r"@(\w+)\s+(DATE|TIMESTAMP|INT64|FLOAT64|STRING|BOOL|ARRAY<STRING>|ARRAY<DATE>)")


def declared_params(sql: str) -> dict[str, object]:
    header = "\n".join(line for line in sql.splitlines() if line.startswith("--"))
    return {name: '{"k": 1}' if name.endswith("_json") else SAMPLE[kind]
            for name, kind in PARAM.findall(header)}


def used_params(sql: str) -> set[str]:
    body = "\n".join(line.split("--")[0] for line in sql.splitlines())
    return set(re.findall(r"@(\w+)", body))


@pytest.mark.parametrize("name", query_names() + query_names("investigate"))
def test_query_declares_its_params_and_runs_on_duckdb(name: str, db: ContractDB) -> None:
    sql = load_query(name)
    params = declared_params(sql)
    assert used_params(sql) == set(params), "the -- Params: header must list every @param"
    db.prediction()
    db.graded()
    db.batch()
    db.wh.query(name, params)


def test_every_query_file_is_used_by_the_code() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "monitor").rglob("*.py"))
    unused = [name for name in query_names() if f'"{Path(name).name}"' not in source]
    assert unused == [], f"query files no code runs: {unused}"


def test_every_investigation_query_is_documented() -> None:
    # `prediction-monitor query NAME` runs these by name; users find them in its section
    # of docs/commands.md.
    page = (ROOT / "docs" / "commands.md").read_text()
    section = page.split("\n## `prediction-monitor query`\n", 1)[1].split("\n## ", 1)[0]
    missing = [n for n in query_names("investigate") if f"`{Path(n).name}" not in section]
    assert missing == []


def test_schema_files_are_numbered() -> None:
    assert [p.name[:3].isdigit() for p in schema_files()] == [True] * len(schema_files())
