-- Appends one alert event. Every value arrives as a query parameter.
-- Params: @event_id STRING, @event_time TIMESTAMP, @recorded_at TIMESTAMP, @seq INT64, @run_id STRING, @event_type STRING,
--   @rule STRING, @fingerprint STRING, @severity STRING, @labels_json STRING,
--   @value FLOAT64, @sample_size INT64, @interval_low FLOAT64, @interval_high FLOAT64,
--   @baseline FLOAT64, @threshold FLOAT64, @summary STRING, @slack_ts STRING,
--   @slack_channel STRING, @detail STRING, @evidence_json STRING, @actor STRING,
--   @incident_id STRING, @incident_key STRING
INSERT INTO monitor_alert_events (
  event_id, event_time, recorded_at, seq, run_id, event_type, rule, fingerprint, severity, labels,
  value, sample_size, interval_low, interval_high, baseline, threshold, summary,
  slack_ts, slack_channel, detail, evidence, actor, incident_id, incident_key
)
VALUES (
  @event_id, @event_time, @recorded_at, @seq, @run_id, @event_type, @rule, @fingerprint, @severity,
  PARSE_JSON(@labels_json), @value, @sample_size, @interval_low, @interval_high,
  @baseline, @threshold, @summary, @slack_ts, @slack_channel, @detail,
  PARSE_JSON(@evidence_json), @actor, @incident_id, @incident_key
)
