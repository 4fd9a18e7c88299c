-- What changed with a commit: each critical feature's distribution on a new commit's
-- first game days against the commit it replaced on the same system, on the sample
-- days feature_shift_samples.sql chose (its rows arrive as the parallel @sample_*
-- arrays, one element per change, side and game day), like for like: each player's
-- latest row per side, players on both sides. Values are binned on the replaced
-- side's deciles (NTILE over its regular values: present, not the sentinel), the
-- sentinel a bin of its own (-1), missing or wrong-typed a bin of its own (-2); one
-- row per change and side ('new', 'replaced').
-- @start_date and @end_date bound the partition column: the first and last sample day.
-- Per-feature columns: every fx_* projection is repeated per configured feature as
-- f0_*, f1_*, ... (monitor/warehouse/sql_dialect.py): more features add no pass over
-- the table. It is read twice, both times only on the sample days: for the keys of
-- each player's latest row, then for the JSON of the rows kept.
-- Params: @start_date DATE, @end_date DATE, @as_of TIMESTAMP,
--         @sample_system ARRAY<STRING>, @sample_commit ARRAY<STRING>,
--         @sample_replaced ARRAY<STRING>, @sample_side ARRAY<STRING>,
--         @sample_date ARRAY<DATE>, @sample_source ARRAY<STRING>,
--         @fx_sentinel FLOAT64, @fx_has_sentinel BOOL
WITH sample_days AS (
  SELECT
    system_id,
    @sample_commit[OFFSET(i)] AS build_commit_sha,
    @sample_replaced[OFFSET(i)] AS replaced_commit,
    @sample_side[OFFSET(i)] AS side,
    @sample_date[OFFSET(i)] AS game_date,
    @sample_source[OFFSET(i)] AS source_commit
  FROM UNNEST(@sample_system) AS system_id WITH OFFSET AS i
),
samples AS (
  -- Like for like: each player's latest row on each side, for the players both
  -- sides predicted, so a slate's mix of teams and players is no shift.
  -- The sample days are the join's small side: they come as parameters, so no
  -- planner builds a hash table on the predictions and their JSON text. Keys only
  -- here: the JSON of the rows kept is read in `matched`, not carried through the
  -- ranking of every candidate row.
  SELECT s.system_id, s.build_commit_sha, s.replaced_commit, s.side, s.source_commit,
         v.player_lookup, v.game_date, v.predicted_at
  FROM sample_days AS s
  JOIN player_prop_predictions AS v
    ON v.system_id = s.system_id
   AND v.game_date = s.game_date
   AND COALESCE(NULLIF(NULLIF(v.build_commit_sha, ''), 'unknown'), 'unknown') = s.source_commit
  WHERE v.game_date BETWEEN @start_date AND @end_date
    AND v.predicted_at <= @as_of
  QUALIFY ROW_NUMBER() OVER (PARTITION BY s.system_id, s.build_commit_sha, s.side,
                                          v.player_lookup
                             ORDER BY v.predicted_at DESC) = 1
),
matched_keys AS (
  SELECT *
  FROM samples
  QUALIFY MIN(side) OVER (PARTITION BY system_id, build_commit_sha, player_lookup)
       != MAX(side) OVER (PARTITION BY system_id, build_commit_sha, player_lookup)
),
matched AS (
  -- The rows kept, found again by their keys (exact copies of a row are one), with
  -- their JSON values. Read in the step with a window function: DuckDB keeps that
  -- step's result for its two readers (edges, binned) and would repeat a plain
  -- projection, and its JSON parsing, for each.
  SELECT m.system_id, m.build_commit_sha, m.replaced_commit, m.side,
         SAFE_CAST(JSON_VALUE(v.critical_features, '$.fx') AS FLOAT64) AS fx_raw
  FROM matched_keys AS m
  JOIN player_prop_predictions AS v
    ON v.system_id = m.system_id
   AND v.game_date = m.game_date
   AND v.predicted_at = m.predicted_at
   AND v.player_lookup IS NOT DISTINCT FROM m.player_lookup
   AND COALESCE(NULLIF(NULLIF(v.build_commit_sha, ''), 'unknown'), 'unknown') = m.source_commit
  WHERE v.game_date BETWEEN @start_date AND @end_date
    AND v.predicted_at <= @as_of
  QUALIFY ROW_NUMBER() OVER (PARTITION BY m.system_id, m.build_commit_sha, m.side,
                                          m.player_lookup) = 1
),
classified AS (
  SELECT
    *,
    IF(IS_NAN(fx_raw) OR IS_INF(fx_raw), NULL, fx_raw) AS fx_value,
    COALESCE(@fx_has_sentinel AND ABS(fx_raw - @fx_sentinel) < 0.000001, FALSE) AS fx_at_sentinel
  FROM matched
),
regular AS (
  SELECT
    *,
    fx_value IS NOT NULL AND NOT fx_at_sentinel AS fx_regular
  FROM classified
),
tiled AS (
  -- Deciles of the replaced side only: the new side is binned on its edges.
  SELECT
    system_id, build_commit_sha, fx_value, fx_regular,
    NTILE(10) OVER (PARTITION BY system_id, build_commit_sha, fx_regular
                    ORDER BY fx_value) AS fx_tile
  FROM regular
  WHERE side = 'replaced'
),
edges AS (
  -- the replaced commit's decile edges: the largest regular value of each tile
  SELECT
    system_id, build_commit_sha,
    MAX(IF(fx_regular AND fx_tile = 1, fx_value, NULL)) AS fx_e1,
    MAX(IF(fx_regular AND fx_tile = 2, fx_value, NULL)) AS fx_e2,
    MAX(IF(fx_regular AND fx_tile = 3, fx_value, NULL)) AS fx_e3,
    MAX(IF(fx_regular AND fx_tile = 4, fx_value, NULL)) AS fx_e4,
    MAX(IF(fx_regular AND fx_tile = 5, fx_value, NULL)) AS fx_e5,
    MAX(IF(fx_regular AND fx_tile = 6, fx_value, NULL)) AS fx_e6,
    MAX(IF(fx_regular AND fx_tile = 7, fx_value, NULL)) AS fx_e7,
    MAX(IF(fx_regular AND fx_tile = 8, fx_value, NULL)) AS fx_e8,
    MAX(IF(fx_regular AND fx_tile = 9, fx_value, NULL)) AS fx_e9
  FROM tiled
  GROUP BY 1, 2
),
binned AS (
  SELECT
    t.system_id, t.build_commit_sha, t.replaced_commit, t.side,
    t.fx_value,
    CASE
      WHEN t.fx_at_sentinel THEN -1
      WHEN t.fx_value IS NULL THEN -2
      -- the decile: how many edges the value is above (0..9)
      ELSE COALESCE(CAST(t.fx_value > e.fx_e1 AS INT64), 0)
        + COALESCE(CAST(t.fx_value > e.fx_e2 AS INT64), 0)
        + COALESCE(CAST(t.fx_value > e.fx_e3 AS INT64), 0)
        + COALESCE(CAST(t.fx_value > e.fx_e4 AS INT64), 0)
        + COALESCE(CAST(t.fx_value > e.fx_e5 AS INT64), 0)
        + COALESCE(CAST(t.fx_value > e.fx_e6 AS INT64), 0)
        + COALESCE(CAST(t.fx_value > e.fx_e7 AS INT64), 0)
        + COALESCE(CAST(t.fx_value > e.fx_e8 AS INT64), 0)
        + COALESCE(CAST(t.fx_value > e.fx_e9 AS INT64), 0)
    END AS fx_bin
  FROM regular AS t
  JOIN edges AS e USING (system_id, build_commit_sha)
)
SELECT
  system_id,
  build_commit_sha,
  replaced_commit,
  side,
  COUNT(*) AS sample_rows,
  COUNTIF(fx_bin = -2) AS fx_missing,
  COUNTIF(fx_bin = -1) AS fx_sentinel_rows,
  AVG(IF(fx_bin >= -1, fx_value, NULL)) AS fx_mean,
  COUNTIF(fx_bin = 0) AS fx_b0,
  COUNTIF(fx_bin = 1) AS fx_b1,
  COUNTIF(fx_bin = 2) AS fx_b2,
  COUNTIF(fx_bin = 3) AS fx_b3,
  COUNTIF(fx_bin = 4) AS fx_b4,
  COUNTIF(fx_bin = 5) AS fx_b5,
  COUNTIF(fx_bin = 6) AS fx_b6,
  COUNTIF(fx_bin = 7) AS fx_b7,
  COUNTIF(fx_bin = 8) AS fx_b8,
  COUNTIF(fx_bin = 9) AS fx_b9
FROM binned
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
