-- One summary row per cycle.
-- Params: @run_id STRING, @started_at TIMESTAMP, @finished_at TIMESTAMP, @as_of TIMESTAMP,
--   @checks_ok INT64, @checks_failed INT64, @checks_no_data INT64, @checks_error INT64,
--   @alerts_fired INT64, @alerts_resolved INT64, @alerts_pending INT64,
--   @notification_failures INT64, @metric_failures INT64, @status STRING
INSERT INTO monitor_runs (
  run_id, started_at, finished_at, as_of, checks_ok, checks_failed, checks_no_data,
  checks_error, alerts_fired, alerts_resolved, alerts_pending, notification_failures,
  metric_failures, status
)
VALUES (
  @run_id, @started_at, @finished_at, @as_of, @checks_ok, @checks_failed, @checks_no_data,
  @checks_error, @alerts_fired, @alerts_resolved, @alerts_pending, @notification_failures,
  @metric_failures, @status
)
