"""`check-batch`'s core: one prediction batch, found in the execution log, judged
alone — its rows by the batch gate (monitor.gate: the feature-default rules), its
provenance by the provenance rules (a backfill on a commit other than the serving one,
a daily batch on a commit older than the serving one, a batch already blocked), and its
commit against the commits people blocked (`block-commit`): a blocked commit blocks
every batch of it, whatever else is found. The rules and thresholds are alerts.yaml's;
the warehouse is only read.

A batch's rows: predictions carry no batch column, so they are those of the batch's
system_id, game_date and build_commit_sha whose predicted_at lies between its
execution_start_timestamp and execution_end_timestamp (queries/batch_predictions.sql).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.checks.commits import CommitsCheck
from monitor.config import MonitorConfig
from monitor.gate import (
    BlockedCommits,
    GateReason,
    GateVerdict,
    check_batch,
    commit_block_reasons,
    verdict_of,
)
from monitor.metrics.registry import COMMIT
from monitor.model import Observation, commit_label, iso, make_labels
from monitor.rules.evaluate import evaluate_check
from monitor.warehouse.base import QueryRunner, Record

# The provenance metrics a single batch is judged on (rules of the provenance check).
BATCH_METRICS = {m: COMMIT for m in ("stale_backfill_batches", "superseded_commit_batches",
                                     "blocked_batches")}
PASS, BLOCK, CANNOT_TELL = "pass", "block", "cannot-tell"


@dataclass(frozen=True)
class BatchVerdict:
    batch: Record  # the execution-log row
    verdict: GateVerdict
    serving_commit: str | None
    cannot_tell: str | None = None  # why this batch cannot be judged

    @property
    def state(self) -> str:
        if self.cannot_tell:
            return CANNOT_TELL
        return BLOCK if self.verdict.blocked else PASS

    @property
    def commit(self) -> str:
        return commit_label(self.batch["build_commit_sha"])

    def to_json(self) -> dict[str, Any]:
        b = self.batch
        return {
            "verdict": self.state, "execution_id": b["execution_id"],
            "batch_id": b["batch_id"], "system_id": b["system_id"],
            "game_date": str(b["game_date"]), "build_commit_sha": self.commit,
            "feature_source_mode": b["feature_source_mode"], "status": b["status"],
            "started_at": iso(b["execution_start_timestamp"]),
            "ended_at": iso(b["execution_end_timestamp"]),
            "rows": self.verdict.rows, "serving_commit": self.serving_commit,
            "reasons": [r.to_json() for r in self.verdict.reasons],
            "cannot_tell": self.cannot_tell,
        }


def lookback_start(as_of: dt.datetime, days: int) -> dt.datetime:
    """Midnight UTC `days` days before as_of's UTC date: the first partition read."""
    day = as_of.astimezone(dt.UTC).date() - dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def find_batches(warehouse: QueryRunner, *, execution_id: str = "", batch_id: str = "",
                 as_of: dt.datetime, lookback_days: int) -> list[Record]:
    """Execution-log rows with this execution_id (one) or batch_id (one per system that
    ran it: its latest attempt, a retry superseding the attempts before it) started in
    the lookback window."""
    return warehouse.query("batch_lookup", {
        "execution_id": execution_id, "batch_id": batch_id,
        "exec_from": lookback_start(as_of, lookback_days), "as_of": as_of},
        labels={"check": "check_batch"})


def batch_rows(warehouse: QueryRunner, batch: Record) -> list[Record]:
    return warehouse.query("batch_predictions", {
        "system_id": batch["system_id"], "game_date": batch["game_date"],
        "build_commit_sha": commit_label(batch["build_commit_sha"]),
        "started_at": batch["execution_start_timestamp"],
        "ended_at": batch["execution_end_timestamp"]}, labels={"check": "check_batch"})


def provenance_observations(warehouse: QueryRunner, config: MonitorConfig,
                            batch: Record) -> tuple[list[Observation], str | None]:
    """The batch's provenance as observations of the provenance check's metrics (1 or
    0 for this one batch), and the commit serving the daily batches when it started."""
    started = batch["execution_start_timestamp"]
    history_from = started - dt.timedelta(days=config.settings.provenance.history_days)
    before = started - dt.timedelta(microseconds=1)  # the serving code, this batch aside
    commit = commit_label(batch["build_commit_sha"])
    mode = batch["feature_source_mode"] or ""
    found = warehouse.query("serving_commit", {
        "system_id": "", "history_from": history_from, "as_of": before},
        labels={"check": "check_batch"})
    serving = found[0] if found and commit_label(found[0]["serving_commit"]) != "unknown" \
        else None
    serving_commit = serving["serving_commit"] if serving else None
    first_seen = None
    if serving and commit != serving_commit:
        seen = warehouse.query("commit_provenance", {
            "commits": [commit], "exec_from": history_from, "as_of": before},
            labels={"check": "check_batch"})
        first_seen = seen[0]["first_seen_at"] if seen else None
    stale = bool(serving) and mode == "backfill" and commit != serving_commit
    older = (bool(serving) and mode != "backfill" and commit != serving_commit
             and first_seen is not None and serving is not None
             and first_seen < serving["first_seen_at"])
    blocked = batch["status"] == "blocked"
    labels = make_labels(system_id=batch["system_id"], build_commit_sha=commit)
    since = f" (first seen {iso(serving['first_seen_at'])})" if serving else ""
    why = {
        "stale_backfill_batches": f"a backfill on {commit} while {serving_commit} serves the "
                                  f"daily batches{since}",
        "superseded_commit_batches": f"a daily batch on {commit} (first seen "
                                     f"{iso(first_seen)}), older than the serving "
                                     f"{serving_commit}{since}",
        "blocked_batches": f"the worker's gate blocked it: {batch['error_message'] or ''}",
    }
    values = {"stale_backfill_batches": stale, "superseded_commit_batches": older,
              "blocked_batches": blocked}
    context = (("serving_commit", serving_commit or "unknown"), ("feature_source_mode", mode))
    return [Observation(CommitsCheck.name, metric, labels, float(value), 1, None, None,
                        (*context, ("why", why[metric])))
            for metric, value in values.items()], serving_commit


