-- The monitor's alert state: an append-only event log. Current state is derived
-- from it (queries/alert_events_recent.sql), never updated in place.
CREATE TABLE IF NOT EXISTS monitor_alert_events (
  event_id STRING NOT NULL,
  event_time TIMESTAMP NOT NULL,
  recorded_at TIMESTAMP NOT NULL,
  seq INT64 NOT NULL,
  run_id STRING NOT NULL,
  event_type STRING NOT NULL,
  rule STRING NOT NULL,
  fingerprint STRING NOT NULL,
  severity STRING,
  labels JSON,
  value FLOAT64,
  sample_size INT64,
  interval_low FLOAT64,
  interval_high FLOAT64,
  baseline FLOAT64,
  threshold FLOAT64,
  summary STRING,
  slack_ts STRING,
  slack_channel STRING,
  detail STRING,
  evidence JSON
)
PARTITION BY DATE(event_time)
CLUSTER BY fingerprint;
