-- The incident of each alert event in the alert log's window (columns of migration
-- 023), read apart from alert_events_recent.sql so a warehouse older than 023 still
-- reads its alert log; read only once the log holds an incident.
-- Params: @since TIMESTAMP, @as_of TIMESTAMP
SELECT
  event_id,
  incident_id,
  incident_key
FROM monitor_alert_events
WHERE event_time >= @since
  AND event_time <= @as_of
  AND incident_id IS NOT NULL
