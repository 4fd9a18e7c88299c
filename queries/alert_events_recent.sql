-- The monitor's alert event log over a bounded window, in the order it was written.
-- Current alert state is folded from these rows in Python (monitor/rules/state.py).
-- Params: @since TIMESTAMP, @as_of TIMESTAMP
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
  detail
FROM monitor_alert_events
WHERE event_time >= @since
  AND event_time <= @as_of
ORDER BY event_time, recorded_at, seq
