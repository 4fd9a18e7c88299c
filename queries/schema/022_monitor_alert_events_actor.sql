-- Who did an action recorded in the alert log (a Slack user id for acknowledgements
-- and silences). NULL means the monitor itself, which is every event written before
-- this column existed, so no backfill is needed.
ALTER TABLE monitor_alert_events
ADD COLUMN IF NOT EXISTS actor STRING;
