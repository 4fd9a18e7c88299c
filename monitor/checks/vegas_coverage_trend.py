"""Coverage columns of the execution log against their trailing baseline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from monitor.checks.base import CheckContext
from monitor.metrics.registry import SLATE, check_metrics
from monitor.model import Observation, make_labels
from monitor.stats import safe_ratio, wilson_interval
from monitor.warehouse.base import QueryRunner

LABELS = SLATE


class VegasCoverageTrend:
    name = "vegas_coverage_trend"
    description = "pct_with_vegas_line and batch health from prediction_execution_log"
    metrics: dict[str, tuple[str, ...]] = check_metrics("vegas_coverage_trend")

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        settings = ctx.config.settings
        start, end = ctx.slate_window(settings.execution_lookback_days)
        baseline_start = start - dt.timedelta(days=settings.coverage_baseline_days)
        # Batches for a slate run on the days before it at the earliest; two extra
        # days bound the execution-log partitions read.
        exec_from = dt.datetime.combine(baseline_start - dt.timedelta(days=2), dt.time(),
                                        tzinfo=dt.UTC)
        rows = warehouse.query(self.name, {
            "start_date": start,
            "end_date": end,
            "baseline_start": baseline_start,
            "exec_from": exec_from,
            "as_of": ctx.as_of,
            "baseline_days": settings.coverage_baseline_days,
        })
        return [o for row in rows for o in self.observe(row)]

    def observe(self, row: dict[str, Any]) -> list[Observation]:
        labels = make_labels(system_id=row["system_id"], game_date=row["game_date"])
        batches, good = int(row["batches"]), int(row["good_batches"])
        predicted = int(row["players_predicted"] or 0)
        requested = int(row["players_requested"] or 0)
        # A slate is predicted by several batches: the interval's n is one slate.
        slate = round(predicted / good) if good else 0
        coverage = _f(row["vegas_coverage"])
        baseline = _f(row["baseline_vegas_coverage"])
        context = (
            ("batches", str(batches)),
            ("baseline_days", str(row["baseline_days"])),
            ("feature_source_modes", row["feature_source_modes"] or ""),
            ("commits", row["commits"] or ""),
            ("invalid_batches", str(row["invalid_batches"])),
        )
        interval = (wilson_interval(round(coverage * slate), slate)
                    if coverage is not None and slate else None)
        delta = coverage - baseline if coverage is not None and baseline is not None else None

        def obs(metric: str, value: float | None, n: int,
                iv: tuple[float, float] | None = None, base: float | None = None) -> Observation:
            return Observation(self.name, metric, labels, value, n, iv, base, context)

        return [
            obs("vegas_coverage", coverage, slate, interval, baseline),
            obs("coverage_delta", delta, slate, None, baseline),
            obs("ppm_coverage", _f(row["ppm_coverage"]), slate),
            obs("feature_quality", _f(row["avg_feature_quality_score"]), slate),
            obs("players_predicted_ratio", safe_ratio(predicted, requested), requested),
            obs("failed_batches", float(row["failed_batches"]), batches),
            obs("partial_batches", float(row["partial_batches"]), batches),
        ]


def _f(value: Any) -> float | None:
    return None if value is None else float(value)
