"""Default-filled critical features at prediction time: the leading indicator.

Reads player_prop_predictions before any game is graded, so a broken batch is
reported by the next cycle, hours before tip-off. Which keys of critical_features
are counted, and their sentinels and ranges, is configuration (`critical_features`
in alerts.yaml); the query counts all of them in one scan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.checks.base import CheckContext
from monitor.metrics.registry import COMMIT_SLATE, FEATURE_SLATE, SEED_METRICS, check_metrics
from monitor.model import Observation, iso, make_labels
from monitor.stats import safe_ratio, wilson_interval
from monitor.warehouse.base import ParamValue, QueryRunner
from monitor.warehouse.sql_dialect import FEATURE_KEYS_PARAM

if TYPE_CHECKING:  # types only: the config comes in with the context
    from monitor.config import CriticalFeature

LABELS = COMMIT_SLATE
FEATURE_LABELS = FEATURE_SLATE
FEATURE_COUNTS: tuple[str, ...] = ("present", "missing", "wrong_type", "at_sentinel",
                                   "out_of_range")
# A configured key no row of any commit carried in this many days is absent from the
# deployment (a key the contract's worker never writes): one warning naming it, not a
# missing-features alert per commit.
ABSENT_KEY_DAYS = 28


@dataclass(frozen=True)
class FeatureCounts:
    """One feature's counts over one (system, game date, commit) group of rows."""

    feature: CriticalFeature
    rows: int
    present: int       # a finite number (or numeric string)
    wrong_type: int    # there, not JSON null, and not a number
    eligible: int      # present, and with a Vegas line when `when: line_present`
    at_sentinel: int   # eligible and at the sentinel
    out_of_range: int  # present and outside the configured range

    @property
    def missing(self) -> int:
        """Rows without the value: no critical_features, not an object, key absent or null."""
        return self.rows - self.present - self.wrong_type


def feature_params(features: Sequence[CriticalFeature]) -> dict[str, ParamValue]:
    """The query's per-feature parameters (f0_sentinel, ...) and the keys it expands for."""
    params: dict[str, ParamValue] = {FEATURE_KEYS_PARAM: tuple(f.key for f in features)}
    for i, f in enumerate(features):
        low, high = f.range or (0.0, 0.0)
        params.update({
            f"f{i}_sentinel": float(f.sentinel if f.sentinel is not None else 0.0),
            f"f{i}_has_sentinel": f.sentinel is not None,
            f"f{i}_line_only": f.when == "line_present",
            f"f{i}_low": float(low), f"f{i}_high": float(high),
            f"f{i}_has_range": f.range is not None,
        })
    return params


def query_feature_defaults(warehouse: QueryRunner, features: Sequence[CriticalFeature],
                           start: dt.date, end: dt.date, as_of: dt.datetime) -> (
        list[dict[str, Any]]):
    return warehouse.query("feature_defaults", {
        "start_date": start, "end_date": end, "as_of": as_of, **feature_params(features)})


def absent_keys(warehouse: QueryRunner, features: Sequence[CriticalFeature], end: dt.date,
                as_of: dt.datetime) -> frozenset[str]:
    """Configured keys that no row carried in the `ABSENT_KEY_DAYS` days to `end`
    (none when no row held a critical_features object at all: nothing to tell by)."""
    rows = warehouse.query("feature_key_presence", {
        "start_date": end - dt.timedelta(days=ABSENT_KEY_DAYS - 1), "end_date": end,
        "as_of": as_of, FEATURE_KEYS_PARAM: tuple(f.key for f in features)})
    if not rows or not int(rows[0]["object_rows"] or 0):
        return frozenset()
    return frozenset(f.key for i, f in enumerate(features)
                     if not int(rows[0][f"f{i}_carried"] or 0))


def feature_counts(row: dict[str, Any], features: Sequence[CriticalFeature]) -> (
        list[FeatureCounts]):
    def n(i: int, name: str) -> int:
        return int(row[f"f{i}_{name}"] or 0)

    return [FeatureCounts(f, int(row["feature_rows"]), n(i, "present"), n(i, "wrong_type"),
                          n(i, "eligible"), n(i, "at_sentinel"), n(i, "out_of_range"))
            for i, f in enumerate(features)]


