-- When each incident opened, reopened and resolved, over a long bounded window: an
-- incident that is still open is carried past the alert state horizon (its events are
-- read again with incident_events.sql), so a long incident does not page anew.
-- Params: @since TIMESTAMP, @as_of TIMESTAMP
SELECT
  incident_id,
  event_type,
  event_time
FROM monitor_alert_events
WHERE event_time >= @since
  AND event_time <= @as_of
  AND rule = 'incident'
  AND event_type IN ('opened', 'reopened', 'resolved')
ORDER BY event_time, recorded_at, seq
