-- Coverage per system and game date from the execution log, against the trailing
-- baseline of the @baseline_days before each date. Coverage is weighted by
-- players_predicted over batches that did not fail and were not blocked by the batch
-- gate (never published); failed and blocked batches are counted apart.
-- pct_* columns are percentages (0-100).
-- A NaN or infinite pct_with_vegas_line is left out of the coverage (its players too)
-- and the batch counted in invalid_batches.
-- Params: @start_date DATE, @end_date DATE, @baseline_start DATE,
--         @exec_from TIMESTAMP, @as_of TIMESTAMP, @baseline_days INT64
WITH batches AS (
  SELECT *
  FROM prediction_execution_log
  WHERE execution_start_timestamp >= @exec_from
    AND execution_start_timestamp <= @as_of
    AND game_date BETWEEN @baseline_start AND @end_date
),
daily AS (
  SELECT
    system_id,
    game_date,
    COUNT(*) AS batches,
    COUNTIF(status = 'failed') AS failed_batches,
    COUNTIF(status = 'partial') AS partial_batches,
    COUNTIF(status = 'blocked') AS blocked_batches,
    COUNTIF(status NOT IN ('failed', 'blocked')) AS good_batches,
    SUM(IF(status NOT IN ('failed', 'blocked'), players_requested, 0)) AS players_requested,
    SUM(IF(status NOT IN ('failed', 'blocked'), players_predicted, 0)) AS players_predicted,
    SUM(IF(status NOT IN ('failed', 'blocked') AND NOT IS_NAN(pct_with_vegas_line)
           AND NOT IS_INF(pct_with_vegas_line),
           players_predicted * pct_with_vegas_line, 0)) AS vegas_weighted,
    SUM(IF(status NOT IN ('failed', 'blocked') AND NOT IS_NAN(pct_with_vegas_line)
           AND NOT IS_INF(pct_with_vegas_line), players_predicted, 0)) AS vegas_players,
    COUNTIF(IS_NAN(pct_with_vegas_line) OR IS_INF(pct_with_vegas_line)) AS invalid_batches,
    SUM(IF(status NOT IN ('failed', 'blocked'), players_predicted * pct_with_ppm, 0)) AS ppm_weighted,
    SUM(IF(status NOT IN ('failed', 'blocked'), players_predicted * avg_feature_quality_score, 0))
      AS quality_weighted,
    STRING_AGG(DISTINCT feature_source_mode, ',' ORDER BY feature_source_mode)
      AS feature_source_modes,
    STRING_AGG(DISTINCT build_commit_sha, ',' ORDER BY build_commit_sha) AS commits,
    MAX(execution_start_timestamp) AS last_batch_at
  FROM batches
  GROUP BY 1, 2
),
baseline AS (
  SELECT
    d.system_id,
    d.game_date,
    SUM(b.vegas_weighted) AS vegas_weighted,
    SUM(b.vegas_players) AS vegas_players,
    COUNT(b.game_date) AS days
  FROM daily AS d
  JOIN daily AS b
    ON b.system_id = d.system_id
    AND b.game_date < d.game_date
    AND b.game_date >= DATE_SUB(d.game_date, INTERVAL @baseline_days DAY)
    AND b.vegas_players > 0
  WHERE d.game_date BETWEEN @start_date AND @end_date
  GROUP BY 1, 2
)
SELECT
  d.system_id,
  d.game_date,
  d.batches,
  d.failed_batches,
  d.partial_batches,
  d.blocked_batches,
  d.good_batches,
  d.players_requested,
  d.players_predicted,
  d.invalid_batches,
  SAFE_DIVIDE(d.vegas_weighted, d.vegas_players) / 100 AS vegas_coverage,
  SAFE_DIVIDE(d.ppm_weighted, d.players_predicted) / 100 AS ppm_coverage,
  SAFE_DIVIDE(d.quality_weighted, d.players_predicted) AS avg_feature_quality_score,
  SAFE_DIVIDE(b.vegas_weighted, b.vegas_players) / 100 AS baseline_vegas_coverage,
  COALESCE(b.days, 0) AS baseline_days,
  d.feature_source_modes,
  d.commits,
  d.last_batch_at
FROM daily AS d
LEFT JOIN baseline AS b
  ON b.system_id = d.system_id AND b.game_date = d.game_date
WHERE d.game_date BETWEEN @start_date AND @end_date
ORDER BY 1, 2
