-- Extends our lease while the cycle runs; a lease nobody renews (its holder was
-- killed) lapses within one lease length.
-- Params: @lock_name STRING, @owner STRING, @expires_at TIMESTAMP
UPDATE monitor_locks
SET expires_at = @expires_at
WHERE lock_name = @lock_name AND owner = @owner
