-- When each batch ended: the moments an event-driven monitor runs a cycle (the
-- execution-log writer publishes a message as it writes the row), for
-- `backtest --schedule events`. Bounded by the log's partition column; a batch runs
-- for minutes, so starts from @exec_from (a day before @from_ts) cover every end.
-- Params: @exec_from TIMESTAMP, @from_ts TIMESTAMP, @to_ts TIMESTAMP
SELECT DISTINCT execution_end_timestamp AS ended_at
FROM prediction_execution_log
WHERE execution_start_timestamp >= @exec_from
  AND execution_start_timestamp <= @to_ts
  AND execution_end_timestamp >= @from_ts
  AND execution_end_timestamp <= @to_ts
ORDER BY ended_at