class FeatureDefaults:
    name = "feature_defaults"
    description = "Share of default sentinels and missing/malformed critical_features"
    metrics: dict[str, tuple[str, ...]] = check_metrics("feature_defaults")

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        start, end = ctx.slate_window(ctx.config.settings.prediction_lookback_days)
        configured = ctx.config.features
        absent = absent_keys(warehouse, configured, end, ctx.as_of)
        # Rows lacking only an absent key are not incomplete: that key has its warning.
        features = tuple(f for f in configured if f.key not in absent) or configured
        rows = query_feature_defaults(warehouse, features, start, end, ctx.as_of)
        out = [o for row in rows for o in self.observe(row, features)]
        if not out:  # nothing predicted in the window: no data, not a healthy absence
            return []
        return out + [Observation(
            self.name, "feature_absent", make_labels(feature=f.key),
            1.0 if f.key in absent else 0.0, 1, None, None,
            (("window", f"{ABSENT_KEY_DAYS} days to {end}"),)) for f in configured]

    def observe(self, row: dict[str, Any], features: Sequence[CriticalFeature]) -> (
            list[Observation]):
        labels = make_labels(system_id=row["system_id"], game_date=row["game_date"],
                             build_commit_sha=row["build_commit_sha"])
        total = int(row["feature_rows"])
        absent, null = int(row["features_absent"]), int(row["features_null"])
        malformed, incomplete = int(row["features_malformed"]), int(row["features_incomplete"])
        missing = absent + null + malformed + incomplete
        counts = feature_counts(row, features)
        seed = {c.feature.key: c for c in counts if c.feature.sentinel is not None}
        context = (
            ("first_predicted_at", iso(row["first_predicted_at"])),
            ("last_predicted_at", iso(row["last_predicted_at"])),
            ("deployment_revision", row["deployment_revision"] or "unknown"),
            ("features_absent", str(absent)),
            ("features_null", str(null)),
            ("features_malformed", str(malformed)),
            ("features_incomplete", str(incomplete)),
            *((("vegas_mismatch", str(seed["has_vegas_line"].at_sentinel)),)
              if "has_vegas_line" in seed else ()),
            *((("ppm_default", str(seed["ppm_avg_last_10"].at_sentinel)),)
              if "ppm_avg_last_10" in seed else ()),
            # Bad rows: counted in SQL, never trusted (see queries/feature_defaults.sql).
            ("invalid_rows", str(row["invalid_rows"])),
            ("duplicate_rows", str(row["duplicate_rows"])),
            ("future_rows", str(row["future_rows"])),
        )

        def obs(metric: str, num: int, den: int,
                obs_labels: tuple[tuple[str, str], ...] = labels,
                obs_context: tuple[tuple[str, str], ...] = context) -> Observation:
            return Observation(self.name, metric, obs_labels, safe_ratio(num, den), den,
                               wilson_interval(num, den), None, obs_context)

        out = [obs(metric, seed[key].at_sentinel, seed[key].eligible)
               for key, metric in SEED_METRICS.items() if key in seed]
        out += [obs("features_missing_share", missing, total),
                Observation(self.name, "feature_rows", labels, float(total), total, None, None,
                            context)]
        for c in counts:
            key = c.feature.key
            f_labels = make_labels(**dict(labels), feature=key)
            f_context = context + tuple((f"{key}_{name}", str(getattr(c, name)))
                                        for name in FEATURE_COUNTS)
            if c.feature.sentinel is not None:
                out.append(obs("sentinel_share", c.at_sentinel, c.eligible, f_labels, f_context))
            if c.feature.range is not None:
                out.append(obs("out_of_range_share", c.out_of_range, c.present, f_labels,
                               f_context))
            out += [Observation(self.name, f"feature_{name}", f_labels,
                                float(getattr(c, name)), total, None, None, f_context)
                    for name in FEATURE_COUNTS]
        return out
