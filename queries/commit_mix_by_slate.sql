-- Provenance of each slate's predictions: how many commits wrote it, and how many
-- rows carry no commit (NULL, empty or 'unknown'). Bad rows are counted here too:
-- copies of a prediction_id already written (duplicate_rows), and rows whose
-- predicted_at is in the future (past the warehouse's clock plus 5 minutes: clock
-- skew, a bad backfill), which are kept whatever @as_of says so none can hide.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP
WITH visible AS (
  SELECT
    *,
    predicted_at > TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 5 MINUTE) AS future,
    ROW_NUMBER() OVER (PARTITION BY system_id, prediction_id ORDER BY predicted_at DESC) > 1 AS copy
  FROM player_prop_predictions
  WHERE game_date BETWEEN @start_date AND @end_date
    AND (predicted_at IS NULL OR predicted_at <= @as_of
         OR predicted_at > TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 5 MINUTE))
)
SELECT
  system_id,
  game_date,
  COUNT(*) AS prediction_rows,
  COUNT(DISTINCT NULLIF(NULLIF(build_commit_sha, ''), 'unknown')) AS known_commits,
  COUNTIF(build_commit_sha IS NULL OR build_commit_sha IN ('', 'unknown')) AS unknown_rows,
  STRING_AGG(DISTINCT NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), ','
             ORDER BY NULLIF(NULLIF(build_commit_sha, ''), 'unknown')) AS commits,
  COUNTIF(copy) AS duplicate_rows,
  COUNTIF(future) AS future_rows,
  MAX(IF(future, predicted_at, NULL)) AS latest_future_predicted_at
FROM visible
GROUP BY 1, 2
ORDER BY 1, 2
