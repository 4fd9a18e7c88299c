-- Feature-default rates at prediction time, per system, game date and commit,
-- every batch included (a superseded broken batch is still evidence).
-- critical_features may be missing (SQL NULL), JSON null, malformed, not an
-- object, or lack keys: each is counted apart and none fails the query. A feature
-- of the wrong JSON type (has_vegas_line "no" or true) is malformed; a numeric
-- string ("0.0") is the number. Bad rows are counted, never trusted: a NaN or
-- infinite line_value is invalid, a prediction_id written twice counts once (the
-- latest predicted_at wins), and a predicted_at in the future (past the warehouse's
-- clock plus 5 minutes: clock skew, a bad backfill) is counted and kept, never
-- hidden behind @as_of.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP,
--         @has_vegas_line_default FLOAT64, @ppm_default FLOAT64
WITH visible AS (
  SELECT
    *,
    predicted_at > TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 5 MINUTE) AS future,
    COUNT(*) OVER (PARTITION BY system_id, prediction_id) - 1 AS extra_copies
  FROM player_prop_predictions
  WHERE game_date BETWEEN @start_date AND @end_date
    AND (predicted_at IS NULL OR predicted_at <= @as_of
         OR predicted_at > TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 5 MINUTE))
  QUALIFY ROW_NUMBER() OVER (PARTITION BY system_id, prediction_id ORDER BY predicted_at DESC) = 1
),
classified AS (
  SELECT
    system_id,
    game_date,
    COALESCE(NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), 'unknown') AS build_commit_sha,
    deployment_revision,
    predicted_at,
    future,
    extra_copies,
    IF(IS_NAN(line_value) OR IS_INF(line_value), NULL, line_value) AS line_value,
    COALESCE(IS_NAN(line_value) OR IS_INF(line_value), FALSE) AS invalid,
    JSON_TYPE(critical_features) AS features_type,
    SAFE_CAST(JSON_VALUE(critical_features, '$.has_vegas_line') AS FLOAT64) AS has_vegas_line,
    SAFE_CAST(JSON_VALUE(critical_features, '$.ppm_avg_last_10') AS FLOAT64) AS ppm_avg_last_10,
    JSON_TYPE(JSON_QUERY(critical_features, '$.has_vegas_line')) AS has_vegas_line_type,
    JSON_TYPE(JSON_QUERY(critical_features, '$.ppm_avg_last_10')) AS ppm_type,
    (JSON_QUERY(critical_features, '$.vegas_points_line') IS NULL
      OR JSON_QUERY(critical_features, '$.has_vegas_line') IS NULL
      OR JSON_QUERY(critical_features, '$.ppm_avg_last_10') IS NULL
      OR JSON_QUERY(critical_features, '$.team_win_pct') IS NULL) AS lacks_key
  FROM visible
),
typed AS (
  SELECT
    *,
    -- present, not JSON null, and not a number (nor a numeric string)
    COALESCE((has_vegas_line_type != 'null'
              AND (has_vegas_line IS NULL OR IS_NAN(has_vegas_line) OR IS_INF(has_vegas_line)))
             OR (ppm_type != 'null'
                 AND (ppm_avg_last_10 IS NULL OR IS_NAN(ppm_avg_last_10)
                      OR IS_INF(ppm_avg_last_10))), FALSE) AS wrong_type
  FROM classified
)
SELECT
  system_id,
  game_date,
  build_commit_sha,
  COUNT(*) AS feature_rows,
  COUNTIF(features_type IS NULL) AS features_absent,
  COUNTIF(features_type = 'null') AS features_null,
  COUNTIF((features_type IS NOT NULL AND features_type NOT IN ('object', 'null'))
          OR (features_type = 'object' AND wrong_type)) AS features_malformed,
  COUNTIF(features_type = 'object' AND lacks_key AND NOT wrong_type) AS features_incomplete,
  COUNTIF(features_type = 'object' AND line_value IS NOT NULL AND NOT wrong_type
          AND has_vegas_line IS NOT NULL) AS rows_with_line,
  COUNTIF(features_type = 'object' AND line_value IS NOT NULL AND NOT wrong_type
          AND has_vegas_line = @has_vegas_line_default) AS vegas_mismatch,
  COUNTIF(features_type = 'object' AND NOT wrong_type
          AND ppm_avg_last_10 IS NOT NULL) AS rows_with_ppm,
  COUNTIF(features_type = 'object' AND NOT wrong_type
          AND ABS(ppm_avg_last_10 - @ppm_default) < 0.000001) AS ppm_default,
  COUNTIF(invalid) AS invalid_rows,
  SUM(extra_copies) AS duplicate_rows,
  COUNTIF(future) AS future_rows,
  MIN(predicted_at) AS first_predicted_at,
  MAX(predicted_at) AS last_predicted_at,
  MAX(deployment_revision) AS deployment_revision
FROM typed
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
