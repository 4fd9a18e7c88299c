"""Each default has one home, monitor/config.py: the settings reference (docs/configuration.md)
lists every key with that default, and the shipped alerts.yaml gives only what it changes."""

from __future__ import annotations

import datetime as dt
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

from monitor.config import MonitorConfig, load_config

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()
# Lists of entries without defaults, each with a section of its own in that page.
DOCUMENTED_ELSEWHERE = {"rules", "critical_features", "inhibit_rules"}


def defaults(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, default) of every setting, nested blocks walked; an optional block
    (default None) is a key of its own, then its keys with their defaults."""
    for name, field in model.model_fields.items():
        key = prefix + name
        if key in DOCUMENTED_ELSEWHERE:
            continue
        ann = field.annotation
        options = get_args(ann) if get_origin(ann) in (Union, types.UnionType) else (ann,)
        nested = [t for t in options if isinstance(t, type) and issubclass(t, BaseModel)]
        if nested:
            if field.default is None:
                yield key, None
            yield from defaults(nested[0], key + ".")
        else:
            yield key, field.default


def spelled(value: Any) -> str:
    """A default as the table writes it: YAML in backticks, or none (the key unset)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dt.timedelta):  # a duration as alerts.yaml writes one
        return f"`{int(value.total_seconds() // 60)}m`"
    if isinstance(value, dt.time):  # quoted: YAML 1.1 reads 11:00 as a number
        return f'`"{value:%H:%M}"`'
    if isinstance(value, str):
        return f"`{value}`" if re.fullmatch(r"[\w./]+", value) else f'`"{value}"`'
    if isinstance(value, list):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    if isinstance(value, int | float):
        return f"`{value!r}`"
    raise TypeError(f"spelled() cannot write a default of type {type(value).__name__}")


def reference_table() -> dict[str, tuple[str, str]]:
    section = CONFIGURATION.split("\n## Settings reference\n", 1)[1].split("\n#", 1)[0]
    rows = re.finditer(r"^\| `(?P<key>[a-z0-9_.]+)` \| (?P<default>[^|]+) \| (?P<what>.*) \|$",
                       section, re.MULTILINE)
    return {m["key"]: (m["default"], m["what"].strip()) for m in rows}


def test_the_defaults_walk_finds_nested_and_optional_blocks() -> None:
    found = dict(defaults(MonitorConfig))
    assert found["settings.sequential.false_alarm_rate"] == 0.001
    assert found["calendar"] is None and found["calendar.table"] == "game_schedule"
    assert "rules" not in found and "settings.sequential" not in found
    assert [spelled(v) for v in (None, False, dt.time(11), "15 * * * *", [7, 28], 20.0)] == [
        "none", "`false`", '`"11:00"`', '`"15 * * * *"`', "`[7, 28]`", "`20.0`"]


def test_every_setting_is_in_the_reference_with_its_default_from_config_py() -> None:
    table = reference_table()
    expected = {key: spelled(value) for key, value in defaults(MonitorConfig)}
    to_add = [f"| `{key}` | {default} | <what it does> |" for key, default in expected.items()
              if table.get(key, ("", ""))[0] != default]
    assert to_add == [], ("add (or correct) in the settings reference of docs/configuration.md, "
                          "default from monitor/config.py:\n" + "\n".join(to_add))
    assert sorted(set(table) - set(expected)) == [], "the reference lists keys config.py lacks"
    assert [key for key, (_, what) in table.items() if not what] == []


def leaves(data: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in data.items():
        if isinstance(value, dict):
            yield from leaves(value, f"{prefix}{key}.")
        else:
            yield prefix + key


def value_at(config: MonitorConfig, key: str) -> Any:
    value: Any = config
    for part in key.split("."):
        value = getattr(value, part)
    return value


# Given in the shipped file although equal to the default, on purpose: the file format's
# version and the names a deployment gives (dataset, calendar table).
KEPT_REPEATS = ["version", "dataset", "calendar.table"]


def test_the_shipped_settings_block_gives_only_what_differs_from_a_default() -> None:
    raw = yaml.safe_load((ROOT / "alerts.yaml").read_text())
    config = load_config(ROOT / "alerts.yaml")
    default = dict(defaults(MonitorConfig))
    given = [k for k in leaves({k: v for k, v in raw.items() if k not in DOCUMENTED_ELSEWHERE})]
    assert "settings.freshness.expected_batch_before_tipoff" in given
    repeated = [k for k in given if value_at(config, k) == default[k]]
    assert [k for k in repeated if k not in KEPT_REPEATS] == [], (
        "alerts.yaml repeats the default of monitor/config.py: remove these keys")
    assert repeated == KEPT_REPEATS  # one no longer repeated: take it off the list


# The shipped file's values as they were when its settings block still spelled out every
# default: the detection benchmark and the tests rely on them, so a change to a default
# in config.py that moves one fails here, not silently.
SHIPPED = {
    "version": 1,
    "dataset": "nba_predictions",
    "settings": {
        "edge_threshold": 3.0, "hit_rate_windows_days": [7, 28], "coverage_baseline_days": 7,
        "edge_baseline_days": 14, "edge_baseline_min_rows": 200,
        "prediction_lookback_days": 3, "execution_lookback_days": 2, "sentinels": None,
        "sequential": {
            "false_alarm_rate": 0.001, "mae_shift": 0.15, "edge_loss": 1.0,
            "max_day_share": 0.6, "baseline_days": 21, "min_baseline_graded": 2000,
            "min_baseline_picks": 800, "baseline_picks": 1600, "serving_days": 3,
            "recent_days": 10,
            "history_days": 60, "baseline_max_days": 90},
        "pick_agreement": {"reference_games": 10, "min_reference_games": 3,
                           "reference_days": 45},
        "freshness": {
            "expected_batch_by": dt.time(11, 0),
            "expected_batch_before_tipoff": dt.timedelta(hours=2),
            "grading_lag_days": 2, "grading_settle": dt.timedelta(minutes=90),
            "grading_deadline": dt.time(14, 0), "lookback_days": 7},
        "provenance": {
            "history_days": 45, "recent_days": 3, "shift_days": 14, "shift_slate_days": 3,
            "shift_reference_days": 7, "shift_min_players": 200},
        "runbook_base_url": None,
        "report_url": None,
    },
    "bigquery": {
        "location": "US", "maximum_bytes_billed": 21474836480, "job_timeout_seconds": 120.0,
        "price_per_tib_usd": 6.25, "auto_migrate": False},
    "cloud_monitoring": {"retry_deadline_seconds": 20.0},
    "slack": {"max_retry_after_seconds": 30.0},
    "slack_app": {"allowed_users": [], "allowed_usergroup": None},
    "schedule": {
        "cycle": "15 * * * *", "validate_daily": "0 10 * * *", "timezone": "America/New_York",
        "misfire_grace_seconds": 600},
    "calendar": {"table": "game_schedule"},
    "incident": {"repeat_interval": dt.timedelta(hours=24),
                 "reopen_within": dt.timedelta(hours=48)},
}


def test_the_shipped_alerts_yaml_loads_to_the_values_it_always_had() -> None:
    config = load_config(ROOT / "alerts.yaml")
    assert config.model_dump(exclude=DOCUMENTED_ELSEWHERE) == SHIPPED
