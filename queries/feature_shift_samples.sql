-- The sample days of what changed with a commit (the first of feature_shift's two
-- queries): for each commit new to a system (first seen at or after @new_from, in any
-- mode, daily or backfill), its first @slate_days game days ('new'), and the last
-- @reference_days game days before them of the commit it replaced on that system (the
-- one first seen before it), searched over @reference_span_days calendar days, breaks
-- included ('replaced'). One row per change, side and game day, with the commit whose
-- rows are read that day (`source_commit`). Keys only: feature_shift.sql reads the
-- JSON text of these days alone, so a planner never has to guess how few they are.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP, @new_from TIMESTAMP,
--         @slate_days INT64, @reference_days INT64, @reference_span_days INT64
WITH visible AS (
  SELECT
    system_id,
    game_date,
    predicted_at,
    COALESCE(NULLIF(NULLIF(build_commit_sha, ''), 'unknown'), 'unknown') AS build_commit_sha
  FROM player_prop_predictions
  WHERE game_date BETWEEN @start_date AND @end_date
    AND predicted_at <= @as_of
),
game_days AS (
  -- One row per system, commit and game day it served: all the rest reads these
  -- (a few thousand rows), not the predictions again.
  SELECT system_id, build_commit_sha, game_date, MIN(predicted_at) AS first_seen_at
  FROM visible
  WHERE build_commit_sha != 'unknown'
  GROUP BY 1, 2, 3
),
commits AS (
  SELECT system_id, build_commit_sha, MIN(first_seen_at) AS first_seen_at,
         MIN(game_date) AS first_date, COUNT(*) AS game_days
  FROM game_days
  GROUP BY 1, 2
),
ordered AS (
  SELECT
    *,
    LAG(build_commit_sha) OVER (PARTITION BY system_id ORDER BY first_seen_at) AS replaced_commit
  FROM commits
),
changes AS (
  SELECT o.system_id, o.build_commit_sha, o.replaced_commit, o.first_date,
         r.game_days < @slate_days AS replaced_briefly
  FROM ordered AS o
  JOIN commits AS r
    ON r.system_id = o.system_id AND r.build_commit_sha = o.replaced_commit
  WHERE o.replaced_commit IS NOT NULL AND o.first_seen_at >= @new_from
),
sample_days AS (
  -- The new commit's first @slate_days game days; on the replaced side, the replaced
  -- commit's last @reference_days game days before them — and, where it served fewer
  -- than @slate_days game days, the system's, whichever commit served them. Game days,
  -- so an All-Star break is no gap.
  SELECT c.system_id, c.build_commit_sha, c.replaced_commit, d.game_date,
         d.build_commit_sha AS source_commit, 'new' AS side
  FROM changes AS c
  JOIN game_days AS d USING (system_id, build_commit_sha)
  QUALIFY DENSE_RANK() OVER (PARTITION BY c.system_id, c.build_commit_sha
                             ORDER BY d.game_date) <= @slate_days
  UNION ALL
  SELECT c.system_id, c.build_commit_sha, c.replaced_commit, d.game_date,
         d.build_commit_sha AS source_commit, 'replaced' AS side
  FROM changes AS c
  JOIN game_days AS d
    ON d.system_id = c.system_id
   AND d.game_date < c.first_date
   AND DATE_DIFF(c.first_date, d.game_date, DAY) <= @reference_span_days
   AND (d.build_commit_sha = c.replaced_commit OR c.replaced_briefly)
  QUALIFY DENSE_RANK() OVER (PARTITION BY c.system_id, c.build_commit_sha
                             ORDER BY d.game_date DESC) <= @reference_days
)
SELECT system_id, build_commit_sha, replaced_commit, side, game_date, source_commit
FROM sample_days
ORDER BY 1, 2, 4, 5, 6
