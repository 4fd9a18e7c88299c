"""Missing data is reported as missing: a slate with no batch by its expected time,
and past slates still ungraded after their grading time."""

from __future__ import annotations

import datetime as dt

from monitor.checks.base import EASTERN, CheckContext
from monitor.model import Observation, make_labels
from monitor.stats import safe_ratio
from monitor.warehouse.base import QueryRunner

SLATE: tuple[str, ...] = ("system_id", "game_date")


class Freshness:
    name = "freshness"
    description = "A batch for today's slate by its expected time; past slates graded"
    metrics: dict[str, tuple[str, ...]] = {"slate_batches": SLATE, "graded_share": SLATE}

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        fresh = ctx.config.settings.freshness
        out: list[Observation] = []
        if ctx.mode == "daily" and ctx.target_date:
            slate = ctx.target_date
            due = True  # validate-daily looks at a past date with all data present
        else:
            slate = ctx.today
            local = ctx.as_of.astimezone(EASTERN)
            due = local.time() >= fresh.expected_batch_by
        history_from = dt.datetime.combine(slate - dt.timedelta(days=fresh.lookback_days),
                                           dt.time(), tzinfo=dt.UTC)
        if due:
            for row in warehouse.query("slate_freshness", {
                    "game_date": slate, "history_from": history_from, "as_of": ctx.as_of}):
                # Attempted batches: a failed first batch with its retry still to come
                # is the batch-failure rule's business; no attempt at all is no data.
                out.append(Observation(
                    self.name, "slate_batches",
                    make_labels(system_id=row["system_id"], game_date=slate),
                    float(row["batches"]), int(row["batches"]), None, None,
                    (("expected_by", f"{fresh.expected_batch_by:%H:%M} US/Eastern"),
                     ("successful_batches", str(row["good_batches"])))))
        graded_until = (slate if ctx.mode == "daily" else
                        ctx.today - dt.timedelta(days=fresh.grading_lag_days))
        for row in warehouse.query("ungraded_slates", {
                "start_date": graded_until - dt.timedelta(days=fresh.lookback_days),
                "end_date": graded_until, "as_of": ctx.as_of}):
            predicted, graded = int(row["predicted"]), int(row["graded"])
            out.append(Observation(
                self.name, "graded_share",
                make_labels(system_id=row["system_id"], game_date=row["game_date"]),
                safe_ratio(min(graded, predicted), predicted), predicted, None, None,
                (("graded", str(graded)),)))
        return out
