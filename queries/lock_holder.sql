-- Who holds a lease now, and where (host and process id of the holder).
-- Params: @lock_name STRING
SELECT owner, expires_at, holder_host, holder_pid
FROM monitor_locks
WHERE lock_name = @lock_name
