-- Batches written so far for one slate, for every system that ran batches on the latest
-- @game_days game dates before it: a system with none is a slate without predictions.
-- Those game dates lie wherever the log has them (@history_from reaches past an
-- off-season), so the season opener expects the systems of the season before. A batch
-- the batch gate blocked was never published: it is no batch of the slate (counted apart,
-- with the commit of the latest blocked batch, whose incident a missing slate joins).
-- Params: @game_date DATE, @history_from TIMESTAMP, @as_of TIMESTAMP, @game_days INT64
WITH recent AS (
  SELECT system_id, game_date, status, execution_start_timestamp, build_commit_sha
  FROM prediction_execution_log
  WHERE execution_start_timestamp >= @history_from
    AND execution_start_timestamp <= @as_of
),
before_slate AS (
  SELECT system_id, DENSE_RANK() OVER (ORDER BY game_date DESC) AS game_days_back
  FROM recent
  WHERE game_date < @game_date
),
systems AS (
  SELECT DISTINCT system_id FROM before_slate WHERE game_days_back <= @game_days
),
slate AS (
  SELECT
    system_id,
    COUNTIF(status != 'blocked') AS batches,
    COUNTIF(status NOT IN ('failed', 'blocked')) AS good_batches,
    COUNTIF(status = 'blocked') AS blocked_batches,
    MAX(execution_start_timestamp) AS last_batch_at,
    MAX(IF(status = 'blocked', build_commit_sha, NULL)) AS blocked_commit
  FROM recent
  WHERE game_date = @game_date
  GROUP BY 1
)
SELECT
  s.system_id,
  COALESCE(b.batches, 0) AS batches,
  COALESCE(b.good_batches, 0) AS good_batches,
  COALESCE(b.blocked_batches, 0) AS blocked_batches,
  b.last_batch_at,
  b.blocked_commit
FROM systems AS s
LEFT JOIN slate AS b USING (system_id)
ORDER BY 1
