-- One row per prediction. Several batches a day: earlier ones are superseded.
CREATE TABLE IF NOT EXISTS player_prop_predictions (
  prediction_id STRING NOT NULL,
  system_id STRING NOT NULL,
  player_lookup STRING NOT NULL,
  game_id STRING,
  game_date DATE NOT NULL,
  predicted_points FLOAT64,
  line_value FLOAT64,
  recommendation STRING,
  confidence_score FLOAT64,
  is_active BOOL,
  superseded BOOL
)
PARTITION BY game_date
CLUSTER BY system_id, player_lookup;

-- The seed's provenance columns (Session 64): which code made each prediction.
ALTER TABLE player_prop_predictions
ADD COLUMN IF NOT EXISTS build_commit_sha STRING,
ADD COLUMN IF NOT EXISTS deployment_revision STRING,
ADD COLUMN IF NOT EXISTS predicted_at TIMESTAMP,
ADD COLUMN IF NOT EXISTS critical_features JSON;
