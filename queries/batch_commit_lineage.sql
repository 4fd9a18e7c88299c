-- Recent batches against the code that was serving: a backfill on a commit other
-- than the one of the latest daily batches, batches from a commit older than the
-- newest one already seen on the same system, and batches the batch gate blocked
-- (with the latest one's reasons). A blocked batch was never published: it is never
-- the serving commit, and a commit whose batches were all blocked supersedes nothing.
-- Params: @history_from TIMESTAMP, @recent_from TIMESTAMP, @as_of TIMESTAMP
WITH history AS (
  SELECT execution_id, system_id, game_date, build_commit_sha, feature_source_mode, status,
         error_message, execution_start_timestamp
  FROM prediction_execution_log
  WHERE execution_start_timestamp >= @history_from
    AND execution_start_timestamp <= @as_of
),
first_seen AS (
  SELECT
    system_id,
    build_commit_sha,
    MIN(execution_start_timestamp) AS first_seen_at,
    MIN(IF(status != 'blocked', execution_start_timestamp, NULL)) AS first_published_at
  FROM history
  GROUP BY 1, 2
),
serving AS (
  SELECT build_commit_sha AS serving_commit
  FROM history
  WHERE feature_source_mode = 'daily' AND status NOT IN ('failed', 'blocked')
  QUALIFY ROW_NUMBER() OVER (ORDER BY execution_start_timestamp DESC) = 1
),
recent AS (
  SELECT h.*, f.first_seen_at
  FROM history AS h
  JOIN first_seen AS f USING (system_id, build_commit_sha)
  WHERE h.execution_start_timestamp >= @recent_from
),
last_blocked AS (
  SELECT system_id, build_commit_sha, execution_id, game_date, error_message,
         execution_start_timestamp AS blocked_at
  FROM recent
  WHERE status = 'blocked'
  QUALIFY ROW_NUMBER() OVER (PARTITION BY system_id, build_commit_sha
                             ORDER BY execution_start_timestamp DESC) = 1
)
SELECT
  r.system_id,
  r.build_commit_sha,
  COUNT(*) AS batches,
  COUNTIF(r.feature_source_mode = 'backfill') AS backfill_batches,
  COUNTIF(r.feature_source_mode = 'backfill'
          AND r.build_commit_sha != s.serving_commit) AS stale_backfill_batches,
  COUNTIF(EXISTS (
    SELECT 1 FROM first_seen AS newer
    WHERE newer.system_id = r.system_id
      AND newer.first_published_at > r.first_seen_at
      AND newer.first_published_at < r.execution_start_timestamp
  )) AS superseded_commit_batches,
  COUNTIF(r.status = 'blocked') AS blocked_batches,
  ANY_VALUE(b.execution_id) AS last_blocked_execution_id,
  ANY_VALUE(b.game_date) AS last_blocked_game_date,
  ANY_VALUE(b.blocked_at) AS last_blocked_at,
  ANY_VALUE(b.error_message) AS last_blocked_reasons,
  MIN(r.first_seen_at) AS first_seen_at,
  MAX(r.execution_start_timestamp) AS last_batch_at,
  ANY_VALUE(s.serving_commit) AS serving_commit,
  STRING_AGG(DISTINCT r.feature_source_mode, ',' ORDER BY r.feature_source_mode) AS feature_source_modes
FROM recent AS r
LEFT JOIN serving AS s ON TRUE
LEFT JOIN last_blocked AS b
  ON b.system_id = r.system_id AND b.build_commit_sha = r.build_commit_sha
GROUP BY 1, 2
ORDER BY 1, 2
