-- The commit of the latest successful daily batch (optionally of one system), and
-- when that commit was first seen: what is actually deployed and serving. A failed
-- batch published nothing, nor did one the batch gate blocked: neither serves.
-- Params: @system_id STRING, @history_from TIMESTAMP, @as_of TIMESTAMP
WITH batches AS (
  SELECT system_id, build_commit_sha, feature_source_mode, status, execution_start_timestamp
  FROM prediction_execution_log
  WHERE execution_start_timestamp >= @history_from
    AND execution_start_timestamp <= @as_of
    AND (@system_id = '' OR system_id = @system_id)
),
first_seen AS (
  SELECT build_commit_sha, MIN(execution_start_timestamp) AS first_seen_at
  FROM batches
  GROUP BY 1
),
latest_daily AS (
  SELECT system_id, build_commit_sha, execution_start_timestamp
  FROM batches
  WHERE feature_source_mode = 'daily' AND status NOT IN ('failed', 'blocked')
  QUALIFY ROW_NUMBER() OVER (ORDER BY execution_start_timestamp DESC) = 1
)
SELECT
  l.build_commit_sha AS serving_commit,
  l.system_id,
  l.execution_start_timestamp AS latest_daily_batch_at,
  f.first_seen_at
FROM latest_daily AS l
LEFT JOIN first_seen AS f USING (build_commit_sha)
