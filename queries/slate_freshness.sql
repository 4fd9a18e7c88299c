-- Batches written so far for one slate, for every system that ran batches in the
-- days before: a system with none is a slate without predictions.
-- Params: @game_date DATE, @history_from TIMESTAMP, @as_of TIMESTAMP
WITH recent AS (
  SELECT system_id, game_date, status, execution_start_timestamp
  FROM prediction_execution_log
  WHERE execution_start_timestamp >= @history_from
    AND execution_start_timestamp <= @as_of
),
systems AS (
  SELECT DISTINCT system_id FROM recent WHERE game_date < @game_date
),
slate AS (
  SELECT
    system_id,
    COUNT(*) AS batches,
    COUNTIF(status != 'failed') AS good_batches,
    MAX(execution_start_timestamp) AS last_batch_at
  FROM recent
  WHERE game_date = @game_date
  GROUP BY 1
)
SELECT
  s.system_id,
  COALESCE(b.batches, 0) AS batches,
  COALESCE(b.good_batches, 0) AS good_batches,
  b.last_batch_at
FROM systems AS s
LEFT JOIN slate AS b USING (system_id)
ORDER BY 1
