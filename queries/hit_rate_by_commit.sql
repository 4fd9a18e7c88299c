-- Outcome quality per system and build commit over one window of graded game dates.
-- Hit rate = correct / rows where prediction_correct is not NULL (PASS, push and
-- no-line rows are NULL). NULL and 'unknown' commits form one 'unknown' group.
-- Bad rows are counted, never trusted: a prediction_id graded twice counts once (the
-- latest graded_at wins; the copies are duplicate_rows), and a NaN or infinite number
-- is left out of every statistic that uses it (invalid_rows).
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP, @edge_threshold FLOAT64
WITH graded AS (
  SELECT
    system_id,
    COALESCE(NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), 'unknown') AS build_commit_sha,
    game_date,
    prediction_correct,
    IF(IS_NAN(absolute_error) OR IS_INF(absolute_error), NULL, absolute_error) AS absolute_error,
    IF(IS_NAN(signed_error) OR IS_INF(signed_error), NULL, signed_error) AS signed_error,
    IF(IS_NAN(predicted_points) OR IS_INF(predicted_points), NULL, predicted_points)
      AS predicted_points,
    IF(IS_NAN(line_value) OR IS_INF(line_value), NULL, line_value) AS line_value,
    IF(IS_NAN(actual_points) OR IS_INF(actual_points), NULL, actual_points) AS actual_points,
    COALESCE(IS_NAN(absolute_error) OR IS_INF(absolute_error)
             OR IS_NAN(signed_error) OR IS_INF(signed_error)
             OR IS_NAN(predicted_points) OR IS_INF(predicted_points)
             OR IS_NAN(line_value) OR IS_INF(line_value)
             OR IS_NAN(actual_points) OR IS_INF(actual_points), FALSE) AS invalid,
    COUNT(*) OVER (PARTITION BY system_id, prediction_id) - 1 AS extra_copies
  FROM prediction_accuracy
  WHERE game_date BETWEEN @start_date AND @end_date
    AND (graded_at IS NULL OR graded_at <= @as_of)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY system_id, prediction_id ORDER BY graded_at DESC) = 1
)
SELECT
  system_id,
  build_commit_sha,
  COUNT(*) AS graded,
  COUNTIF(prediction_correct IS NOT NULL) AS picks,
  COUNTIF(prediction_correct) AS hits,
  COUNT(absolute_error) AS error_n,
  AVG(absolute_error) AS mae,
  STDDEV_SAMP(absolute_error) AS absolute_error_std,
  COUNT(signed_error) AS signed_n,
  STDDEV_SAMP(signed_error) AS error_std,
  AVG(signed_error) AS mean_signed_error,
  COUNTIF(invalid) AS invalid_rows,
  SUM(extra_copies) AS duplicate_rows,
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
FROM graded
GROUP BY 1, 2
ORDER BY 1, 2
