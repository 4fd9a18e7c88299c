-- The migrations a warehouse has applied (queries/schema/ files 010 and up). A version
-- recorded twice (two writers migrating at once) counts once, at its first time.
-- Params: none
SELECT
  version,
  ANY_VALUE(name) AS name,
  MIN(applied_at) AS applied_at,
  ANY_VALUE(release) AS release
FROM monitor_schema_migrations
GROUP BY version
ORDER BY version
