-- How far each system's predictions stand from the Vegas line, per game date, against
-- the system's own @baseline_days before it: the mean and spread of
-- |predicted_points - line_value| over each player's latest visible prediction with a
-- line. A model that lost what it knew falls back on the line, the one strong input
-- it still has: its predictions hug it, and its picks become coin flips, days before
-- the grading can say so.
-- Each player's latest prediction counts (a retry replaces the morning's), with or
-- without a line: a player whose latest prediction lost its line is no edge, not the
-- older one's. Bad rows are counted, never trusted: a line or prediction that is NaN or
-- infinite is left out of the means and counted in invalid_rows; a row without
-- predicted_at (written before the column existed) counts, as in feature_defaults.
-- A slate is measured per commit (the commit of each player's latest prediction; NULL
-- or '' reads 'unknown'), so a slate served by two commits gives a row for each; the
-- baseline is the system's, whichever commits served its trailing days, except a
-- commit's day whose rows carried the configured sentinels on more than a tenth of them
-- (has_vegas_line at @vegas_sentinel while the row has a line, or ppm_avg_last_10 at
-- @ppm_sentinel): broken rows stand anywhere from the line, and a healthy fix measured
-- against them would look collapsed.
-- Params: @start_date DATE, @end_date DATE, @baseline_start DATE, @as_of TIMESTAMP,
--         @baseline_days INT64, @vegas_sentinel FLOAT64, @ppm_sentinel FLOAT64
WITH latest AS (
  SELECT
    system_id,
    game_date,
    COALESCE(NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), 'unknown') AS build_commit_sha,
    predicted_points,
    line_value,
    COALESCE((line_value IS NOT NULL AND SAFE_CAST(JSON_VALUE(critical_features,
                '$.has_vegas_line') AS FLOAT64) = @vegas_sentinel)
             OR SAFE_CAST(JSON_VALUE(critical_features, '$.ppm_avg_last_10') AS FLOAT64)
                = @ppm_sentinel, FALSE) AS defaulted
  FROM player_prop_predictions
  WHERE game_date BETWEEN @baseline_start AND @end_date
    AND (predicted_at IS NULL OR predicted_at <= @as_of)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY system_id, game_date, player_lookup
                             ORDER BY predicted_at DESC, prediction_id DESC) = 1
),
lined AS (
  SELECT
    system_id,
    game_date,
    build_commit_sha,
    predicted_points - line_value AS edge,
    defaulted,
    COALESCE(IS_NAN(predicted_points) OR IS_INF(predicted_points)
             OR IS_NAN(line_value) OR IS_INF(line_value), FALSE) AS invalid
  FROM latest
  WHERE line_value IS NOT NULL AND predicted_points IS NOT NULL
),
by_commit AS (
  SELECT
    system_id,
    game_date,
    build_commit_sha,
    COUNTIF(NOT invalid) AS lined_rows,
    COUNTIF(invalid) AS invalid_rows,
    COUNTIF(defaulted) AS defaulted_rows,
    SUM(IF(invalid, 0, ABS(edge))) AS sum_abs_edge,
    SUM(IF(invalid, 0, edge * edge)) AS sum_sq_edge
  FROM lined
  GROUP BY 1, 2, 3
),
-- The system's whole slate, whichever commits served it, but for commits' days that
-- wrote defaults: what a baseline day holds.
daily AS (
  SELECT
    system_id,
    game_date,
    SUM(lined_rows) AS lined_rows,
    SUM(sum_abs_edge) AS sum_abs_edge,
    SUM(sum_sq_edge) AS sum_sq_edge
  FROM by_commit
  WHERE defaulted_rows <= 0.1 * (lined_rows + invalid_rows)
  GROUP BY 1, 2
),
baseline AS (
  SELECT
    d.system_id,
    d.game_date,
    SUM(b.lined_rows) AS lined_rows,
    SUM(b.sum_abs_edge) AS sum_abs_edge,
    SUM(b.sum_sq_edge) AS sum_sq_edge,
    COUNT(*) AS days
  FROM daily AS d
  JOIN daily AS b
    ON b.system_id = d.system_id
    AND b.game_date < d.game_date
    AND b.game_date >= DATE_SUB(d.game_date, INTERVAL @baseline_days DAY)
    AND b.lined_rows > 0
  WHERE d.game_date BETWEEN @start_date AND @end_date
  GROUP BY 1, 2
)
SELECT
  d.system_id,
  d.game_date,
  d.build_commit_sha,
  d.lined_rows,
  d.invalid_rows,
  d.sum_abs_edge,
  d.sum_sq_edge,
  COALESCE(b.lined_rows, 0) AS baseline_rows,
  b.sum_abs_edge AS baseline_sum_abs_edge,
  b.sum_sq_edge AS baseline_sum_sq_edge,
  COALESCE(b.days, 0) AS baseline_days
FROM by_commit AS d
LEFT JOIN baseline AS b
  ON b.system_id = d.system_id AND b.game_date = d.game_date
WHERE d.game_date BETWEEN @start_date AND @end_date
ORDER BY 1, 2, 3
