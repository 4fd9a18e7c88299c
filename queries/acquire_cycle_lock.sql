-- Takes the lease when it is free, expired, or already ours. Concurrent takers
-- conflict inside the warehouse (BigQuery and DuckDB serialise the MERGE): at most
-- one owner results, which lock_holder.sql then reports.
-- Params: @lock_name STRING, @owner STRING, @now TIMESTAMP, @expires_at TIMESTAMP
MERGE monitor_locks AS t
USING (
  SELECT @lock_name AS lock_name, @owner AS owner, @now AS acquired_at,
         @expires_at AS expires_at
) AS s
ON t.lock_name = s.lock_name
WHEN MATCHED AND (t.expires_at < s.acquired_at OR t.owner = s.owner) THEN
  UPDATE SET owner = s.owner, acquired_at = s.acquired_at, expires_at = s.expires_at
WHEN NOT MATCHED THEN
  INSERT (lock_name, owner, acquired_at, expires_at)
  VALUES (s.lock_name, s.owner, s.acquired_at, s.expires_at)
