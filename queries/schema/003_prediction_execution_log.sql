-- One row per prediction batch, exactly as the seed defines it.
CREATE TABLE IF NOT EXISTS prediction_execution_log (
  execution_id STRING NOT NULL,
  batch_id STRING,
  build_commit_sha STRING NOT NULL,
  deployment_revision STRING,
  execution_start_timestamp TIMESTAMP NOT NULL,
  execution_end_timestamp TIMESTAMP,
  duration_seconds FLOAT64,
  game_date DATE NOT NULL,
  system_id STRING NOT NULL,
  players_requested INT64,
  players_predicted INT64,
  status STRING NOT NULL,
  error_message STRING,
  error_count INT64,
  avg_feature_quality_score FLOAT64,
  pct_with_vegas_line FLOAT64,
  pct_with_ppm FLOAT64,
  pct_with_shot_zones FLOAT64,
  feature_store_snapshot_time TIMESTAMP,
  feature_source_mode STRING,
  orchestration_run_id STRING
)
PARTITION BY DATE(execution_start_timestamp)
CLUSTER BY system_id, game_date;
