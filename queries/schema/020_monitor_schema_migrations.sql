-- Which numbered files of queries/schema/ (010 and up: the monitor's own tables) a
-- warehouse has applied, when, and by which release. `schema apply` and the start-up
-- check of writing commands compare it with the files the code ships.
CREATE TABLE IF NOT EXISTS monitor_schema_migrations (
  version INT64 NOT NULL,
  name STRING NOT NULL,
  applied_at TIMESTAMP NOT NULL,
  release STRING
);
