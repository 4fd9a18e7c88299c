"""Provenance for the prediction worker: which code made each prediction.

The worker's one import; the parts live in identity.py (which code is running),
stamp.py (a prediction's provenance fields) and batch_log.py (a batch's execution-log
row), the row writers in monitor/warehouse/ (engine code, loaded when first asked
for). Imported by the worker, so nothing heavy loads at module level: no pandas, no
google-cloud libraries, no duckdb until a writer for them is created.

    from monitor.provenance import assert_deployed_commit, stamp_prediction, BatchRecorder

    assert_deployed_commit(expected_sha)          # before a backfill: refuse stale code
    with BatchRecorder(writer, game_date=d, system_id="catboost_v8",
                       players_requested=len(players), feature_source_mode="backfill") as batch:
        for player in players:
            record = stamp_prediction(predict(player), features_of(player))
            batch.add(record)                      # the worker writes the predictions itself
        verdict = check_batch(batch.predictions)   # monitor.gate: before writing them
        if verdict.blocked:
            batch.block(verdict)                   # not published: logged 'blocked'
    # the execution-log row is written on exit, as 'failed' with the error if it raised,
    # as 'blocked' with the gate's reasons if it was blocked; then published to
    # MONITOR_BATCH_TOPIC when set (pip install 'prediction-monitor[pubsub]')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from monitor.provenance.batch_log import BatchRecorder, RowWriter, execution_log_row
from monitor.provenance.identity import (
    StaleDeploymentError,
    assert_deployed_commit,
    build_commit_sha,
    deployment_revision,
    same_commit,
)
from monitor.provenance.stamp import (
    critical_features,
    critical_features_json,
    stamp_prediction,
    utc_now,
)

if TYPE_CHECKING:
    from monitor.warehouse.row_writers import BigQueryRowWriter, DuckDBRowWriter


def __getattr__(name: str) -> Any:
    """The row writers (engine code, in monitor/warehouse/) load when first asked for:
    importing the worker's provenance does not import the warehouse package."""
    if name in ("BigQueryRowWriter", "DuckDBRowWriter"):
        from monitor.warehouse import row_writers

        return {"BigQueryRowWriter": row_writers.BigQueryRowWriter,
                "DuckDBRowWriter": row_writers.DuckDBRowWriter}[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BatchRecorder", "BigQueryRowWriter", "DuckDBRowWriter", "RowWriter",
           "StaleDeploymentError", "assert_deployed_commit", "build_commit_sha",
           "critical_features", "critical_features_json", "deployment_revision",
           "execution_log_row", "same_commit", "stamp_prediction", "utc_now"]
