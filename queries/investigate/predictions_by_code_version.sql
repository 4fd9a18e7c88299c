-- The seed's "find predictions by code version": graded predictions and hit rate
-- per build commit. Hit rate counts OVER/UNDER picks only (PASS, pushes and rows
-- without a line have prediction_correct NULL); NULL/'unknown' commits are kept.
-- Params: @start_date DATE, @end_date DATE
SELECT
  COALESCE(NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), 'unknown') AS build_commit_sha,
  system_id,
  MIN(game_date) AS first_game_date,
  MAX(game_date) AS last_game_date,
  COUNT(*) AS predictions,
  COUNTIF(prediction_correct IS NOT NULL) AS picks,
  ROUND(100.0 * SAFE_DIVIDE(COUNTIF(prediction_correct),
                            COUNTIF(prediction_correct IS NOT NULL)), 1) AS hit_rate_pct,
  ROUND(AVG(absolute_error), 2) AS mae
FROM prediction_accuracy
WHERE game_date BETWEEN @start_date AND @end_date
GROUP BY 1, 2
ORDER BY first_game_date, 1, 2
