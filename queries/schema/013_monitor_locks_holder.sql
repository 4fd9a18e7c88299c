-- Who holds the cycle lease: the host and process id of its holder, so a cycle on
-- the same host can take over at once from a holder whose process is gone (killed)
-- instead of waiting for the lease to lapse.
ALTER TABLE monitor_locks ADD COLUMN IF NOT EXISTS holder_host STRING;
ALTER TABLE monitor_locks ADD COLUMN IF NOT EXISTS holder_pid INT64;
