-- How often each commit's picks side with the public record, per slate: of the picks
-- (OVER/UNDER) on each player's latest visible prediction, those whose side matches the
-- side of the player's recent scoring average against the same line (the mean
-- actual_points of the player's last @reference_games graded games before the slate,
-- at least @min_reference_games of them within @reference_days). A model with
-- information leans on a player's form where the line has not caught up with it; one
-- that lost it picks its sides at random, and the agreement falls to a coin's 50%, on
-- the slate's first batch, days before the grading can say so.
-- The reference is commit-agnostic (a player's points are the same whichever commit
-- predicted them; a game graded for several systems counts once) and only what was
-- graded by @as_of counts. A pick without a finite line, or whose reference sits exactly
-- on the line, has no side to agree with (picks_without_reference). A line or prediction
-- that is NaN or infinite is counted in invalid_rows and never used.
-- defaulted_rows: rows carrying the configured sentinels (has_vegas_line at
-- @vegas_sentinel while the row has a line, or ppm_avg_last_10 at @ppm_sentinel): a
-- commit that wrote defaults is no baseline for the commits after it.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP, @reference_games INT64,
--         @min_reference_games INT64, @reference_days INT64,
--         @vegas_sentinel FLOAT64, @ppm_sentinel FLOAT64
WITH latest AS (
  SELECT
    system_id,
    game_date,
    player_lookup,
    COALESCE(NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), 'unknown') AS build_commit_sha,
    recommendation,
    line_value,
    COALESCE(IS_NAN(predicted_points) OR IS_INF(predicted_points)
             OR IS_NAN(line_value) OR IS_INF(line_value), FALSE) AS invalid,
    COALESCE((line_value IS NOT NULL AND SAFE_CAST(JSON_VALUE(critical_features,
                '$.has_vegas_line') AS FLOAT64) = @vegas_sentinel)
             OR SAFE_CAST(JSON_VALUE(critical_features, '$.ppm_avg_last_10') AS FLOAT64)
                = @ppm_sentinel, FALSE) AS defaulted
  FROM player_prop_predictions
  WHERE game_date BETWEEN @start_date AND @end_date
    AND (predicted_at IS NULL OR predicted_at <= @as_of)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY system_id, game_date, player_lookup
                             ORDER BY predicted_at DESC, prediction_id DESC) = 1
),
picks AS (
  SELECT *
  FROM latest
  WHERE recommendation IN ('OVER', 'UNDER') AND line_value IS NOT NULL AND NOT invalid
),
played AS (
  SELECT player_lookup, game_id, MAX(game_date) AS game_date,
         MAX(actual_points) AS actual_points
  FROM prediction_accuracy
  WHERE game_date BETWEEN DATE_SUB(@start_date, INTERVAL @reference_days DAY) AND @end_date
    AND graded_at IS NOT NULL AND graded_at <= @as_of
    AND actual_points IS NOT NULL
    AND NOT IS_NAN(actual_points) AND NOT IS_INF(actual_points)
  GROUP BY player_lookup, game_id
),
history AS (
  SELECT
    p.system_id,
    p.game_date,
    p.player_lookup,
    g.actual_points,
    ROW_NUMBER() OVER (PARTITION BY p.system_id, p.game_date, p.player_lookup
                       ORDER BY g.game_date DESC, g.game_id DESC) AS back
  FROM picks AS p
  JOIN played AS g
    ON g.player_lookup = p.player_lookup
   AND g.game_date < p.game_date
   AND g.game_date >= DATE_SUB(p.game_date, INTERVAL @reference_days DAY)
),
reference AS (
  SELECT system_id, game_date, player_lookup, AVG(actual_points) AS form,
         COUNT(*) AS games
  FROM history
  WHERE back <= @reference_games
  GROUP BY system_id, game_date, player_lookup
),
sided AS (
  SELECT
    p.system_id,
    p.game_date,
    p.build_commit_sha,
    p.recommendation,
    IF(r.games >= @min_reference_games AND r.form != p.line_value,
       IF(r.form > p.line_value, 'OVER', 'UNDER'), NULL) AS form_side
  FROM picks AS p
  LEFT JOIN reference AS r
    ON r.system_id = p.system_id AND r.game_date = p.game_date
   AND r.player_lookup = p.player_lookup
),
by_commit AS (
  SELECT
    system_id,
    build_commit_sha,
    game_date,
    COUNTIF(invalid) AS invalid_rows,
    COUNTIF(defaulted) AS defaulted_rows,
    COUNT(*) AS latest_rows
  FROM latest
  GROUP BY system_id, build_commit_sha, game_date
),
agreement AS (
  SELECT
    system_id,
    build_commit_sha,
    game_date,
    COUNT(form_side) AS picks,
    COUNTIF(form_side = recommendation) AS agreements,
    COUNTIF(form_side IS NULL) AS picks_without_reference
  FROM sided
  GROUP BY system_id, build_commit_sha, game_date
)
SELECT
  c.system_id,
  c.build_commit_sha,
  c.game_date,
  COALESCE(a.picks, 0) AS picks,
  COALESCE(a.agreements, 0) AS agreements,
  COALESCE(a.picks_without_reference, 0) AS picks_without_reference,
  c.invalid_rows,
  c.defaulted_rows,
  c.latest_rows
FROM by_commit AS c
LEFT JOIN agreement AS a
  ON a.system_id = c.system_id AND a.build_commit_sha = c.build_commit_sha
 AND a.game_date = c.game_date
ORDER BY c.system_id, c.game_date, c.build_commit_sha
