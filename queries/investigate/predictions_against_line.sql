-- What prediction_edge_collapsed is about: one game date's latest prediction per
-- system and player with a Vegas line, how far it stands from the line (edge =
-- predicted_points - line_value) and the pick, closest to the line first. A model that
-- lost an input shows here as edges bunched near 0. Optionally one system
-- (@system_id = '' for all).
-- Params: @game_date DATE, @system_id STRING
WITH latest AS (
  SELECT *
  FROM player_prop_predictions
  WHERE game_date BETWEEN @game_date AND @game_date
    AND (@system_id = '' OR system_id = @system_id)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY system_id, game_date, player_lookup
                             ORDER BY predicted_at DESC, prediction_id DESC) = 1
)
SELECT
  system_id,
  build_commit_sha,
  player_lookup,
  line_value,
  predicted_points,
  ROUND(predicted_points - line_value, 2) AS edge,
  recommendation,
  predicted_at
FROM latest
WHERE line_value IS NOT NULL AND predicted_points IS NOT NULL
ORDER BY system_id, ABS(predicted_points - line_value), player_lookup
LIMIT 1000
