-- The seed's "check feature values at prediction time": graded predictions of one
-- game date whose critical_features say has_vegas_line = 0.0, with the outcome.
-- Optionally one player (@player_lookup = '' for all).
-- Params: @game_date DATE, @player_lookup STRING
SELECT
  player_lookup,
  system_id,
  build_commit_sha,
  JSON_VALUE(critical_features, '$.has_vegas_line') AS has_vegas,
  JSON_VALUE(critical_features, '$.ppm_avg_last_10') AS ppm,
  line_value,
  predicted_points,
  actual_points,
  prediction_correct
FROM prediction_accuracy
WHERE game_date BETWEEN @game_date AND @game_date
  AND SAFE_CAST(JSON_VALUE(critical_features, '$.has_vegas_line') AS FLOAT64) = 0.0
  AND (@player_lookup = '' OR player_lookup = @player_lookup)
ORDER BY system_id, player_lookup
LIMIT 1000
