-- Takes the lease when it is free, expired, already ours, or held by @stale_owner (a
-- holder on this host whose process is gone; '' for none). Concurrent takers
-- conflict inside the warehouse (BigQuery and DuckDB serialise the MERGE): at most
-- one owner results, which lock_holder.sql then reports.
-- Params: @lock_name STRING, @owner STRING, @now TIMESTAMP, @expires_at TIMESTAMP,
--         @holder_host STRING, @holder_pid INT64, @stale_owner STRING
MERGE monitor_locks AS t
USING (
  SELECT @lock_name AS lock_name, @owner AS owner, @now AS acquired_at,
         @expires_at AS expires_at, @holder_host AS holder_host, @holder_pid AS holder_pid
) AS s
ON t.lock_name = s.lock_name
WHEN MATCHED AND (t.expires_at < s.acquired_at OR t.owner = s.owner
                  OR t.owner = @stale_owner) THEN
  UPDATE SET owner = s.owner, acquired_at = s.acquired_at, expires_at = s.expires_at,
             holder_host = s.holder_host, holder_pid = s.holder_pid
WHEN NOT MATCHED THEN
  INSERT (lock_name, owner, acquired_at, expires_at, holder_host, holder_pid)
  VALUES (s.lock_name, s.owner, s.acquired_at, s.expires_at, s.holder_host, s.holder_pid)
