-- The league calendar, one row per game, owned by the schedule scraper (the monitor
-- only reads it; the demo writes one). game_date is a US Eastern date, scheduled_start
-- the tip-off in UTC.
CREATE TABLE IF NOT EXISTS game_schedule (
  game_id STRING NOT NULL,
  game_date DATE NOT NULL,
  home_team STRING,
  away_team STRING,
  scheduled_start TIMESTAMP,
  game_status STRING NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id;
