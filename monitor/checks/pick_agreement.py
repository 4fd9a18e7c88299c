"""Sequential detection, at prediction time, of a model that lost its information:
how often a commit's picks side with the player's recent form (their mean points over
the last games graded, against the same line), against the system's earlier commits.

Why this and not the outcomes alone: a model that loses what it knows but keeps its
usual distance from the line (`prediction_edge` then sees nothing) shows it in the
grading only slowly. A pick's outcome carries about 0.01 nats of evidence for "lost
its edge" (the hit) to 0.02 (the weighted margin) on a real season, so a test at
`false_alarm_rate` 0.001 needs 10-20 game days of ~40 picks (docs/statistics.md). A
model's picks, by contrast, follow what it knows: wherever it learnt that a player's
form matters and the line has not caught up with it, its sides agree with the form's
side far more often than a coin's half; a model that lost that agrees half the time.
The agreement is known when the batch is written, before a game is played.

What it cannot tell: a model that legitimately changed what it leans on (new features,
a new target) changes its agreement too. The rule is a warning for that reason, named
after what it measured; the baseline is the system's own, so a model that never
followed form has nothing to lose here and is not judged.

The test is a Bernoulli CUSUM per commit (as the hit-rate CUSUM of outcome_drift), from
the baseline's agreement moved `BASELINE_Z` standard errors towards the alternative
(the baseline is estimated, not known) to the agreement of a model that lost
`edge_loss` of its lean over 50%, each slate adding at most `max_day_share` of h."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.checks.base import CheckContext
from monitor.checks.outcome_drift import BASELINE_Z, sentinel_params
from monitor.metrics.registry import COMMIT, check_metrics
from monitor.model import Observation, as_date, make_labels
from monitor.stats import bernoulli_llr, cusum, cusum_threshold, lost_edge, wilson_interval
from monitor.warehouse.base import QueryRunner

if TYPE_CHECKING:  # types only: the config comes in with the context
    from monitor.config import MonitorConfig, Sequential

LABELS = COMMIT
METRIC = "pick_agreement_drift"
# A commit's days whose rows carried a configured sentinel on more than this share of
# them are no baseline (the feature-default checks' own threshold).
DEFAULTED_SHARE = 0.10


@dataclass(frozen=True)
class SlateAgreement:
    """One commit's picks on one slate, as pick_agreement_by_commit.sql counts them."""

    game_date: dt.date
    picks: int
    agreements: int
    picks_without_reference: int = 0
    invalid_rows: int = 0
    defaulted_rows: int = 0
    latest_rows: int = 0

    @property
    def defaulted(self) -> bool:
        return self.latest_rows > 0 and self.defaulted_rows > DEFAULTED_SHARE * self.latest_rows


@dataclass(frozen=True)
class AgreementBaseline:
    picks: int
    agreements: int
    since: dt.date

    @property
    def rate(self) -> float:
        return self.agreements / self.picks if self.picks else math.nan

    def in_control(self) -> float:
        """The agreement the CUSUM starts from: BASELINE_Z standard errors under the
        baseline's own (its estimate, not a known value)."""
        p = self.rate
        # A baseline that always agreed is no certainty that a commit always will.
        return min(p - BASELINE_Z * math.sqrt(p * (1 - p) / self.picks),
                   1 - 0.5 / self.picks)


def reference_params(config: MonitorConfig) -> dict[str, int]:
    """pick_agreement_by_commit's parameters of the players' form."""
    ref = config.settings.pick_agreement
    return {"reference_games": ref.reference_games,
            "min_reference_games": ref.min_reference_games,
            "reference_days": ref.reference_days}


def slate_from(row: dict[str, Any]) -> SlateAgreement:
    return SlateAgreement(
        as_date(row["game_date"]), int(row["picks"] or 0), int(row["agreements"] or 0),
        int(row["picks_without_reference"] or 0), int(row["invalid_rows"] or 0),
        int(row["defaulted_rows"] or 0), int(row["latest_rows"] or 0))


def agreement_baseline(before: list[SlateAgreement], first_day: dt.date,
                       settings: Sequential) -> AgreementBaseline:
    """Pure: the slates of the `baseline_days` before `first_day`, reaching back a week
    at a time up to `baseline_max_days` while they hold fewer than `baseline_picks`
    picks (as outcome_drift's baseline does)."""
    wanted = max(settings.baseline_picks, settings.min_baseline_picks)
    days = settings.baseline_days
    while True:
        since = first_day - dt.timedelta(days=days)
        chosen = [s for s in before if since <= s.game_date < first_day]
        base = AgreementBaseline(sum(s.picks for s in chosen),
                                 sum(s.agreements for s in chosen), since)
        if base.picks >= wanted or days >= settings.baseline_max_days:
            return base
        days = min(days + 7, settings.baseline_max_days)


