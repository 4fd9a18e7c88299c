-- Active predictions per system and build commit with no grade as of @as_of, over game
-- dates whose grading settled (the caller ends the window there): never graded — a late
-- scratch (predicted, did not play), a game called off. Counted beside the commit's hit
-- rate and reported, never judged. NULL and 'unknown' commits form one 'unknown' group,
-- as in hit_rate_by_commit.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP
WITH graded_ids AS (
  SELECT DISTINCT system_id, prediction_id
  FROM prediction_accuracy
  WHERE game_date BETWEEN @start_date AND @end_date
    AND (graded_at IS NULL OR graded_at <= @as_of)
)
SELECT
  p.system_id,
  COALESCE(NULLIF(NULLIF(p.build_commit_sha, ''), 'unknown'), 'unknown') AS build_commit_sha,
  COUNT(*) AS ungraded
FROM player_prop_predictions AS p
LEFT JOIN graded_ids AS g
  ON g.system_id = p.system_id AND g.prediction_id = p.prediction_id
WHERE p.game_date BETWEEN @start_date AND @end_date
  AND (p.predicted_at IS NULL OR p.predicted_at <= @as_of)
  AND p.is_active
  AND g.prediction_id IS NULL
GROUP BY 1, 2
ORDER BY 1, 2
