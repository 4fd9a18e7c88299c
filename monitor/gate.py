"""The batch gate: the feature-default rules of alerts.yaml applied to a batch the
prediction worker is about to write, so a broken batch is blocked before anyone bets
on it instead of alerted an hour later.

Imported by the worker, so it is as light as monitor.provenance: nothing heavy at
module level, no warehouse client, no pandas (a DataFrame is taken by duck typing).
The configuration (pydantic, yaml) loads on the first call, unless one is passed: the
file the commands read without --config — ./alerts.yaml in the worker's working
directory, else the packaged one. A worker whose directory holds another alerts.yaml
passes its own: check_batch(rows, config=load_config(path)).

    from monitor.gate import check_batch

    verdict = check_batch(frame)        # a DataFrame or dicts with line_value, critical_features
    if verdict.blocked:
        return batch.block(verdict)     # logged 'blocked' with the reasons; rows not written

Rows of the wrong shape (no line_value or critical_features, a row that is not a
mapping, a predicted_at that is not a datetime, ...) raise GateInputError: a worker bug
must be loud, never a batch judged on nothing (inside a BatchRecorder the batch is
logged 'failed' with the error).

The rows are counted exactly as queries/feature_defaults.sql counts a (system, game
date, commit) group — present, missing, wrong JSON type, at the sentinel, out of range,
line/flag mismatch, malformed rows — into the same row that query returns; the
feature_defaults check turns it into observations and the configured rules judge them
(their thresholds, min_sample and interval evidence). A critical rule that fires
blocks; a warning is a reason that lets the batch pass; a rule whose sample is under its
min_sample says so (info) and passes. Beside them the gate has two rules of its own, at
any size (gate_rules): most rows holding no critical feature, and copies of a
prediction_id (more copies than predictions blocks, any copy warns).

A commit someone blocked (`prediction-monitor block-commit`) blocks every batch of
it, whatever its rows. The gate has no warehouse: the
worker reads the blocks in force once (a lazy import, opening the warehouse read-only)
and hands them over:

    blocks = blocked_commits(warehouse_url)           # {sha: CommitBlock}, or a set of shas
    verdict = check_batch(frame, blocked_commits=blocks)
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numbers
import re
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.model import commit_label

if TYPE_CHECKING:
    from monitor.config import CriticalFeature, MonitorConfig, Rule
    from monitor.model import Finding
    from monitor.rules.blocks import CommitBlock

# The commits no batch may be published from: shas, or sha → CommitBlock (who, when, why).
BlockedCommits = Collection[str] | Mapping[str, "CommitBlock"]

# Fewer distinct predictions than this say nothing about a batch: it passes, and says why.
MIN_ROWS = 10
# Without these columns a rule would silently judge nothing: a worker bug, said loudly.
REQUIRED_COLUMNS = ("line_value", "critical_features")
# Like the query: a predicted_at this far past the clock is in the future.
FUTURE_SLACK = dt.timedelta(minutes=5)
# What SAFE_CAST(... AS FLOAT64) reads as a number (Python's float() also takes "1_0").
_NUMERIC = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_config: MonitorConfig | None = None


class GateInputError(ValueError):
    """The rows handed to the gate are not a batch of prediction rows: a column missing,
    a row that is not a mapping, a prediction_id or predicted_at of the wrong type. A bug
    in the worker: raised, never a batch judged on nothing."""


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


def verdict_of(findings: Iterable[Finding], rows: int,
               rules: Sequence[Rule] = ()) -> GateVerdict:
    """The findings of rules on one batch → its verdict: each firing rule a reason, and
    each rule that could not judge (its sample under min_sample) an info reason, so a
    batch too small for a rule never passes in silence."""
    from monitor.metrics.format import RATE_METRICS, format_interval, format_value
    from monitor.metrics.registry import SEED_METRICS
    from monitor.rules.evaluate import FIRING, INSUFFICIENT, NO_VALUE

    seed_feature = {metric: key for key, metric in SEED_METRICS.items()}
    min_sample = {r.name: r.min_sample for r in rules}
    reasons = []
    for f in findings:
        if f.state not in (FIRING, INSUFFICIENT, NO_VALUE):
            continue
        obs = f.observation
        feature = obs.label("feature") or seed_feature.get(obs.metric)
        subject = f"{feature} {obs.metric}" if feature else obs.metric
        if f.state != FIRING:
            needed = min_sample.get(f.rule, 0)
            short = (f"n={obs.sample_size} < min_sample {needed}"
                     if obs.sample_size < needed else f.reason)
            reasons.append(GateReason(
                f.rule, "info", obs.metric, feature, None, obs.sample_size, obs.interval,
                f"{f.rule}: {subject} not judged: {short}"))
            continue
        facts = ", ".join(x for x in (f"n={obs.sample_size}",
                                      format_interval(obs.metric, obs.interval)) if x)
        # An observation may say in words what its number means (a batch's provenance).
        why = dict(obs.context).get("why")
        reasons.append(GateReason(
            f.rule, f.severity, obs.metric, feature,
            obs.value if obs.metric in RATE_METRICS else None, obs.sample_size, obs.interval,
            f"{f.rule}: {why}" if why else
            f"{f.rule}: {subject} {format_value(obs.metric, obs.value)} ({facts}) — {f.reason}"))
    reasons.sort(key=lambda r: (not r.blocking, r.rule, r.feature or ""))
    return GateVerdict(any(r.blocking for r in reasons), tuple(reasons), rows)


def too_small(rows: int, n: int) -> GateVerdict:
    """The verdict on a batch of fewer than MIN_ROWS (`n`) distinct predictions, of `rows`
    rows handed over, copies of a prediction_id included."""
    copies = f" ({rows - n} more rows were copies of a prediction_id)" if rows > n else ""
    return GateVerdict(False, (GateReason(
        "min_rows", "info", "feature_rows", None, None, n, None,
        f"too small to judge: {n} rows < {MIN_ROWS}{copies}"),), rows)


def check_batch(rows: Any, *, config: MonitorConfig | None = None,
                blocked_commits: BlockedCommits | None = None) -> GateVerdict:
    """Judge the batch about to be written: a pandas DataFrame (taken through its
    `to_dict("records")`) or an iterable of mappings with `line_value` and
    `critical_features` (JSON text or a mapping); `prediction_id`, `system_id`,
    `game_date`, `build_commit_sha` and `predicted_at` are used when present.
    `blocked_commits` (a set of shas, or the mapping `blocked_commits()` returns): each
    distinct build_commit_sha of the rows found there blocks, naming the commit (and
    who blocked it, when and why, when the mapping says).
    Raises GateInputError when the rows are not of that shape."""
    from monitor.checks.feature_defaults import FeatureDefaults
    from monitor.rules.evaluate import evaluate_check

    records = _records(rows)
    distinct, duplicates = _latest_copies(records)
    config = config or default_config()
    features = config.features
    commits: dict[str, int] = {}
    for r in records:
        sha = r.get("build_commit_sha")
        commit = commit_label(None if _missing(sha) else sha)
        commits[commit] = commits.get(commit, 0) + 1
    built_in = [*commit_block_reasons(commits, blocked_commits),
                *gate_rules(distinct, duplicates, features)]
    # Copies of one prediction are one row to the query: they must not make a batch
    # look big enough to judge.
    if len(distinct) < MIN_ROWS:
        verdict = too_small(len(records), len(distinct))
    else:
        check = FeatureDefaults()
        observations = check.observe(_counted(distinct, duplicates, features), features)
        rules = config.rules_for(set(check.metrics))
        result = evaluate_check(check.name, check.metrics, observations, rules, "no rows")
        verdict = verdict_of(result.findings, len(records), rules)
    if not built_in:
        return verdict
    reasons = sorted((*built_in, *verdict.reasons), key=lambda r: not r.blocking)
    return GateVerdict(any(r.blocking for r in reasons), tuple(reasons), len(records))


# --- blocked commits -----------------------------------------------------------------

COMMIT_BLOCKED = "commit_blocked"


def blocked_commit(commit: str, blocked: BlockedCommits | None) -> tuple[str, Any] | None:
    """(the blocked sha, its CommitBlock or None) when `commit` is one of `blocked`
    (full and abbreviated shas of one commit match), else None. `unknown` is no commit."""
    if isinstance(blocked, str | bytes):
        raise GateInputError("blocked_commits takes a set of shas or a mapping sha → "
                             f"CommitBlock, not {_kind(blocked)}")
    if not blocked or commit_label(commit) == "unknown":
        return None
    from monitor.provenance.identity import same_commit

    if commit in blocked:
        return commit, blocked[commit] if isinstance(blocked, Mapping) else None
    for sha in sorted(blocked):
        if same_commit(commit, sha):
            return sha, blocked[sha] if isinstance(blocked, Mapping) else None
    return None


def block_message(commit: str, block: Any = None) -> str:
    """Why a batch of a blocked commit is blocked: the commit, and who blocked it, when
    and why when known (a CommitBlock, taken by its attributes)."""
    head = f"{COMMIT_BLOCKED}: commit {commit} is blocked"
    if block is None:
        return f"{head} (in the blocked commits given to the gate)"
    at = block.blocked_at
    when = at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if isinstance(
        at, dt.datetime) else str(at)
    why = f": {block.reason}" if block.reason else ""
    return (f"{head} by {block.blocked_by} since {when}{why} (`prediction-monitor "
            f"unblock-commit {commit}` lifts it)")


def commit_block_reasons(counts: Mapping[str, int],
                         blocked: BlockedCommits | None) -> list[GateReason]:
    """A blocking reason for each commit of `counts` (commit → its rows: the reason's n)
    that is blocked."""
    out = []
    for commit in sorted(counts):
        found = blocked_commit(commit, blocked)
        if found is not None:
            out.append(GateReason(COMMIT_BLOCKED, "critical", "build_commit_sha", None, None,
                                  counts[commit], None, block_message(commit, found[1])))
    return out


def blocked_commits(warehouse_url: str, *, config: MonitorConfig | None = None,
                    as_of: dt.datetime | None = None) -> dict[str, CommitBlock]:
    """The commits blocked at as_of (default now), by sha, read from the warehouse's
    alert event log (opened read-only, then closed): what `check_batch` takes as
    `blocked_commits`. Loads the warehouse client: call it once per batch run, not per
    row. Raises the warehouse's errors (monitor.warehouse: WarehouseURLError,
    WarehouseOpenError, WarehouseError): a worker that cannot tell should not publish."""
    from monitor.rules.store import WarehouseAlertStore
    from monitor.warehouse import open_warehouse

    # The worker's side has no App: the warehouse is opened from the config alone.
    config = config or default_config()
    bigquery = config.bigquery
    warehouse = open_warehouse(warehouse_url, dataset=config.dataset, read_only=True,
                               create=False, location=bigquery.location,
                               maximum_bytes_billed=bigquery.maximum_bytes_billed,
                               job_timeout_seconds=bigquery.job_timeout_seconds,
                               tables=config.table_names())
    try:
        return WarehouseAlertStore(warehouse).load_blocks(as_of or dt.datetime.now(dt.UTC))
    finally:
        warehouse.close()


# The gate's own rules, not alerts.yaml's: what no batch may be published with, at any
# size. The cycle judges the same rows with critical_features_missing, a warning (a
# slate already written is watched, not stopped).
LACKING_FEATURES = "most_rows_lack_features"
DUPLICATE_IDS = "duplicate_prediction_ids"


def gate_rules(distinct: Sequence[Mapping[str, Any]], duplicates: int,
               features: Sequence[CriticalFeature]) -> list[GateReason]:
    """The gate's built-in rules on a batch, one row per prediction (`distinct`) and
    its `duplicates` extra copies: more than half of the rows lacking the critical
    features blocks (the seed's failure at its worst: absent, null, malformed JSON, not
    an object, or an object holding none of the configured features as a number — a
    missing key alone is not); more copies than distinct ids blocks; any copy warns."""
    out: list[GateReason] = []
    lacking = sum(1 for r in distinct if _lacks_features(r.get("critical_features"),
                                                          features))
    if distinct and lacking * 2 > len(distinct):
        share = lacking / len(distinct)
        out.append(GateReason(
            LACKING_FEATURES, "critical", "rows_lacking_features", None, share,
            len(distinct), None,
            f"{LACKING_FEATURES}: {lacking} of {len(distinct)} rows ({share:.1%}) hold no "
            "critical feature (critical_features absent, null, malformed, not an object "
            "or without any configured feature as a number): more than half blocks"))
    if duplicates:
        blocks = duplicates > len(distinct)
        out.append(GateReason(
            DUPLICATE_IDS, "critical" if blocks else "warning", "duplicate_rows", None,
            None, duplicates, None,
            f"{DUPLICATE_IDS}: {duplicates} extra copies of a prediction_id beside "
            f"{len(distinct)} distinct predictions"
            + (": more copies than predictions blocks" if blocks else "")))
    return out


def _lacks_features(cell: Any, features: Sequence[CriticalFeature]) -> bool:
    """True when a critical_features cell gives none of the configured features as a
    finite number: no object at all, or an object without any of them."""
    kind, obj = _parsed(cell)
    if kind != "object":
        return True
    for f in features:
        _, value = _feature_value(obj, f.key)
        if value is not None and math.isfinite(value):
            return False
    return True


def default_config() -> MonitorConfig:
    """The configuration the commands read without --config (./alerts.yaml in the
    working directory, else the packaged one: monitor.config.default_config_path),
    loaded once, on first use."""
    global _config
    if _config is None:
        from monitor.config import load_config

        _config = load_config()
    return _config


# --- the rows' shape, checked once -------------------------------------------------------

def _kind(value: Any) -> str:
    """A value's type for an error message: the type only, never data from the row."""
    return "None" if value is None else type(value).__name__