def not_judged_reason(base: AgreementBaseline, slates: list[SlateAgreement],
                      settings: Sequential) -> str | None:
    """Pure: why a commit's agreement cannot be tested against this baseline (None: it
    can)."""
    if base.picks < settings.min_baseline_picks:
        return (f"baseline too small: {base.picks} picks with a reference < "
                f"{settings.min_baseline_picks} in up to {settings.baseline_max_days} days "
                "before")
    if base.in_control() <= 0.5:
        return (f"baseline's picks side with the players' form no more than a coin "
                f"({base.rate:.1%} of {base.picks}): nothing to lose")
    if not any(s.picks for s in slates):
        return "no picks with a reference yet"
    return None


def agreement_observation(system: str, commit: str, slates: list[SlateAgreement],
                          base: AgreementBaseline, settings: Sequential,
                          context: tuple[tuple[str, str], ...]) -> Observation:
    """Pure: the commit's CUSUM in units of its threshold h (1.0 fires), or a null
    value with `not_judged` when it cannot be tested."""
    labels = make_labels(system_id=system, build_commit_sha=commit)
    picks = sum(s.picks for s in slates)
    agreements = sum(s.agreements for s in slates)
    rate = agreements / picks if picks else math.nan
    facts = (*context,
             ("agreement", f"{rate:.3f}" if picks else "n/a"),
             ("baseline_agreement", f"{base.rate:.3f} over {base.picks} picks"
              if base.picks else "n/a"),
             ("baseline_from", str(base.since)),
             ("picks_without_reference", str(sum(s.picks_without_reference for s in slates))),
             ("invalid_rows", str(sum(s.invalid_rows for s in slates))))
    why = not_judged_reason(base, slates, settings)
    if why is not None:
        return Observation("pick_agreement", METRIC, labels, None, picks, None,
                           base.rate if base.picks else None, (*facts, ("not_judged", why)))
    h = cusum_threshold(settings.false_alarm_rate)
    p0 = base.in_control()
    p1 = lost_edge(p0, settings.edge_loss)
    s = cusum([bernoulli_llr(x.picks, x.agreements, p0, p1) for x in slates],
              h * settings.max_day_share)
    return Observation("pick_agreement", METRIC, labels, s / h, picks,
                       wilson_interval(agreements, picks), base.rate,
                       (*facts, ("tested_from", f"{p0:.3f}"), ("alternative", f"{p1:.3f}"),
                        ("threshold_h", f"{h:.2f}")))


def agreement_observations(system: str, by_commit: dict[str, list[SlateAgreement]],
                           settings: Sequential, latest_day: dt.date,
                           context: tuple[tuple[str, str], ...] = ()) -> list[Observation]:
    """Pure: each commit that served a slate in the last `serving_days` days, against
    the system's slates of earlier commits (a commit whose slate wrote defaults left
    out of every baseline)."""
    first = {c: min(s.game_date for s in slates) for c, slates in by_commit.items()}
    order = sorted(by_commit, key=lambda c: (first[c], c))
    excluded = {c for c, slates in by_commit.items() if any(s.defaulted for s in slates)}
    out: list[Observation] = []
    for i, commit in enumerate(order):
        slates = sorted(by_commit[commit], key=lambda s: s.game_date)
        if (latest_day - slates[-1].game_date).days >= settings.serving_days:
            continue
        before = [s for c in order[:i] if c not in excluded for s in by_commit[c]]
        base = agreement_baseline(before, first[commit], settings)
        facts = (*context, ("replaced_commit", order[i - 1] if i else "none"),
                 ("since", str(first[commit])))
        out.append(agreement_observation(system, commit, slates, base, settings, facts))
    return out


class PickAgreementCheck:
    name = "pick_agreement"
    description = ("CUSUM on how often a commit's picks side with the players' recent form, "
                   "vs the system's earlier commits (at prediction time)")
    metrics: dict[str, tuple[str, ...]] = check_metrics("pick_agreement")

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        settings = ctx.config.settings
        sequential = settings.sequential
        _, end = ctx.slate_window(settings.prediction_lookback_days)
        start = end - dt.timedelta(days=sequential.history_days
                                   + sequential.baseline_max_days)
        rows = warehouse.query("pick_agreement_by_commit", {
            "start_date": start, "end_date": end, "as_of": ctx.as_of,
            **reference_params(ctx.config), **sentinel_params(ctx.config)})
        by_system: dict[str, dict[str, list[SlateAgreement]]] = defaultdict(
            lambda: defaultdict(list))
        for row in rows:
            by_system[row["system_id"]][row["build_commit_sha"]].append(slate_from(row))
        if not by_system:
            return []
        latest = max(s.game_date for commits in by_system.values()
                     for slates in commits.values() for s in slates)
        return [o for system, commits in sorted(by_system.items())
                for o in agreement_observations(system, dict(commits), sequential, latest)]
