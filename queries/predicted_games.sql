-- Predictions per system and game for the slates being predicted, to hold against the
-- calendar: a scheduled game a system skipped, a game or date the calendar lacks.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP
SELECT
  system_id,
  game_date,
  game_id,
  COUNT(*) AS predictions
FROM player_prop_predictions
WHERE game_date BETWEEN @start_date AND @end_date
  AND (predicted_at IS NULL OR predicted_at <= @as_of)
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