def _pandas_na(value: Any) -> bool:
    """pandas' NA (nullable dtypes), recognised without importing pandas."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and value is getattr(pandas, "NA", None)


def _missing(value: Any) -> bool:
    """A NULL of the warehouse: None, NaN, NaT (a datetime that equals nothing), NA."""
    if isinstance(value, float | dt.datetime):
        return value != value
    return value is None or _pandas_na(value)


def _records(rows: Any) -> list[Mapping[str, Any]]:
    """The rows as mappings, their shape checked once: a renamed or dropped column, a
    row that is not a mapping, an id or timestamp of the wrong type is a worker bug that
    would otherwise disable rules or crash deep inside the counting."""
    if rows is None or isinstance(rows, str | bytes | Mapping) or not (
            hasattr(rows, "to_dict") or isinstance(rows, Iterable)):
        raise GateInputError(f"check_batch takes the batch's rows (a DataFrame or an "
                             f"iterable of mappings), not {_kind(rows)}")
    records = list(rows.to_dict("records") if hasattr(rows, "to_dict") else rows)
    stamped: tuple[int, bool] | None = None  # the first predicted_at: (row, aware?)
    for i, r in enumerate(records):
        if not isinstance(r, Mapping):
            raise GateInputError(f"row {i} is {_kind(r)}, not a mapping of column to value")
        for column in REQUIRED_COLUMNS:
            if column not in r:
                raise GateInputError(f"row {i} has no {column} column (the gate needs "
                                     f"{' and '.join(REQUIRED_COLUMNS)})")
        for column in ("prediction_id", "system_id"):
            value = r.get(column)
            if not (_missing(value) or isinstance(value, str) or (
                    isinstance(value, numbers.Integral) and not isinstance(value, bool))):
                raise GateInputError(f"row {i}: {column} is {_kind(value)}, not a string "
                                     "or an integer")
        at = r.get("predicted_at")
        if _missing(at):
            continue
        if not isinstance(at, dt.datetime):
            raise GateInputError(f"row {i}: predicted_at is {_kind(at)}, not a datetime")
        aware = at.utcoffset() is not None
        if stamped is None:
            stamped = (i, aware)
        elif stamped[1] != aware:
            def which(tz: bool) -> str:
                return "timezone-aware" if tz else "naive"
            raise GateInputError(
                f"row {i}: predicted_at is {which(aware)} but row {stamped[0]}'s is "
                f"{which(stamped[1])}: naive and aware timestamps cannot be ordered")
    return records


# --- counting, as queries/feature_defaults.sql counts ------------------------------------

def _line(value: Any) -> tuple[float | None, bool]:
    """(the Vegas line, invalid?) of a line_value cell, as the query reads the FLOAT64
    column: NULL (None, pandas' NA) is no line; NaN or infinite is invalid and no line. A
    number in a string is that number (the _NUMERIC rule of the features); any other
    value that is not a number (text, a boolean, a container) is no finite number: like
    NaN, invalid and no line."""
    if value is None or _pandas_na(value):
        return None, False
    if isinstance(value, bytes | bytearray):
        value = value.decode("utf-8", "replace")
    if isinstance(value, bool):
        number = math.nan
    elif isinstance(value, str):
        number = float(value) if _NUMERIC.match(value) else math.nan
    else:
        try:
            number = float(value)
        except OverflowError:  # an integer past any float
            number = math.inf
        except (TypeError, ValueError):
            number = math.nan
    return (number, False) if math.isfinite(number) else (None, True)


def _first_key_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose key is written twice keeps the first value, as DuckDB's
    reader does (Python's json keeps the last): the gate and the query read one value."""
    return dict(reversed(pairs))


# One decoder, made once: json.loads with a hook would build one per row.
_DECODER = json.JSONDecoder(object_pairs_hook=_first_key_wins)


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
        parsed = _DECODER.decode(value)
    except (ValueError, RecursionError):
        # Nesting deeper than Python's parser goes: malformed. BigQuery's JSON type holds
        # 500 levels at most, so such a row could not be written there either.
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
    distinct = sorted({"" if _missing(v) else str(v) for v in values})
    return ",".join(distinct)


def _latest_copies(records: Sequence[Mapping[str, Any]]) -> tuple[
        list[Mapping[str, Any]], int]:
    """One row per (system_id, prediction_id), the latest predicted_at winning, and
    how many extra copies there were. Rows without an id are each their own."""
    kept: dict[Any, tuple[int, Mapping[str, Any], Any]] = {}
    for i, r in enumerate(records):
        pid, system = r.get("prediction_id"), r.get("system_id")
        key = (None if _missing(system) else system, pid) if not _missing(pid) else ("", i)
        at = None if _missing(r.get("predicted_at")) else r.get("predicted_at")
        if key in kept:
            prev = kept[key][2]
            if at is None or (prev is not None and at <= prev):
                continue
        kept[key] = (i, r, at)
    rows = [r for _, r, _ in sorted(kept.values(), key=lambda x: x[0])]
    return rows, len(records) - len(rows)


def feature_defaults_row(records: Sequence[Mapping[str, Any]],
                         features: Sequence[CriticalFeature],
                         now: dt.datetime | None = None) -> dict[str, Any]:
    """The row queries/feature_defaults.sql returns for these rows as one group."""
    return _counted(*_latest_copies(_records(records)), features, now)


def _counted(rows: Sequence[Mapping[str, Any]], duplicates: int,
             features: Sequence[CriticalFeature],
             now: dt.datetime | None = None) -> dict[str, Any]:
    """feature_defaults_row of rows already one per prediction."""
    future_after = (now or dt.datetime.now(dt.UTC)) + FUTURE_SLACK
    out: dict[str, Any] = {
        "system_id": _one(r.get("system_id") for r in rows),
        "game_date": _one(r.get("game_date") for r in rows),
        "build_commit_sha": _one(commit_label(r.get("build_commit_sha")) for r in rows),
        "deployment_revision": max((str(r["deployment_revision"]) for r in rows
                                    if r.get("deployment_revision") is not None), default=None),
        "feature_rows": len(rows), "features_absent": 0, "features_null": 0,
        "features_malformed": 0, "features_incomplete": 0, "invalid_rows": 0,
        "duplicate_rows": duplicates, "future_rows": 0,
    }
    for i in range(len(features)):
        for name in ("present", "wrong_type", "eligible", "at_sentinel", "out_of_range"):
            out[f"f{i}_{name}"] = 0
    stamps = [r["predicted_at"] for r in rows if not _missing(r.get("predicted_at"))]
    out["first_predicted_at"] = min(stamps, default=None)
    out["last_predicted_at"] = max(stamps, default=None)
    out["future_rows"] = sum(1 for s in stamps if s.tzinfo is not None and s > future_after)
    for r in rows:
        line, invalid = _line(r["line_value"])
        out["invalid_rows"] += invalid
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


__all__ = ["COMMIT_BLOCKED", "DUPLICATE_IDS", "LACKING_FEATURES", "MIN_ROWS",
           "REQUIRED_COLUMNS", "BlockedCommits", "GateInputError", "GateReason",
           "GateVerdict", "block_message", "blocked_commit", "blocked_commits", "check_batch",
           "commit_block_reasons", "default_config", "feature_defaults_row", "gate_rules",
           "too_small", "verdict_of"]
