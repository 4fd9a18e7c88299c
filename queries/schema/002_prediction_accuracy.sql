-- One row per graded prediction.
CREATE TABLE IF NOT EXISTS prediction_accuracy (
  prediction_id STRING NOT NULL,
  system_id STRING NOT NULL,
  player_lookup STRING NOT NULL,
  game_id STRING,
  game_date DATE NOT NULL,
  predicted_points FLOAT64,
  line_value FLOAT64,
  recommendation STRING,
  confidence_score FLOAT64,
  actual_points FLOAT64,
  prediction_correct BOOL,
  absolute_error FLOAT64,
  signed_error FLOAT64,
  graded_at TIMESTAMP
)
PARTITION BY game_date
CLUSTER BY system_id, player_lookup;

ALTER TABLE prediction_accuracy
ADD COLUMN IF NOT EXISTS build_commit_sha STRING,
ADD COLUMN IF NOT EXISTS critical_features JSON;
