-- The commit blocks and unblocks of the alert event log (rule 'commit_block', written by
-- `block-commit` and `unblock-commit`) over a long bounded
-- window: a block outlives the alert state horizon, so it is read on its own. The blocks
-- in force are folded in Python (monitor/rules/blocks.py); who did it is read apart
-- (alert_event_actors.sql), so a warehouse older than the actor column still reads.
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
  AND rule = 'commit_block'
  AND event_type IN ('blocked', 'unblocked')
ORDER BY event_time, recorded_at, seq
