-- Who holds the cycle lease: the host and process id of the cycle that took it, so an
-- operator can tell a live holder from a crashed one. NULL on leases taken before.
ALTER TABLE monitor_locks
ADD COLUMN IF NOT EXISTS holder_host STRING,
ADD COLUMN IF NOT EXISTS holder_pid INT64;
