-- The prediction rows of one batch. Predictions carry no batch column: a batch's rows
-- are those of its system_id, game_date and build_commit_sha (NULL, empty and
-- 'unknown' are one 'unknown') whose predicted_at lies between the batch's
-- execution_start_timestamp and execution_end_timestamp, both included. One game date
-- and one system: DuckDB reads only their row groups, BigQuery one partition.
-- Params: @system_id STRING, @game_date DATE, @build_commit_sha STRING,
--         @started_at TIMESTAMP, @ended_at TIMESTAMP
SELECT
  prediction_id,
  system_id,
  game_date,
  build_commit_sha,
  deployment_revision,
  predicted_at,
  line_value,
  critical_features
FROM player_prop_predictions
WHERE game_date BETWEEN @game_date AND @game_date
  AND system_id = @system_id
  AND predicted_at BETWEEN @started_at AND @ended_at
  AND COALESCE(NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), 'unknown') = @build_commit_sha
