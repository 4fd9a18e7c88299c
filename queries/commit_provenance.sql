-- Root-cause hints for alert messages: when each commit was first seen running
-- batches, in which feature_source_mode, on which deployment revision and systems.
-- Params: @commits ARRAY<STRING>, @exec_from TIMESTAMP, @as_of TIMESTAMP
SELECT
  build_commit_sha,
  MIN(execution_start_timestamp) AS first_seen_at,
  STRING_AGG(DISTINCT feature_source_mode, ',' ORDER BY feature_source_mode)
    AS feature_source_modes,
  STRING_AGG(DISTINCT deployment_revision, ',' ORDER BY deployment_revision)
    AS deployment_revisions,
  STRING_AGG(DISTINCT system_id, ',' ORDER BY system_id) AS systems
FROM prediction_execution_log
WHERE execution_start_timestamp >= @exec_from
  AND execution_start_timestamp <= @as_of
  AND build_commit_sha IN UNNEST(@commits)
GROUP BY 1
ORDER BY 1
