-- Outcome quality per system and build commit over one window of graded game dates.
-- Hit rate = correct / rows where prediction_correct is not NULL (PASS, push and
-- no-line rows are NULL). NULL and 'unknown' commits form one 'unknown' group.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP, @edge_threshold FLOAT64
SELECT
  system_id,
  COALESCE(NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), 'unknown') AS build_commit_sha,
  COUNT(*) AS graded,
  COUNTIF(prediction_correct IS NOT NULL) AS picks,
  COUNTIF(prediction_correct) AS hits,
  AVG(absolute_error) AS mae,
  STDDEV_SAMP(absolute_error) AS absolute_error_std,
  STDDEV_SAMP(signed_error) AS error_std,
  AVG(signed_error) AS mean_signed_error,
  COUNTIF(line_value IS NOT NULL AND actual_points != line_value
          AND predicted_points != line_value) AS direction_n,
  COUNTIF(line_value IS NOT NULL AND actual_points != line_value
          AND predicted_points != line_value
          AND (predicted_points > line_value) = (actual_points > line_value)) AS direction_hits,
  COUNTIF(prediction_correct IS NOT NULL
          AND ABS(predicted_points - line_value) >= @edge_threshold) AS high_edge_picks,
  COUNTIF(prediction_correct
          AND ABS(predicted_points - line_value) >= @edge_threshold) AS high_edge_hits,
  MIN(game_date) AS first_game_date,
  MAX(game_date) AS last_game_date
FROM prediction_accuracy
WHERE game_date BETWEEN @start_date AND @end_date
  AND (graded_at IS NULL OR graded_at <= @as_of)
GROUP BY 1, 2
ORDER BY 1, 2
