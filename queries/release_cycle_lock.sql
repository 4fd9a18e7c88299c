-- Ends our lease early so the next cycle need not wait for it to expire.
-- Params: @lock_name STRING, @owner STRING, @now TIMESTAMP
UPDATE monitor_locks
SET expires_at = @now
WHERE lock_name = @lock_name AND owner = @owner
