-- Who holds a lease now.
-- Params: @lock_name STRING
SELECT owner, expires_at
FROM monitor_locks
WHERE lock_name = @lock_name
