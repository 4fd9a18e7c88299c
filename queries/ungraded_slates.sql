-- Active predictions of past slates against their graded rows: a slate still
-- ungraded after its grading time is missing data, not a healthy silence. Games the
-- calendar says were postponed or cancelled are never graded: they do not count. They
-- are keyed "game_id|YYYY-MM-DD" (LeagueCalendar.called_off_keys): a game postponed on
-- one date and played on another keeps its game_id, and is left out on the first only.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP, @called_off_keys ARRAY<STRING>
WITH predicted AS (
  SELECT system_id, game_date, COUNT(*) AS predicted
  FROM player_prop_predictions
  WHERE game_date BETWEEN @start_date AND @end_date
    AND (predicted_at IS NULL OR predicted_at <= @as_of)
    AND is_active
    AND (game_id IS NULL
         OR CONCAT(game_id, '|', CAST(game_date AS STRING)) NOT IN UNNEST(@called_off_keys))
  GROUP BY 1, 2
),
graded AS (
  SELECT system_id, game_date, COUNT(*) AS graded
  FROM prediction_accuracy
  WHERE game_date BETWEEN @start_date AND @end_date
    AND (graded_at IS NULL OR graded_at <= @as_of)
    AND (game_id IS NULL
         OR CONCAT(game_id, '|', CAST(game_date AS STRING)) NOT IN UNNEST(@called_off_keys))
  GROUP BY 1, 2
)
SELECT p.system_id, p.game_date, p.predicted, COALESCE(g.graded, 0) AS graded
FROM predicted AS p
LEFT JOIN graded AS g USING (system_id, game_date)
ORDER BY 1, 2
