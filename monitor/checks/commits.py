"""Which code made each slate: several commits for one slate, predictions without a
commit, backfills on a commit other than the one serving daily batches, batches
from a commit older than one already serving, and batches the batch gate blocked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from monitor.checks.base import CheckContext
from monitor.metrics.registry import check_metrics
from monitor.model import Observation, iso, make_labels
from monitor.stats import safe_ratio, wilson_interval
from monitor.warehouse.base import QueryRunner


class CommitsCheck:
    """The check named `provenance` (its name in reports, alerts.yaml and alert
    fingerprints); the worker's package of that name stamps what this check reads."""

    name = "provenance"
    description = "Commits behind each slate and each recent batch"
    metrics: dict[str, tuple[str, ...]] = check_metrics("provenance")

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        settings = ctx.config.settings
        start, end = ctx.slate_window(settings.prediction_lookback_days)
        out = [o for row in warehouse.query("commit_mix_by_slate", {
            "start_date": start, "end_date": end, "as_of": ctx.as_of})
            for o in self.slate_observations(row)]
        # Whole days, so the windows move once a day (and replays can reuse results).
        last_day = ctx.target_date + dt.timedelta(days=1) if (
            ctx.mode == "daily" and ctx.target_date) else ctx.today
        end = min(ctx.as_of, dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(),
                                                 tzinfo=dt.UTC))
        midnight = dt.datetime.combine(last_day, dt.time(), tzinfo=dt.UTC)
        rows = warehouse.query("batch_commit_lineage", {
            "history_from": midnight - dt.timedelta(days=settings.provenance.history_days),
            "recent_from": midnight - dt.timedelta(days=settings.provenance.recent_days),
            "as_of": end})
        return out + [o for row in rows for o in self.batch_observations(row)]

    def slate_observations(self, row: dict[str, Any]) -> list[Observation]:
        labels = make_labels(system_id=row["system_id"], game_date=row["game_date"])
        n, unknown = int(row["prediction_rows"]), int(row["unknown_rows"])
        context = (("commits", row["commits"] or ""),)
        future = (*context, ("latest_future_predicted_at",
                             iso(row["latest_future_predicted_at"])))
        return [
            # Bad rows, never dropped: predicted_at in the future, prediction_id copies.
            Observation(self.name, "future_predictions", labels, float(row["future_rows"]), n,
                        None, None, future),
            Observation(self.name, "duplicate_predictions", labels,
                        float(row["duplicate_rows"]), n, None, None, context),
            Observation(self.name, "commits_per_slate", labels, float(row["known_commits"]), n,
                        None, None, context),
            Observation(self.name, "unknown_commit_share", labels, safe_ratio(unknown, n), n,
                        wilson_interval(unknown, n), None, context),
        ]

    def batch_observations(self, row: dict[str, Any]) -> list[Observation]:
        labels = make_labels(system_id=row["system_id"],
                             build_commit_sha=row["build_commit_sha"])
        context = (("serving_commit", row["serving_commit"] or "unknown"),
                   ("feature_source_mode", row["feature_source_modes"] or ""),
                   ("commit_first_seen", iso(row["first_seen_at"])),
                   ("last_batch_at", iso(row["last_batch_at"])))
        batches = int(row["batches"])
        blocked = int(row["blocked_batches"])
        # The latest blocked batch and the gate's reasons: what the alert names.
        blocked_context = context + ((
            ("blocked_execution_id", row["last_blocked_execution_id"] or ""),
            ("blocked_game_date", str(row["last_blocked_game_date"] or "")),
            ("blocked_at", iso(row["last_blocked_at"])),
            ("blocked_reasons", row["last_blocked_reasons"] or "")) if blocked else ())
        return [
            Observation(self.name, "stale_backfill_batches", labels,
                        float(row["stale_backfill_batches"]), batches, None, None, context),
            Observation(self.name, "superseded_commit_batches", labels,
                        float(row["superseded_commit_batches"]), batches, None, None, context),
            Observation(self.name, "blocked_batches", labels, float(blocked), batches, None,
                        None, blocked_context),
        ]

