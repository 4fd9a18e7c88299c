-- How much data a cycle at @as_of can see. Two cycles with the same counts and the
-- same day see identical rows, so a replay reuses the first one's query results.
-- Params: @start_date DATE, @end_date DATE, @exec_from TIMESTAMP, @as_of TIMESTAMP
SELECT
  (SELECT COUNT(*) FROM player_prop_predictions
   WHERE game_date BETWEEN @start_date AND @end_date
     AND (predicted_at IS NULL OR predicted_at <= @as_of)) AS predictions,
  (SELECT COUNT(*) FROM prediction_accuracy
   WHERE game_date BETWEEN @start_date AND @end_date
     AND (graded_at IS NULL OR graded_at <= @as_of)) AS graded,
  (SELECT COUNT(*) FROM prediction_execution_log
   WHERE execution_start_timestamp >= @exec_from
     AND execution_start_timestamp <= @as_of) AS batches
