-- Every event of the given incidents written before the alert state window: what an
-- incident open for longer than the horizon still needs (its members, its thread).
-- Params: @incident_ids ARRAY<STRING>, @since TIMESTAMP, @before TIMESTAMP
SELECT
  event_id,
  event_time,
  run_id,
  event_type,
  rule,
  fingerprint,
  severity,
  TO_JSON_STRING(labels) AS labels_json,
  TO_JSON_STRING(evidence) AS evidence_json,
  slack_ts,
  slack_channel,
  detail,
  incident_id,
  incident_key
FROM monitor_alert_events
WHERE event_time >= @since
  AND event_time < @before
  AND incident_id IN UNNEST(@incident_ids)
ORDER BY event_time, recorded_at, seq
