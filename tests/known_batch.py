"""A prediction batch as the worker helpers stamp it, with percentages known by hand."""

from __future__ import annotations

import datetime as dt

from monitor.provenance import stamp_prediction

ENV = {"BUILD_COMMIT": "ea88e526f00d", "K_REVISION": "prediction-worker-00042-abc"}
T = dt.datetime(2026, 1, 9, 15, 0, tzinfo=dt.UTC)


def known_batch() -> list[dict[str, object]]:
    """Eight predictions: 3 with a line and ppm, 4 with ppm only, 1 with neither."""
    feats = [{"vegas_points_line": 20.5, "ppm_avg_last_10": 0.6}] * 3 + \
        [{"ppm_avg_last_10": 0.6}] * 4 + [{}]
    return [{**stamp_prediction({"prediction_id": f"p{i}"}, f, env=ENV, predicted_at=T),
             "feature_quality_score": 80.0 + i, "has_shot_zones": i % 2 == 0}
            for i, f in enumerate(feats)]
