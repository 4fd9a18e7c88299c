-- How often each commit's picks side with the public record, per slate, beyond chance:
-- of the picks (OVER/UNDER) on each player's latest visible prediction, those whose side
-- matches the side of the player's recent form against the same line (the form: the
-- player's mean actual_points over their last @reference_games graded games before the
-- slate, at least @min_reference_games of them within @reference_days, as graded by the
-- time the pick was made). A model with information leans on a player's form where the
-- line has not caught up with it; one that lost it agrees only by chance: an OVER pick
-- with the share of the slate's lined players whose form is above their line
-- (form_above / lined_with_form), an UNDER pick with the rest. over_picks, form_above and
-- lined_with_form let the check take that chance out, whatever the model's mix of sides.
-- The form is commit-agnostic (a player's points are the same whichever commit
-- predicted them): one value per player and game date (a game graded for several
-- systems, or without a game_id, counts once), the latest grade the pick could see: a
-- grade (or a re-grade) after the pick's predicted_at (or @as_of) is not in its form.
-- A pick without a line, or whose player has no form or a form exactly on the line, has
-- no side to agree with (picks_without_reference). A line or prediction that is NaN or
-- infinite is counted in invalid_rows and never used.
-- defaulted_rows: rows carrying the configured sentinels (has_vegas_line at
-- @vegas_sentinel while the row has a line, or ppm_avg_last_10 at @ppm_sentinel): a
-- slate that wrote defaults is no baseline for the commits after it.
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
    COALESCE(predicted_at, @as_of) AS seen_at,
    predicted_at,
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
lined AS (
  SELECT *
  FROM latest
  WHERE line_value IS NOT NULL AND NOT invalid
),
grades AS (
  -- Every grade of a player's game, one per grading time (systems graded together
  -- count once): a pick's form reads the latest grade of each game it could see.
  SELECT player_lookup, game_date, graded_at, MAX(actual_points) AS actual_points
  FROM prediction_accuracy
  WHERE game_date BETWEEN DATE_SUB(@start_date, INTERVAL @reference_days DAY) AND @end_date
    AND graded_at IS NOT NULL AND graded_at <= @as_of
    AND actual_points IS NOT NULL
    AND NOT IS_NAN(actual_points) AND NOT IS_INF(actual_points)
  GROUP BY player_lookup, game_date, graded_at
),
seen AS (
  SELECT
    p.system_id,
    p.game_date,
    p.player_lookup,
    g.game_date AS played_on,
    g.actual_points
  FROM lined AS p
  JOIN grades AS g
    ON g.player_lookup = p.player_lookup
   AND g.game_date < p.game_date
   AND g.game_date >= DATE_SUB(p.game_date, INTERVAL @reference_days DAY)
   AND g.graded_at <= p.seen_at
  QUALIFY ROW_NUMBER() OVER (PARTITION BY p.system_id, p.game_date, p.player_lookup,
                                          g.game_date
                             ORDER BY g.graded_at DESC, g.actual_points DESC) = 1
),
history AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY system_id, game_date, player_lookup
                       ORDER BY played_on DESC) AS back
  FROM seen
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
    p.recommendation IN ('OVER', 'UNDER') AS is_pick,
    p.recommendation,
    IF(r.games >= @min_reference_games AND r.form != p.line_value,
       IF(r.form > p.line_value, 'OVER', 'UNDER'), NULL) AS form_side
  FROM lined AS p
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
    COUNT(*) AS latest_rows,
    COUNTIF(recommendation IN ('OVER', 'UNDER') AND line_value IS NULL AND NOT invalid)
      AS picks_without_line,
    MIN(predicted_at) AS first_predicted_at
  FROM latest
  GROUP BY system_id, build_commit_sha, game_date
),
agreement AS (
  SELECT
    system_id,
    build_commit_sha,
    game_date,
    COUNTIF(is_pick AND form_side IS NOT NULL) AS picks,
    COUNTIF(is_pick AND form_side = recommendation) AS agreements,
    COUNTIF(is_pick AND form_side IS NOT NULL AND recommendation = 'OVER') AS over_picks,
    COUNTIF(is_pick AND form_side IS NULL) AS picks_without_form,
    COUNT(form_side) AS lined_with_form,
    COUNTIF(form_side = 'OVER') AS form_above
  FROM sided
  GROUP BY system_id, build_commit_sha, game_date
)
SELECT
  c.system_id,
  c.build_commit_sha,
  c.game_date,
  COALESCE(a.picks, 0) AS picks,
  COALESCE(a.agreements, 0) AS agreements,
  COALESCE(a.over_picks, 0) AS over_picks,
  COALESCE(a.lined_with_form, 0) AS lined_with_form,
  COALESCE(a.form_above, 0) AS form_above,
  COALESCE(a.picks_without_form, 0) + c.picks_without_line AS picks_without_reference,
  c.invalid_rows,
  c.defaulted_rows,
  c.latest_rows,
  c.first_predicted_at
FROM by_commit AS c
LEFT JOIN agreement AS a
  ON a.system_id = c.system_id AND a.build_commit_sha = c.build_commit_sha
 AND a.game_date = c.game_date
ORDER BY c.system_id, c.game_date, c.build_commit_sha
