"""One prediction batch → its prediction_execution_log row: the pure builder, and the
recorder that writes the row when the batch ends (failed, blocked or done) and announces
it on the batch topic."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from monitor.events.publisher import publish_batch
from monitor.provenance.identity import build_commit_sha, deployment_revision
from monitor.provenance.stamp import utc_now

if TYPE_CHECKING:
    from monitor.gate import GateVerdict


class RowWriter(Protocol):
    def write(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None: ...


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 4) if whole else None


def execution_log_row(*, game_date: dt.date, system_id: str, started_at: dt.datetime,
                      ended_at: dt.datetime, players_requested: int,
                      predictions: Sequence[Mapping[str, Any]], error: str | None = None,
                      error_count: int | None = None, feature_source_mode: str = "daily",
                      batch_id: str | None = None, execution_id: str | None = None,
                      orchestration_run_id: str | None = None,
                      feature_store_snapshot_time: dt.datetime | None = None,
                      env: Mapping[str, str] | None = None,
                      blocked: str | None = None) -> dict[str, Any]:
    """One prediction batch → one prediction_execution_log row, as the seed defines it.

    `blocked`: the batch gate's reasons (monitor.gate) for not publishing the batch:
    status 'blocked' with the reasons in error_message — unless it also raised, which
    makes it 'failed' with the error.

    Coverage is computed from the batch's stamped predictions: pct_with_vegas_line
    counts a present vegas_points_line, pct_with_ppm a present ppm_avg_last_10,
    pct_with_shot_zones records whose `has_shot_zones` is true; the quality score is
    the mean of `feature_quality_score` where present. Percentages are 0-100."""
    predicted = len(predictions)
    feats = [_parsed(p.get("critical_features")) for p in predictions]
    with_line = sum(1 for f in feats if f.get("vegas_points_line") is not None)
    with_ppm = sum(1 for f in feats if f.get("ppm_avg_last_10") is not None)
    with_zones = sum(1 for p in predictions if p.get("has_shot_zones"))
    scores = [float(p["feature_quality_score"]) for p in predictions
              if p.get("feature_quality_score") is not None]
    if error is not None or (players_requested and predicted == 0):
        status = "failed"
    elif blocked is not None:
        status = "blocked"
    elif predicted < players_requested:
        status = "partial"
    else:
        status = "success"
    missing = max(players_requested - predicted, 0)
    return {
        "execution_id": execution_id or str(uuid.uuid4()),
        "batch_id": batch_id,
        "build_commit_sha": build_commit_sha(env),
        "deployment_revision": deployment_revision(env),
        "execution_start_timestamp": started_at.astimezone(dt.UTC),
        "execution_end_timestamp": ended_at.astimezone(dt.UTC),
        "duration_seconds": round((ended_at - started_at).total_seconds(), 3),
        "game_date": game_date,
        "system_id": system_id,
        "players_requested": players_requested,
        "players_predicted": predicted,
        "status": status,
        "error_message": error if error is not None else blocked,
        "error_count": error_count if error_count is not None else (
            missing + (1 if error else 0)),
        "avg_feature_quality_score": round(sum(scores) / len(scores), 4) if scores else None,
        "pct_with_vegas_line": _pct(with_line, predicted),
        "pct_with_ppm": _pct(with_ppm, predicted),
        "pct_with_shot_zones": _pct(with_zones, predicted),
        "feature_store_snapshot_time": feature_store_snapshot_time,
        "feature_source_mode": feature_source_mode,
        "orchestration_run_id": orchestration_run_id,
    }


def _parsed(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value) if value else {}
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


@dataclass
class BatchRecorder:
    """Collects a batch's stamped predictions and writes its execution-log row on
    exit — with status 'failed' and the error when the batch raised, 'blocked' with
    the gate's reasons after `block(verdict)`."""

    writer: RowWriter
    game_date: dt.date
    system_id: str
    players_requested: int
    feature_source_mode: str = "daily"
    batch_id: str | None = None
    orchestration_run_id: str | None = None
    feature_store_snapshot_time: dt.datetime | None = None
    env: Mapping[str, str] | None = None
    predictions: list[Mapping[str, Any]] = field(default_factory=list)
    started_at: dt.datetime = field(default_factory=utc_now)
    row: dict[str, Any] | None = None
    blocked: str | None = None

    def add(self, prediction: Mapping[str, Any]) -> None:
        self.predictions.append(prediction)

    def block(self, verdict: GateVerdict | str) -> None:
        """Do not publish this batch: its execution-log row says 'blocked', with the
        gate's reasons (or this text) in error_message. Never the serving commit, never
        a slate's batch; the monitor's `batch_blocked` rule names the commit and why."""
        self.blocked = verdict if isinstance(verdict, str) else verdict.message

    def __enter__(self) -> BatchRecorder:
        self.started_at = utc_now()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        error = f"{type(exc).__name__}: {exc}" if exc is not None else None
        self.row = execution_log_row(
            game_date=self.game_date, system_id=self.system_id, started_at=self.started_at,
            ended_at=utc_now(), players_requested=self.players_requested,
            predictions=self.predictions, error=error,
            feature_source_mode=self.feature_source_mode, batch_id=self.batch_id,
            orchestration_run_id=self.orchestration_run_id,
            feature_store_snapshot_time=self.feature_store_snapshot_time, env=self.env,
            blocked=self.blocked)
        self.writer.write("prediction_execution_log", [self.row])
        # With MONITOR_BATCH_TOPIC, `serve` hears of the batch at once; a publish that
        # fails only warns (the row is written, the hourly cycle sees it).
        publish_batch(self.row, self.env)
