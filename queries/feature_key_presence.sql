-- Which configured critical_features keys any prediction row carried in a window (a
-- key present with any value, JSON null included): a configured key that no row of
-- any commit carried is absent from the deployment, one warning naming it, and is
-- left out of the per-commit missing-feature counts.
-- The fx_* projections repeat per configured key (monitor/warehouse/sql_dialect.py).
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP
WITH keyed AS (
  SELECT
    JSON_TYPE(critical_features) AS features_type,
    JSON_TYPE(JSON_QUERY(critical_features, '$.fx')) AS fx_type
  FROM player_prop_predictions
  WHERE game_date BETWEEN @start_date AND @end_date
    AND (predicted_at IS NULL OR predicted_at <= @as_of)
)
SELECT
  COUNTIF(features_type = 'object') AS object_rows,
  COUNTIF(fx_type IS NOT NULL) AS fx_carried
FROM keyed
