-- First and last game date the calendar knows within a season-sized window: after the
-- last one is the off-season (quiet), unless predictions say the scraper stopped.
-- Params: @start_date DATE, @end_date DATE
SELECT
  MIN(game_date) AS first_date,
  MAX(game_date) AS last_date,
  COUNT(*) AS games
FROM game_schedule
WHERE game_date BETWEEN @start_date AND @end_date
