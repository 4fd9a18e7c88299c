-- The newest game date with graded rows as of @as_of: outcome windows end here.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP
SELECT MAX(game_date) AS latest_graded_date
FROM prediction_accuracy
WHERE game_date BETWEEN @start_date AND @end_date
  AND (graded_at IS NULL OR graded_at <= @as_of)
