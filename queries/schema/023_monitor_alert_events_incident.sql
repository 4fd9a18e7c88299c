-- The incident an alert event belongs to (monitor/rules/incidents.py) and its cause key:
-- the commit (`commit:<sha>`) or the rule's `incident_by` labels. Incident-level
-- events use rule 'incident' and the incident's id as fingerprint. NULL: an event
-- written before incidents existed; open alerts of that release join incidents in the
-- fold (no backfill).
ALTER TABLE monitor_alert_events
ADD COLUMN IF NOT EXISTS incident_id STRING;
ALTER TABLE monitor_alert_events
ADD COLUMN IF NOT EXISTS incident_key STRING;
