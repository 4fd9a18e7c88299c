-- Daily outcome sums per system and commit, the input of sequential detection
-- (CUSUM on MAE over every graded prediction, and on hit rate over picks).
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP
SELECT
  system_id,
  COALESCE(NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), 'unknown') AS build_commit_sha,
  game_date,
  COUNT(absolute_error) AS graded,
  SUM(absolute_error) AS sum_abs_error,
  SUM(absolute_error * absolute_error) AS sum_sq_abs_error,
  COUNTIF(prediction_correct IS NOT NULL) AS picks,
  COUNTIF(prediction_correct) AS hits
FROM prediction_accuracy
WHERE game_date BETWEEN @start_date AND @end_date
  AND (graded_at IS NULL OR graded_at <= @as_of)
GROUP BY 1, 2, 3
ORDER BY 1, 3, 2
