"""Access to the SQL files in queries/: the single source of truth for both warehouses."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_PARAM_DECL = re.compile(
    r"@(\w+)\s+(DATE|TIMESTAMP|INT64|FLOAT64|STRING|BOOL|ARRAY<STRING>|ARRAY<DATE>)")


@cache
def queries_dir() -> Path:
    """queries/ of a source checkout, or the copy packaged inside the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "queries", here / "_queries"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("queries/ directory not found next to the monitor package")


@cache
def load_query(name: str) -> str:
    """Text of queries/NAME.sql; NAME may contain a subfolder (investigate/x)."""
    path = queries_dir() / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no query named {name!r} (looked for {path.name} in queries/)")
    return path.read_text(encoding="utf-8")


def query_names(subdir: str = "") -> list[str]:
    base = queries_dir()
    root = base / subdir if subdir else base
    return sorted(
        str(p.relative_to(base).with_suffix("")) for p in root.glob("*.sql") if p.is_file()
    )


def schema_files() -> list[Path]:
    """DDL files in the order they must run (file names start with a sequence number)."""
    return sorted((queries_dir() / "schema").glob("*.sql"))


def declared_params(name: str) -> dict[str, str]:
    """The `-- Params: @name TYPE, ...` header of a query file: name → BigQuery type."""
    header = "\n".join(line for line in load_query(name).splitlines()
                       if line.lstrip().startswith("--"))
    return dict(_PARAM_DECL.findall(header))
