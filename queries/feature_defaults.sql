-- Feature-default rates at prediction time, per system, game date and commit,
-- every batch included (a superseded broken batch is still evidence).
-- critical_features may be missing (SQL NULL), JSON null, malformed, not an
-- object, or lack keys: each is counted apart and none fails the query.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP,
--         @has_vegas_line_default FLOAT64, @ppm_default FLOAT64
WITH classified AS (
  SELECT
    system_id,
    game_date,
    COALESCE(NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), 'unknown') AS build_commit_sha,
    deployment_revision,
    predicted_at,
    line_value,
    JSON_TYPE(critical_features) AS features_type,
    SAFE_CAST(JSON_VALUE(critical_features, '$.has_vegas_line') AS FLOAT64) AS has_vegas_line,
    SAFE_CAST(JSON_VALUE(critical_features, '$.ppm_avg_last_10') AS FLOAT64) AS ppm_avg_last_10,
    (JSON_QUERY(critical_features, '$.vegas_points_line') IS NULL
      OR JSON_QUERY(critical_features, '$.has_vegas_line') IS NULL
      OR JSON_QUERY(critical_features, '$.ppm_avg_last_10') IS NULL
      OR JSON_QUERY(critical_features, '$.team_win_pct') IS NULL) AS lacks_key
  FROM player_prop_predictions
  WHERE game_date BETWEEN @start_date AND @end_date
    AND (predicted_at IS NULL OR predicted_at <= @as_of)
)
SELECT
  system_id,
  game_date,
  build_commit_sha,
  COUNT(*) AS feature_rows,
  COUNTIF(features_type IS NULL) AS features_absent,
  COUNTIF(features_type = 'null') AS features_null,
  COUNTIF(features_type IS NOT NULL AND features_type NOT IN ('object', 'null')) AS features_malformed,
  COUNTIF(features_type = 'object' AND lacks_key) AS features_incomplete,
  COUNTIF(features_type = 'object' AND line_value IS NOT NULL
          AND has_vegas_line IS NOT NULL) AS rows_with_line,
  COUNTIF(features_type = 'object' AND line_value IS NOT NULL
          AND has_vegas_line = @has_vegas_line_default) AS vegas_mismatch,
  COUNTIF(features_type = 'object' AND ppm_avg_last_10 IS NOT NULL) AS rows_with_ppm,
  COUNTIF(features_type = 'object'
          AND ABS(ppm_avg_last_10 - @ppm_default) < 0.000001) AS ppm_default,
  MIN(predicted_at) AS first_predicted_at,
  MAX(predicted_at) AS last_predicted_at,
  MAX(deployment_revision) AS deployment_revision
FROM classified
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
