-- The execution-log rows of one batch, by execution_id or batch_id (the other one
-- empty), among batches started from @exec_from (midnight UTC of the first day of the
-- lookback: the log is partitioned by DATE(execution_start_timestamp)) to @as_of. An id
-- outside that window is not found: check-batch cannot tell.
-- A batch_id run more than once by a system (a blocked or failed attempt, then a
-- retry under the same id) is its latest attempt only: the one about to be published.
-- Params: @execution_id STRING, @batch_id STRING, @exec_from TIMESTAMP, @as_of TIMESTAMP
SELECT
  execution_id,
  batch_id,
  system_id,
  game_date,
  build_commit_sha,
  deployment_revision,
  feature_source_mode,
  status,
  error_message,
  players_requested,
  players_predicted,
  execution_start_timestamp,
  execution_end_timestamp
FROM prediction_execution_log
WHERE execution_start_timestamp >= @exec_from
  AND execution_start_timestamp <= @as_of
  AND ((@execution_id != '' AND execution_id = @execution_id)
       OR (@batch_id != '' AND batch_id = @batch_id))
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY system_id ORDER BY execution_start_timestamp DESC, execution_id DESC) = 1
ORDER BY system_id, execution_start_timestamp, execution_id
