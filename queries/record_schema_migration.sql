-- Records one applied migration; a version already recorded is left as it was, so
-- recording is idempotent (a retried or repeated `schema apply` adds nothing).
-- Params: @version INT64, @name STRING, @applied_at TIMESTAMP, @release STRING
MERGE monitor_schema_migrations AS t
USING (
  SELECT @version AS version, @name AS name, @applied_at AS applied_at, @release AS release
) AS s
ON t.version = s.version
WHEN NOT MATCHED THEN
  INSERT (version, name, applied_at, release)
  VALUES (s.version, s.name, s.applied_at, s.release)
