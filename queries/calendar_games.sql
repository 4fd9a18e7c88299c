-- The league calendar around a date: one row per game, from the schedule scraper's
-- table (the monitor only reads it; its name is `calendar.table` in alerts.yaml).
-- A date without a game is an off day; a postponed or cancelled game expects nothing.
-- A game may have several rows (an append-only scraper; a game rescheduled to another
-- date keeps its game_id): monitor/league_calendar.py keeps one per game and date.
-- Params: @start_date DATE, @end_date DATE
SELECT
  game_id,
  game_date,
  home_team,
  away_team,
  scheduled_start,
  LOWER(TRIM(game_status)) AS game_status
FROM game_schedule
WHERE game_date BETWEEN @start_date AND @end_date
ORDER BY game_date, scheduled_start, game_id
