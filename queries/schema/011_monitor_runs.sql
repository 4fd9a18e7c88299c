-- One summary row per monitoring cycle.
CREATE TABLE IF NOT EXISTS monitor_runs (
  run_id STRING NOT NULL,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  as_of TIMESTAMP,
  checks_ok INT64,
  checks_failed INT64,
  checks_no_data INT64,
  checks_error INT64,
  alerts_fired INT64,
  alerts_resolved INT64,
  alerts_pending INT64,
  notification_failures INT64,
  metric_failures INT64,
  status STRING
)
PARTITION BY DATE(started_at);
