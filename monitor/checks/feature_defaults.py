"""Default-filled critical features at prediction time: the leading indicator.

Reads player_prop_predictions before any game is graded, so a broken batch is
reported by the next cycle, hours before tip-off.
"""

from __future__ import annotations

from typing import Any

from monitor.checks.base import CheckContext
from monitor.model import Observation, iso, make_labels
from monitor.stats import safe_ratio, wilson_interval
from monitor.warehouse.base import QueryRunner

LABELS: tuple[str, ...] = ("system_id", "game_date", "build_commit_sha")


class FeatureDefaults:
    name = "feature_defaults"
    description = "Share of default sentinels and missing/malformed critical_features"
    metrics: dict[str, tuple[str, ...]] = {m: LABELS for m in (
        "mismatch_share", "ppm_default_share", "features_missing_share", "feature_rows",
    )}

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        start, end = ctx.slate_window(ctx.config.settings.prediction_lookback_days)
        sentinels = ctx.config.settings.sentinels
        rows = warehouse.query(self.name, {
            "start_date": start,
            "end_date": end,
            "as_of": ctx.as_of,
            "has_vegas_line_default": float(sentinels.has_vegas_line),
            "ppm_default": float(sentinels.ppm_avg_last_10),
        })
        return [o for row in rows for o in self.observe(row)]

    def observe(self, row: dict[str, Any]) -> list[Observation]:
        labels = make_labels(system_id=row["system_id"], game_date=row["game_date"],
                             build_commit_sha=row["build_commit_sha"])
        total = int(row["feature_rows"])
        absent, null = int(row["features_absent"]), int(row["features_null"])
        malformed, incomplete = int(row["features_malformed"]), int(row["features_incomplete"])
        missing = absent + null + malformed + incomplete
        with_line, mismatch = int(row["rows_with_line"]), int(row["vegas_mismatch"])
        with_ppm, ppm_default = int(row["rows_with_ppm"]), int(row["ppm_default"])
        context = (
            ("first_predicted_at", iso(row["first_predicted_at"])),
            ("last_predicted_at", iso(row["last_predicted_at"])),
            ("deployment_revision", row["deployment_revision"] or "unknown"),
            ("features_absent", str(absent)),
            ("features_null", str(null)),
            ("features_malformed", str(malformed)),
            ("features_incomplete", str(incomplete)),
            ("vegas_mismatch", str(mismatch)),
            ("ppm_default", str(ppm_default)),
            # Bad rows: counted in SQL, never trusted (see queries/feature_defaults.sql).
            ("invalid_rows", str(row["invalid_rows"])),
            ("duplicate_rows", str(row["duplicate_rows"])),
            ("future_rows", str(row["future_rows"])),
        )

        def obs(metric: str, num: int, den: int) -> Observation:
            return Observation(self.name, metric, labels, safe_ratio(num, den), den,
                               wilson_interval(num, den), None, context)

        return [
            obs("mismatch_share", mismatch, with_line),
            obs("ppm_default_share", ppm_default, with_ppm),
            obs("features_missing_share", missing, total),
            Observation(self.name, "feature_rows", labels, float(total), total, None, None,
                        context),
        ]

