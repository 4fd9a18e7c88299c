-- Grading per game date as of @as_of: how many rows are graded and when the last grade
-- landed. Outcome checks judge a game date once its grading has settled (no new grade
-- for settings.freshness.grading_settle, or its grading_deadline passed); later dates
-- are a night in progress, reported and not judged.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP
SELECT
  game_date,
  COUNT(*) AS graded,
  MAX(graded_at) AS last_graded_at
FROM prediction_accuracy
WHERE game_date BETWEEN @start_date AND @end_date
  AND (graded_at IS NULL OR graded_at <= @as_of)
GROUP BY game_date
ORDER BY game_date
