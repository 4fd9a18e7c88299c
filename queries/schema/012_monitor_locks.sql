-- A lease that lets one cycle at a time own alert state and notifications, so two
-- cycles started at once (a scheduler retry, a manual run) notify once.
CREATE TABLE IF NOT EXISTS monitor_locks (
  lock_name STRING NOT NULL,
  owner STRING NOT NULL,
  acquired_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL
);
