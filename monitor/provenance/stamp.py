"""A prediction's provenance fields: the seed's four columns, stamped on the record
right after model.predict()."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any

from monitor.provenance.identity import build_commit_sha, deployment_revision


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def critical_features(features: Mapping[str, Any]) -> dict[str, float | None]:
    """The JSON snapshot of critical features, keeping missing apart from default.

    A feature the worker did not have is null, never a made-up default: has_vegas_line
    is 0.0 only when no line exists (vegas_points_line null), and a line of 0.0 still
    counts as a line (the seed's `1.0 if line else 0.0` got that wrong)."""
    line = _number(features.get("vegas_points_line"))
    return {
        "vegas_points_line": line,
        "has_vegas_line": 1.0 if line is not None else 0.0,
        "ppm_avg_last_10": _number(features.get("ppm_avg_last_10")),
        "team_win_pct": _number(features.get("team_win_pct")),
    }


def critical_features_json(features: Mapping[str, Any]) -> str:
    return json.dumps(critical_features(features), allow_nan=False, sort_keys=False)


def stamp_prediction(record: Mapping[str, Any], features: Mapping[str, Any], *,
                     env: Mapping[str, str] | None = None,
                     predicted_at: dt.datetime | None = None) -> dict[str, Any]:
    """A copy of the prediction record with the seed's four provenance fields.

    Call it right after model.predict(): predicted_at is the moment of the call."""
    stamped = dict(record)
    stamped["build_commit_sha"] = build_commit_sha(env)
    stamped["deployment_revision"] = deployment_revision(env)
    stamped["predicted_at"] = (predicted_at or utc_now()).astimezone(dt.UTC)
    stamped["critical_features"] = critical_features_json(features)
    return stamped
