-- Who did the actions (acknowledge, silence, unsilence, block and unblock a commit) in
-- the alert event log's window: read only when the window holds any, so a warehouse
-- older than migration 022 (no actor column) still reads its alert log.
-- Params: @since TIMESTAMP, @as_of TIMESTAMP
SELECT
  event_id,
  actor
FROM monitor_alert_events
WHERE event_time >= @since
  AND event_time <= @as_of
  AND event_type IN ('acknowledged', 'silence', 'unsilence', 'blocked', 'unblocked')
