-- Feature-default rates at prediction time, per system, game date and commit,
-- every batch included (a superseded broken batch is still evidence).
-- critical_features may be missing (SQL NULL), JSON null, malformed, not an
-- object, or lack keys: each is counted apart and none fails the query. A feature
-- of the wrong JSON type (has_vegas_line "no" or true) is that feature's wrong_type
-- and makes its row malformed; a numeric string ("0.0") is the number. Bad rows are
-- counted, never trusted: a NaN or infinite line_value is invalid, a prediction_id
-- written twice counts once (the latest predicted_at wins), and a predicted_at in
-- the future (past the warehouse's clock plus 5 minutes: clock skew, a bad backfill)
-- is counted and kept, never hidden behind @as_of.
-- Critical features come from alerts.yaml: every projection aliased fx_* is written
-- for one placeholder feature (JSON path $.fx) and repeated per configured feature
-- as f0_*, f1_*, ... with its @fx_* parameters renamed alike; ANY_FEATURE(e) is e
-- OR'ed over the features (monitor/warehouse/sql_dialect.py). One scan of the table
-- however many features are configured.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP,
--         @fx_sentinel FLOAT64, @fx_has_sentinel BOOL, @fx_line_only BOOL,
--         @fx_low FLOAT64, @fx_high FLOAT64, @fx_has_range BOOL
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
    SAFE_CAST(JSON_VALUE(critical_features, '$.fx') AS FLOAT64) AS fx_value,
    JSON_TYPE(JSON_QUERY(critical_features, '$.fx')) AS fx_type
  FROM visible
),
typed AS (
  SELECT
    *,
    -- present, not JSON null, and not a number (nor a numeric string)
    COALESCE(fx_type != 'null' AND (fx_value IS NULL OR IS_NAN(fx_value) OR IS_INF(fx_value)),
             FALSE) AS fx_wrong,
    COALESCE(fx_type != 'null' AND NOT IS_NAN(fx_value) AND NOT IS_INF(fx_value), FALSE)
      AND features_type = 'object' AS fx_present
  FROM classified
),
row_level AS (
  SELECT
    *,
    COALESCE(ANY_FEATURE(fx_wrong), FALSE) AS wrong_type,
    COALESCE(ANY_FEATURE(fx_type IS NULL), FALSE) AS lacks_key
  FROM typed
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
  -- per feature: present (a finite number), wrong JSON type, rows it is judged on
  -- (only rows with a Vegas line when the feature is configured `when: line_present`),
  -- at its sentinel among those, and outside its configured range
  COUNTIF(fx_present) AS fx_present,
  COUNTIF(features_type = 'object' AND fx_wrong) AS fx_wrong_type,
  COUNTIF(fx_present AND (NOT @fx_line_only OR line_value IS NOT NULL)) AS fx_eligible,
  COUNTIF(fx_present AND @fx_has_sentinel AND (NOT @fx_line_only OR line_value IS NOT NULL)
          AND ABS(fx_value - @fx_sentinel) < 0.000001) AS fx_at_sentinel,
  COUNTIF(fx_present AND @fx_has_range AND (fx_value < @fx_low OR fx_value > @fx_high))
    AS fx_out_of_range,
  COUNTIF(invalid) AS invalid_rows,
  SUM(extra_copies) AS duplicate_rows,
  COUNTIF(future) AS future_rows,
  MIN(predicted_at) AS first_predicted_at,
  MAX(predicted_at) AS last_predicted_at,
  MAX(deployment_revision) AS deployment_revision
FROM row_level
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
