"""The batch gate: the feature-default rules of alerts.yaml applied to a batch the
prediction worker is about to write, so a broken batch is blocked before anyone bets
on it instead of alerted an hour later.

Imported by the worker, so it is as light as monitor.provenance: nothing heavy at
module level, no warehouse client, no pandas (a DataFrame is taken by duck typing).
The configuration (pydantic, yaml) loads on the first call, from the alerts.yaml the
commands find, unless one is passed.

    from monitor.gate import check_batch

    verdict = check_batch(frame)        # a DataFrame or dicts with line_value, critical_features
    if verdict.blocked:
        return batch.block(verdict)     # logged 'blocked' with the reasons; rows not written

The rows are counted exactly as queries/feature_defaults.sql counts a (system, game
date, commit) group — present, missing, wrong JSON type, at the sentinel, out of range,
line/flag mismatch, malformed rows — into the same row that query returns; the
feature_defaults check turns it into observations and the configured rules judge them
(their thresholds, min_sample and interval evidence). A critical rule that fires
blocks; a warning is a reason that lets the batch pass.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.config import CriticalFeature, MonitorConfig
    from monitor.model import Finding

# Fewer rows than this say nothing about a batch: it passes, and says why.
MIN_ROWS = 10
# Like the query: a predicted_at this far past the clock is in the future.
FUTURE_SLACK = dt.timedelta(minutes=5)
# What SAFE_CAST(... AS FLOAT64) reads as a number (Python's float() also takes "1_0").
_NUMERIC = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_config: MonitorConfig | None = None


@dataclass(frozen=True)
class GateReason:
    """Why a batch is blocked (a critical rule fired), or a note that lets it pass (a
    warning, or a batch too small to judge)."""

    rule: str
    severity: str  # critical blocks; warning and info do not
    metric: str
    feature: str | None
    share: float | None  # the observed share; None for counts
    n: int
    interval: tuple[float, float] | None
    message: str

    @property
    def blocking(self) -> bool:
        return self.severity == "critical"

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "metric": self.metric,
                "feature": self.feature, "share": self.share, "n": self.n,
                "interval": list(self.interval) if self.interval else None,
                "message": self.message}


@dataclass(frozen=True)
class GateVerdict:
    blocked: bool
    reasons: tuple[GateReason, ...]
    rows: int

    @property
    def message(self) -> str:
        """The reasons in one line, blocking ones first: what the execution log keeps."""
        ordered = sorted(self.reasons, key=lambda r: not r.blocking)
        head = "blocked by the batch gate: " if self.blocked else ""
        return head + "; ".join(r.message for r in ordered) if ordered else "pass"

    def to_json(self) -> dict[str, Any]:
        return {"blocked": self.blocked, "rows": self.rows,
                "reasons": [r.to_json() for r in self.reasons]}


def verdict_of(findings: Iterable[Finding], rows: int) -> GateVerdict:
    """The firing findings of rules on one batch → its verdict."""
    from monitor.checks.feature_defaults import SEED_METRICS
    from monitor.report.format import RATE_METRICS, format_interval, format_value
    from monitor.rules.evaluate import FIRING

    seed_feature = {metric: key for key, metric in SEED_METRICS.items()}
    reasons = []
    for f in findings:
        if f.state != FIRING:
            continue
        obs = f.observation
        feature = obs.label("feature") or seed_feature.get(obs.metric)
        facts = ", ".join(x for x in (f"n={obs.sample_size}",
                                      format_interval(obs.metric, obs.interval)) if x)
        subject = f"{feature} {obs.metric}" if feature else obs.metric
        # An observation may say in words what its number means (a batch's provenance).
        why = dict(obs.context).get("why")
        reasons.append(GateReason(
            f.rule, f.severity, obs.metric, feature,
            obs.value if obs.metric in RATE_METRICS else None, obs.sample_size, obs.interval,
            f"{f.rule}: {why}" if why else
            f"{f.rule}: {subject} {format_value(obs.metric, obs.value)} ({facts}) — {f.reason}"))
    reasons.sort(key=lambda r: (not r.blocking, r.rule, r.feature or ""))
    return GateVerdict(any(r.blocking for r in reasons), tuple(reasons), rows)


def too_small(rows: int) -> GateVerdict:
    return GateVerdict(False, (GateReason(
        "min_rows", "info", "feature_rows", None, None, rows, None,
        f"too small to judge: {rows} rows < {MIN_ROWS}"),), rows)


def check_batch(rows: Any, *, config: MonitorConfig | None = None) -> GateVerdict:
    """Judge the batch about to be written: a pandas DataFrame (taken through its
    `to_dict("records")`) or an iterable of mappings with `line_value` and
    `critical_features` (JSON text or a mapping); `prediction_id`, `system_id`,
    `game_date`, `build_commit_sha` and `predicted_at` are used when present."""
    from monitor.checks.feature_defaults import FeatureDefaults
    from monitor.rules.evaluate import evaluate_check

    records = _records(rows)
    if len(records) < MIN_ROWS:
        return too_small(len(records))
    config = config or default_config()
    features = config.features
    check = FeatureDefaults()
    observations = check.observe(feature_defaults_row(records, features), features)
    result = evaluate_check(check.name, check.metrics, observations,
                            config.rules_for(set(check.metrics)), "no rows")
    return verdict_of(result.findings, len(records))


def default_config() -> MonitorConfig:
    """alerts.yaml as the commands find it, loaded once, on first use."""
    global _config
    if _config is None:
        from monitor.config import load_config

        _config = load_config()
    return _config


def _records(rows: Any) -> list[Mapping[str, Any]]:
    if hasattr(rows, "to_dict") and not isinstance(rows, Mapping):
        return list(rows.to_dict("records"))  # a DataFrame, without importing pandas
    return list(rows)


# --- counting, as queries/feature_defaults.sql counts ------------------------------------

def _number(value: Any) -> float | None:
    """A SQL FLOAT64 cell: None for NULL (and pandas' NA)."""
    if value is None or isinstance(value, bool | str):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _parsed(value: Any) -> tuple[str | None, Any]:
    """(JSON_TYPE of the critical_features cell, its parsed value): None for SQL NULL,
    'null', 'object', 'malformed', or another JSON type."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, None
    if isinstance(value, Mapping):
        return "object", value
    if isinstance(value, bytes | bytearray):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return ("array" if isinstance(value, list | tuple) else "malformed"), value
    try:
        # NaN and Infinity parse (as DuckDB's reader takes them) and are not finite: a
        # member holding one is of the wrong type, as in the query.
        parsed = json.loads(value)
    except ValueError:
        return "malformed", None
    if parsed is None:
        return "null", None
    return ("object" if isinstance(parsed, dict) else type(parsed).__name__), parsed


def _feature_value(obj: Mapping[str, Any], key: str) -> tuple[str | None, float | None]:
    """(JSON type of the member, its value as SAFE_CAST(JSON_VALUE(...) AS FLOAT64))."""
    if key not in obj:
        return None, None
    value = obj[key]
    if value is None:
        return "null", None
    if isinstance(value, bool) or not isinstance(value, numbers.Real | str):
        return "other", None  # a boolean, an object, an array: not a number
    if isinstance(value, str):
        return "string", float(value) if _NUMERIC.match(value) else None
    try:
        return "number", float(value)
    except OverflowError:  # an integer past any float: not a finite number
        return "number", math.inf


def _one(values: Iterable[Any]) -> str:
    distinct = sorted({"" if v is None else str(v) for v in values})
    return ",".join(distinct)


def _commit(value: Any) -> str:
    text = "" if value is None else str(value)
    return "unknown" if text in ("", "unknown") else text


def _latest_copies(records: Sequence[Mapping[str, Any]]) -> tuple[
        list[Mapping[str, Any]], int]:
    """One row per (system_id, prediction_id), the latest predicted_at winning, and
    how many extra copies there were. Rows without an id are each their own."""
    kept: dict[Any, tuple[int, Mapping[str, Any]]] = {}
    for i, r in enumerate(records):
        pid = r.get("prediction_id")
        key = (r.get("system_id"), pid) if pid is not None else ("", i)
        at = r.get("predicted_at")
        if key in kept:
            prev = kept[key][1].get("predicted_at")
            if at is None or (prev is not None and at <= prev):
                continue
        kept[key] = (i, r)
    rows = [r for _, r in sorted(kept.values(), key=lambda x: x[0])]
    return rows, len(records) - len(rows)


def feature_defaults_row(records: Sequence[Mapping[str, Any]],
                         features: Sequence[CriticalFeature],
                         now: dt.datetime | None = None) -> dict[str, Any]:
    """The row queries/feature_defaults.sql returns for these rows as one group."""
    rows, duplicates = _latest_copies(records)
    future_after = (now or dt.datetime.now(dt.UTC)) + FUTURE_SLACK
    out: dict[str, Any] = {
        "system_id": _one(r.get("system_id") for r in rows),
        "game_date": _one(r.get("game_date") for r in rows),
        "build_commit_sha": _one(_commit(r.get("build_commit_sha")) for r in rows),
        "deployment_revision": max((str(r["deployment_revision"]) for r in rows
                                    if r.get("deployment_revision") is not None), default=None),
        "feature_rows": len(rows), "features_absent": 0, "features_null": 0,
        "features_malformed": 0, "features_incomplete": 0, "invalid_rows": 0,
        "duplicate_rows": duplicates, "future_rows": 0,
    }
    for i in range(len(features)):
        for name in ("present", "wrong_type", "eligible", "at_sentinel", "out_of_range"):
            out[f"f{i}_{name}"] = 0
    # (NaT, pandas' missing timestamp, is a datetime that equals nothing)
    stamps = [r["predicted_at"] for r in rows if isinstance(r.get("predicted_at"), dt.datetime)
              and r["predicted_at"] == r["predicted_at"]]
    out["first_predicted_at"] = min(stamps, default=None)
    out["last_predicted_at"] = max(stamps, default=None)
    out["future_rows"] = sum(1 for s in stamps if s.tzinfo is not None and s > future_after)
    for r in rows:
        line = _number(r.get("line_value"))
        if line is not None and not math.isfinite(line):
            out["invalid_rows"] += 1
            line = None
        kind, obj = _parsed(r.get("critical_features"))
        wrong_row = lacks_key = False
        for i, f in enumerate(features):
            member, value = _feature_value(obj, f.key) if kind == "object" else (None, None)
            lacks_key |= member is None
            if member is None or member == "null":
                continue
            if value is None or not math.isfinite(value):
                wrong_row = True
                out[f"f{i}_wrong_type"] += 1
                continue
            out[f"f{i}_present"] += 1
            if f.range is not None and not f.range[0] <= value <= f.range[1]:
                out[f"f{i}_out_of_range"] += 1
            if f.when == "line_present" and line is None:
                continue
            out[f"f{i}_eligible"] += 1
            if f.sentinel is not None and abs(value - f.sentinel) < 0.000001:
                out[f"f{i}_at_sentinel"] += 1
        if kind is None:
            out["features_absent"] += 1
        elif kind == "null":
            out["features_null"] += 1
        elif kind != "object" or wrong_row:
            out["features_malformed"] += 1
        elif lacks_key:
            out["features_incomplete"] += 1
    return out


__all__ = ["MIN_ROWS", "GateReason", "GateVerdict", "check_batch", "default_config",
           "feature_defaults_row", "too_small", "verdict_of"]
