"""How far each system's predictions stand from the Vegas line, per slate, against the
system's own trailing baseline: a leading indicator of a lost edge.

A points model beats the line only where it knows something the line does not. When it
loses that (features read wrong, a bad retrain, a fallback path), it falls back on the
line, the strongest input it still has: its predictions hug it, fewer clear the pick
threshold, and the picks left are coin flips. The hit rate says so only after days of
grading (about 40 graded picks a game day, a few hundred needed); the distance from the
line says so on the slate's first batch, before a game is played.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from monitor.checks.base import CheckContext
from monitor.checks.outcome_drift import sentinel_params
from monitor.metrics.registry import COMMIT_SLATE, check_metrics
from monitor.model import Observation, make_labels
from monitor.stats import mean_interval, ratio_interval, safe_ratio, std_from_sums
from monitor.warehouse.base import QueryRunner

LABELS = COMMIT_SLATE


class PredictionEdge:
    name = "prediction_edge"
    description = "distance of predictions from the Vegas line against the system's baseline"
    metrics: dict[str, tuple[str, ...]] = check_metrics("prediction_edge")

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        settings = ctx.config.settings
        start, end = ctx.slate_window(settings.prediction_lookback_days)
        rows = warehouse.query(self.name, {
            "start_date": start,
            "end_date": end,
            "baseline_start": start - dt.timedelta(days=settings.edge_baseline_days),
            "as_of": ctx.as_of,
            "baseline_days": settings.edge_baseline_days,
            **sentinel_params(ctx.config),
        })
        return [o for row in rows
                for o in edge_observations(row, settings.edge_baseline_min_rows)]


def edge_observations(row: dict[str, Any], min_baseline_rows: int) -> list[Observation]:
    """Pure: one query row (the predictions of one commit on a system's slate, and the
    system's baseline) → their mean |predicted - line| in points, and that mean as a
    share of the baseline's, each with its 95% interval (the ratio's counts the
    baseline's own uncertainty too). The ratio is None (not judged) when the baseline
    holds fewer than `min_baseline_rows` lined predictions or sits on the line."""
    labels = make_labels(system_id=row["system_id"], game_date=row["game_date"],
                         build_commit_sha=row["build_commit_sha"])
    n, base_n = int(row["lined_rows"] or 0), int(row["baseline_rows"] or 0)
    mean = safe_ratio(row["sum_abs_edge"], n)
    # |e|² = e²: the spread of |e| from the sums of e² and |e|.
    std = std_from_sums(n, float(row["sum_abs_edge"] or 0), float(row["sum_sq_edge"] or 0))
    base_mean = safe_ratio(row["baseline_sum_abs_edge"], base_n)
    base_std = std_from_sums(base_n, float(row["baseline_sum_abs_edge"] or 0),
                             float(row["baseline_sum_sq_edge"] or 0))
    ratio = ratio_iv = None
    # min_baseline_rows >= 2 (config): a judged baseline has a spread.
    judged = base_n >= min_baseline_rows and bool(base_mean)
    if judged and mean is not None and base_mean and base_std is not None:
        ratio = mean / base_mean
        ratio_iv = ratio_interval(mean, std, n, base_mean, base_std, base_n) \
            if std is not None else None
    context = (
        ("edge", "n/a" if mean is None else
         f"{mean:.2f} points (sd {'n/a' if std is None else f'{std:.2f}'}) over {n} "
         "lined predictions"),
        ("baseline_edge", "n/a" if base_mean is None else
         f"{base_mean:.2f} points over {base_n} lined predictions, "
         f"{int(row['baseline_days'] or 0)} game days"),
        ("invalid_rows", str(int(row["invalid_rows"] or 0))),
    )
    # Each observation says why it has no value, and only then: the slate's own mean
    # needs lined predictions; the ratio a baseline too.
    no_rows = (("not_judged", "no lined predictions"),) if mean is None else ()
    why_ratio = no_rows or ((("not_judged", f"baseline of {base_n} lined predictions, "
                              f"fewer than {min_baseline_rows}" if base_n < min_baseline_rows
                              else "baseline predictions sit on the line"),)
                            if ratio is None else ())
    return [
        Observation("prediction_edge", "prediction_edge", labels, mean, n,
                    mean_interval(mean, std, n), base_mean, (*context, *no_rows)),
        Observation("prediction_edge", "prediction_edge_ratio", labels, ratio, n,
                    ratio_iv, None, (*context, *why_ratio)),
    ]