def judge_batch(warehouse: QueryRunner, config: MonitorConfig, batch: Record, *,
                blocked_commits: BlockedCommits | None = None) -> BatchVerdict:
    """The batch's verdict. A batch of a blocked commit (`blocked_commits`: the blocks in
    force, monitor.rules.store's load_blocks) is blocked even when its rows could not
    be judged (not ended, failed, rows missing): its commit alone says no."""
    observations, serving = provenance_observations(warehouse, config, batch)
    rules = config.rules_for(set(BATCH_METRICS))
    provenance = evaluate_check(CommitsCheck.name, BATCH_METRICS, observations, rules,
                                "no batch")
    ended = batch["execution_end_timestamp"] is not None
    rows = batch_rows(warehouse, batch) if ended else []
    blocked = commit_block_reasons({commit_label(batch["build_commit_sha"]): len(rows)},
                                   blocked_commits)
    if not ended:
        from_log = verdict_of(provenance.findings, 0, rules)
        verdict = GateVerdict(from_log.blocked or bool(blocked),
                              (*blocked, *from_log.reasons), 0)
        return BatchVerdict(batch, verdict, serving, None if blocked else (
            "the batch has not ended (no execution_end_timestamp): its rows cannot be told "
            "apart yet"))
    features = check_batch(rows, config=config)
    from_log = verdict_of(provenance.findings, len(rows), rules)
    short = missing_rows(batch, len(rows))
    # An empty batch has nothing for the gate to judge ("too small": 0 rows): its
    # emptiness is the reason.
    judged = () if short and not rows else features.reasons
    reasons = sorted((*blocked, *([short] if short else []), *judged, *from_log.reasons),
                     key=lambda r: not r.blocking)
    verdict = GateVerdict(features.blocked or from_log.blocked or short is not None
                          or bool(blocked), tuple(reasons), len(rows))
    return BatchVerdict(batch, verdict, serving,
                        None if blocked else unjudgeable(batch, len(rows), verdict))


def missing_rows(batch: Record, found: int) -> GateReason | None:
    """A blocking reason when the rows found cannot be the batch the log announces: no
    row at all ("too small to judge" would pass a batch whose predictions are gone), or
    under half of its players_predicted. A failed batch cannot be told (unjudgeable) and
    a blocked one was never meant to be written: neither is judged here."""
    if batch["status"] in ("failed", "blocked"):
        return None
    expected = batch["players_predicted"]
    window = (f"between {iso(batch['execution_start_timestamp'])} and "
              f"{iso(batch['execution_end_timestamp'])}")
    if found == 0:
        said = (f"the log says {expected} predicted" if expected is not None
                else "the log gives no players_predicted")
        return GateReason("empty_batch", "critical", "feature_rows", None, None, 0, None,
                          f"empty batch: no prediction rows found {window} ({said})")
    if expected is not None and found < expected / 2:
        return GateReason("partial_batch", "critical", "feature_rows", None, None, found,
                          None, f"partial batch: {found} rows found {window}, under half "
                                f"of the {expected} the log says were predicted")
    return None


def unjudgeable(batch: Record, found: int, verdict: GateVerdict) -> str | None:
    """Why the rows found cannot stand for the batch, or None. A failed batch published
    nothing to judge (what it wrote is partial at best). Fewer rows than the log says
    were predicted (rows stamped outside the batch's run, or not written yet) would
    judge a part as the whole: a pass on them means nothing, though a block still
    blocks (under half of them, or none, blocks: missing_rows). A blocked batch's rows
    were never meant to be written."""
    status = batch["status"]
    if status == "failed":
        return (f"the batch failed (status 'failed': "
                f"{batch['error_message'] or 'no error message'}): nothing was published "
                "to judge")
    expected = int(batch["players_predicted"] or 0)
    if status == "blocked" or verdict.blocked or found >= expected:
        return None
    return (f"log says {expected} predicted, {found} rows found between "
            f"{iso(batch['execution_start_timestamp'])} and "
            f"{iso(batch['execution_end_timestamp'])} (rows of its system_id, game_date and "
            "build_commit_sha whose predicted_at lies in the batch's run)")


def overall(verdicts: Sequence[BatchVerdict]) -> str:
    """cannot-tell over block over pass, like every exit code of the monitor."""
    states = {v.state for v in verdicts}
    for state in (CANNOT_TELL, BLOCK):
        if state in states:
            return state
    return PASS
