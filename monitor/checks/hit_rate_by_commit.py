"""Outcome quality per system and build commit: the seed's tables, with intervals."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from monitor.checks.base import CheckContext
from monitor.checks.settled import settled_end
from monitor.metrics.registry import COMMIT_WINDOW, check_metrics
from monitor.model import Observation, make_labels
from monitor.stats import confidence_sequence, mean_interval, safe_ratio, wilson_interval
from monitor.warehouse.base import QueryRunner

if TYPE_CHECKING:  # types only: the config comes in with the context
    from monitor.config import MonitorConfig

LABELS = COMMIT_WINDOW
WINDOW_COMMIT = "commit"  # the window label of a commit's all-graded-picks series
DEFAULT_ALPHA = 0.01  # the `alpha` a rule's sequence evidence defaults to


class HitRateByCommit:
    name = "hit_rate_by_commit"
    description = "Hit rate, MAE and error spread per system and commit over graded windows"
    metrics: dict[str, tuple[str, ...]] = check_metrics("hit_rate_by_commit")

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        settings = ctx.config.settings
        longest = max(settings.hit_rate_windows_days)
        commit_days = settings.sequential.history_days
        # Grading lands the morning after the games: end at the newest game date whose
        # grading settled; a night still being graded is reported, not judged.
        window = settled_end(warehouse, ctx, max(longest, commit_days) + 30)
        if window.end is None:
            return []
        end = window.end
        observations: list[Observation] = []
        # The fixed windows for reports and metrics, and each commit on all its graded
        # picks since its first graded day (at most history_days back): the one
        # identity the hit-rate rule judges.
        spans = [(days, f"{days}d") for days in settings.hit_rate_windows_days]
        for days, name in [*spans, (commit_days, WINDOW_COMMIT)]:
            bounds = {"start_date": end - dt.timedelta(days=days - 1), "end_date": end,
                      "as_of": ctx.as_of}
            rows = warehouse.query(self.name, {
                **bounds, "edge_threshold": float(settings.edge_threshold)})
            if name == WINDOW_COMMIT and rows:
                # Every date of the window settled: what is ungraded now never will be.
                ungraded = {(r["system_id"], r["build_commit_sha"]): int(r["ungraded"] or 0)
                            for r in warehouse.query("ungraded_by_commit", bounds)}
                rows = [{**r, "ungraded": ungraded.get(
                    (r["system_id"], r["build_commit_sha"]), 0)} for r in rows]
            for row in rows:
                observations.extend(self.observe(row, name, window.context()))
        alpha = sequence_alpha(ctx.config)
        return observations + [bound_observation(o, alpha) for o in observations
                               if o.metric == "hit_rate" and o.label("window") == WINDOW_COMMIT]

    def observe(self, row: dict[str, Any], window: str,
                extra: tuple[tuple[str, str], ...] = ()) -> list[Observation]:
        labels = make_labels(system_id=row["system_id"],
                             build_commit_sha=row["build_commit_sha"], window=window)
        context = (("first_game_date", str(row["first_game_date"])),
                   ("last_game_date", str(row["last_game_date"])),
                   ("graded", str(row["graded"])),
                   ("invalid_rows", str(row["invalid_rows"])),
                   ("duplicate_rows", str(row["duplicate_rows"])), *extra)
        picks, hits = int(row["picks"]), int(row["hits"])
        # NaN/infinite errors are left out in SQL: the means' n is what they averaged.
        error_n, signed_n = int(row["error_n"]), int(row["signed_n"])
        he_picks, he_hits = int(row["high_edge_picks"]), int(row["high_edge_hits"])
        dir_n, dir_hits = int(row["direction_n"]), int(row["direction_hits"])
        mae = _float(row["mae"])
        signed = _float(row["mean_signed_error"])
        error_std = _float(row["error_std"])

        def obs(metric: str, value: float | None, n: int,
                interval: tuple[float, float] | None = None) -> Observation:
            return Observation(self.name, metric, labels, value, n, interval, None, context)

        no_picks = (("not_judged", "no picks: every graded row was a PASS, a push or "
                                   "without a line"),) if not picks else ()
        # The commit's predictions never graded once its days settled (late scratches):
        # counted beside the hit rate the rule judges, never judged themselves.
        ungraded = ((("ungraded", str(int(row.get("ungraded") or 0))),)
                    if window == WINDOW_COMMIT else ())
        return [
            Observation(self.name, "hit_rate", labels, safe_ratio(hits, picks), picks,
                        wilson_interval(hits, picks), None,
                        (*context, *ungraded, *no_picks)),
            obs("picks", float(picks), picks),
            obs("mae", mae, error_n,
                mean_interval(mae, _float(row["absolute_error_std"]), error_n)),
            obs("error_std", error_std, signed_n),
            obs("mean_signed_error", signed, signed_n,
                mean_interval(signed, error_std, signed_n)),
            obs("direction_accuracy", safe_ratio(dir_hits, dir_n), dir_n,
                wilson_interval(dir_hits, dir_n)),
            obs("high_edge_hit_rate", safe_ratio(he_hits, he_picks), he_picks,
                wilson_interval(he_hits, he_picks)),
        ]


def sequence_alpha(config: MonitorConfig) -> float:
    """The alpha of the hit-rate rule with sequence evidence (the default without one)."""
    rules = [r.alpha for r in config.rules if r.metric == "hit_rate"
             and r.evidence == "sequence"]
    return min(rules) if rules else DEFAULT_ALPHA


def bound_observation(hit_rate: Observation, alpha: float) -> Observation:
    """The commit's anytime-valid upper bound on its hit rate, exported so a production
    backstop policy judges what the monitor judged (not a raw point value)."""
    n = hit_rate.sample_size
    interval = (None if hit_rate.value is None or n <= 0
                else confidence_sequence(round(hit_rate.value * n), n, alpha))
    return Observation(hit_rate.check, "hit_rate_upper_bound", hit_rate.labels,
                       None if interval is None else interval[1], n, interval, None,
                       (*hit_rate.context, ("alpha", f"{alpha:g}")))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


