-- Whether anything was written for a game date, whenever it was stamped: predictions
-- (those stamped later than the clock too) and batches of the execution log.
-- validate-daily calls a date "no games" only when the calendar has none for it and
-- nothing was written for it; otherwise the checks judge what is there.
-- Params: @game_date DATE, @exec_from TIMESTAMP, @exec_to TIMESTAMP
SELECT
  (SELECT COUNT(*)
   FROM player_prop_predictions
   WHERE game_date BETWEEN @game_date AND @game_date) AS predictions,
  (SELECT COUNT(*)
   FROM prediction_execution_log
   WHERE execution_start_timestamp BETWEEN @exec_from AND @exec_to
     AND game_date = @game_date) AS batches
