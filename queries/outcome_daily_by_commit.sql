-- Daily outcome sums per system and commit, the input of sequential detection
-- (CUSUM on MAE over every graded prediction, and on hit rate and on the realized
-- margin over picks). A pick's margin is how far the outcome landed past the line on
-- the side it picked (actual - line for OVER, line - actual for UNDER): above zero
-- when it hit, and by how much (pushes and PASS rows are no picks: their
-- prediction_correct is NULL). A pick without a finite line or outcome has no margin
-- (margin_picks < picks).
-- The edge CUSUM reads each pick's margin standardized and weighted by the edge the
-- model claimed: points scatter about as the square root of the line (a bench player's
-- 8-point line and a star's 30 differ twofold in spread, tenfold in variance share), so
-- z = margin / sqrt(line); a calibrated model wins more where it claims more, so each z
-- is weighted by the claimed edge in the same units, |predicted - line| / sqrt(line)
-- (at most 3), relative to the mean weight of the commit's picks that day (a model that
-- halves every edge keeps its weighted margin). weighted_picks counts the picks with a
-- weighted margin (a finite prediction too).
-- A prediction_id graded twice counts once (the latest graded_at wins); a NaN or
-- infinite absolute_error is left out of the sums; rows with a non-finite
-- absolute_error, line_value or actual_points are counted in invalid_rows.
-- defaulted_rows: rows whose critical_features hold the seed's sentinels (has_vegas_line
-- at @vegas_sentinel while the row has a line, or ppm_avg_last_10 at @ppm_sentinel):
-- a commit that wrote defaults is no baseline for the commits after it.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP,
--         @vegas_sentinel FLOAT64, @ppm_sentinel FLOAT64
WITH graded AS (
  SELECT
    system_id,
    COALESCE(NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), 'unknown') AS build_commit_sha,
    game_date,
    prediction_correct,
    IF(IS_NAN(absolute_error) OR IS_INF(absolute_error), NULL, absolute_error) AS absolute_error,
    COALESCE(IS_NAN(absolute_error) OR IS_INF(absolute_error)
             OR IS_NAN(line_value) OR IS_INF(line_value)
             OR IS_NAN(actual_points) OR IS_INF(actual_points), FALSE) AS invalid,
    COALESCE((line_value IS NOT NULL AND SAFE_CAST(JSON_VALUE(critical_features,
                '$.has_vegas_line') AS FLOAT64) = @vegas_sentinel)
             OR SAFE_CAST(JSON_VALUE(critical_features, '$.ppm_avg_last_10') AS FLOAT64)
                = @ppm_sentinel, FALSE) AS defaulted,
    CASE
      WHEN prediction_correct IS NULL THEN NULL
      WHEN recommendation = 'OVER' THEN actual_points - line_value
      WHEN recommendation = 'UNDER' THEN line_value - actual_points
    END AS raw_margin,
    IF(IS_NAN(predicted_points) OR IS_INF(predicted_points), NULL,
       ABS(predicted_points - line_value)) AS raw_edge,
    line_value,
    COUNT(*) OVER (PARTITION BY system_id, prediction_id) - 1 AS extra_copies
  FROM prediction_accuracy
  WHERE game_date BETWEEN @start_date AND @end_date
    AND (graded_at IS NULL OR graded_at <= @as_of)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY system_id, prediction_id ORDER BY graded_at DESC) = 1
),
margins AS (
  SELECT
    *,
    IF(IS_NAN(raw_margin) OR IS_INF(raw_margin), NULL, raw_margin) AS margin,
    -- NULL, not 0, for a pick claiming no edge: it weighs nothing and is not counted.
    IF(raw_margin IS NULL OR raw_edge IS NULL OR IS_NAN(raw_margin) OR IS_INF(raw_margin)
       OR IS_NAN(raw_edge) OR IS_INF(raw_edge),
       NULL, NULLIF(LEAST(raw_edge / SQRT(GREATEST(line_value, 1.0)), 3.0), 0))
      AS edge_weight
  FROM graded
),
weighted AS (
  SELECT *, margin / SQRT(GREATEST(line_value, 1.0)) * edge_weight AS z_weighted
  FROM margins
)
SELECT
  system_id,
  build_commit_sha,
  game_date,
  COUNT(absolute_error) AS graded,
  SUM(absolute_error) AS sum_abs_error,
  SUM(absolute_error * absolute_error) AS sum_sq_abs_error,
  COUNTIF(prediction_correct IS NOT NULL) AS picks,
  COUNTIF(prediction_correct) AS hits,
  COUNT(margin) AS margin_picks,
  SUM(margin) AS sum_margin,
  SUM(margin * margin) AS sum_sq_margin,
  -- Each weight relative to the day's mean weight of the group's picks: the group's
  -- sums of z * w, times n / sum(w) (and its square for the squares).
  COUNT(edge_weight) AS weighted_picks,
  SUM(z_weighted) * COUNT(edge_weight) / NULLIF(SUM(edge_weight), 0) AS sum_weighted_margin,
  SUM(z_weighted * z_weighted) * (COUNT(edge_weight) / NULLIF(SUM(edge_weight), 0))
    * (COUNT(edge_weight) / NULLIF(SUM(edge_weight), 0)) AS sum_sq_weighted_margin,
  COUNTIF(invalid) AS invalid_rows,
  SUM(extra_copies) AS duplicate_rows,
  COUNTIF(defaulted) AS defaulted_rows
FROM weighted
GROUP BY 1, 2, 3
ORDER BY 1, 3, 2
