-- Provenance of each slate's predictions: how many commits wrote it, and how many
-- rows carry no commit (NULL, empty or 'unknown').
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP
SELECT
  system_id,
  game_date,
  COUNT(*) AS prediction_rows,
  COUNT(DISTINCT NULLIF(NULLIF(build_commit_sha, ''), 'unknown')) AS known_commits,
  COUNTIF(build_commit_sha IS NULL OR build_commit_sha IN ('', 'unknown')) AS unknown_rows,
  STRING_AGG(DISTINCT NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), ',') AS commits
FROM player_prop_predictions
WHERE game_date BETWEEN @start_date AND @end_date
  AND (predicted_at IS NULL OR predicted_at <= @as_of)
GROUP BY 1, 2
ORDER BY 1, 2
