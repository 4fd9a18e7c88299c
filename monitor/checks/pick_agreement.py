"""Sequential detection, at prediction time, of a model that lost its information:
how often a commit's picks side with the player's recent form (their mean points over
the last games graded before the pick, against the same line) beyond chance, against
the system's earlier commits.

Why this and not the outcomes alone: a model that loses what it knows but keeps its
usual distance from the line (`prediction_edge` then sees nothing) shows it in the
grading only slowly. A pick's outcome carries about 0.01 nats of evidence for "lost
its edge" (the hit) to 0.02 (the weighted margin) on a real season, so a test at
`false_alarm_rate` 0.001 needs 10-20 game days of ~40 picks (docs/statistics.md). A
model's picks, by contrast, follow what it knows: wherever it learnt that a player's
form matters and the line has not caught up with it, its sides agree with the form's
side more often than chance; a model that lost that agrees by chance alone. Chance is
not a coin's half: an OVER pick agrees with the share of the slate's lined players whose
form is above their line, an UNDER pick with the rest, so a model with no information
agrees by chance whatever its mix of sides. Each pick's excess agreement (1 or 0, less
its chance) is what the test reads; the agreement is known when the batch is written.

What it cannot tell: a model that legitimately changed what it leans on (new features,
a new target) changes its agreement too. The rule is a warning for that reason, named
after what it measured; the baseline is the system's own, so a model that never
followed form has nothing to lose here and is not judged.

The test is a Gaussian CUSUM per commit on the slates' excess agreement (as the edge
CUSUM of outcome_drift on margins), from the baseline's mean moved `BASELINE_Z`
standard errors towards the alternative (the baseline is estimated, not known) to
`1 - edge_loss` of it, each slate adding at most `max_day_share` of h. The per-pick
spread is the baseline slates' own (a slate's picks are not independent draws: one
slate's lines move together), never under the binomial's."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.checks.base import CheckContext
from monitor.checks.outcome_drift import sentinel_params
from monitor.metrics.registry import COMMIT, check_metrics
from monitor.model import Observation, as_date, as_utc, make_labels
from monitor.stats import cusum_gaussian_mean, cusum_threshold, wilson_interval
from monitor.warehouse.base import QueryRunner

if TYPE_CHECKING:  # types only: the config comes in with the context
    from monitor.config import MonitorConfig, Sequential

LABELS = COMMIT
METRIC = "pick_agreement_drift"
# The baseline is estimated from a few hundred picks of the system's earlier commits.
# Simulated with the baseline re-estimated as here (tests/test_pick_agreement.py,
# docs/checks.md#agreement-with-the-players-form-pick_agreement), one standard error of
# shift (as the outcome CUSUMs) left clean commits of a model leaning on form little
# (60% agreement) firing 0.5-1.5% of the time over 60-150 slates, up to 5.5% with
# slates that swing; three hold 60 slates at about false_alarm_rate (0.1%), and the
# worst cell of a wider grid (150 slates of a weak model whose slates swing) at 0.7%.
# Against a model that loses its whole lean the shift costs little: a few hundredths
# of a lean of tenths.
BASELINE_Z = 3.0
# A slate whose rows carried a configured sentinel on more than this share of them is
# no baseline (the feature-default checks' own threshold).
DEFAULTED_SHARE = 0.10


@dataclass(frozen=True)
class SlateAgreement:
    """One commit's picks on one slate, as pick_agreement_by_commit.sql counts them."""

    game_date: dt.date
    picks: int  # picks whose player has a form off the line
    agreements: int
    over_picks: int = 0
    lined_with_form: int = 0  # lined predictions (picks or not) with a form off the line
    form_above: int = 0  # of those, form above the line
    picks_without_reference: int = 0
    invalid_rows: int = 0
    defaulted_rows: int = 0
    latest_rows: int = 0
    first_predicted_at: dt.datetime | None = None

    @property
    def defaulted(self) -> bool:
        return self.latest_rows > 0 and self.defaulted_rows > DEFAULTED_SHARE * self.latest_rows

    @property
    def chance(self) -> float:
        """Agreements a model without information would expect on these picks: an OVER
        pick agrees with the slate's share of forms above the line, an UNDER pick with
        the rest."""
        if not self.lined_with_form:
            return self.picks / 2
        above = self.form_above / self.lined_with_form
        return self.over_picks * above + (self.picks - self.over_picks) * (1 - above)

    @property
    def excess(self) -> float:
        """Agreements beyond chance (the sum over the slate's picks)."""
        return self.agreements - self.chance


@dataclass(frozen=True)
class AgreementBaseline:
    picks: int
    agreements: int
    excess: float  # the picks' summed excess agreement
    sigma: float  # a pick's spread of excess agreement (the slates' own, >= binomial)
    since: dt.date

    @property
    def rate(self) -> float:
        return self.agreements / self.picks if self.picks else math.nan

    @property
    def lean(self) -> float:
        """A pick's mean agreement beyond chance."""
        return self.excess / self.picks if self.picks else math.nan

    def in_control(self) -> float:
        """The lean the CUSUM starts from: BASELINE_Z standard errors under the
        baseline's own (its estimate, not a known value)."""
        return self.lean - BASELINE_Z * self.sigma / math.sqrt(self.picks)


def baseline_of(slates: list[SlateAgreement], since: dt.date) -> AgreementBaseline:
    """Pure: the pooled baseline of `slates`; a pick's spread from the slates' scatter
    about the pooled lean (picks of one slate move together), at least the binomial's.
    Its `since` is its first slate with picks (`since` when it has none)."""
    picks = sum(s.picks for s in slates)
    agreements = sum(s.agreements for s in slates)
    excess = sum(s.excess for s in slates)
    if not picks:
        return AgreementBaseline(0, 0, 0.0, 0.0, since)
    since = min(s.game_date for s in slates if s.picks)  # where its picks begin
    lean = excess / picks
    scatter = sum((s.excess - s.picks * lean) ** 2 for s in slates) / picks
    rate = agreements / picks
    sigma = math.sqrt(max(scatter, rate * (1 - rate), 1e-6))
    return AgreementBaseline(picks, agreements, excess, sigma, since)


def reference_params(config: MonitorConfig) -> dict[str, int]:
    """pick_agreement_by_commit's parameters of the players' form."""
    ref = config.settings.pick_agreement
    return {"reference_games": ref.reference_games,
            "min_reference_games": ref.min_reference_games,
            "reference_days": ref.reference_days}


def slate_from(row: dict[str, Any]) -> SlateAgreement:
    first = row.get("first_predicted_at")
    return SlateAgreement(
        as_date(row["game_date"]), int(row["picks"] or 0), int(row["agreements"] or 0),
        int(row["over_picks"] or 0), int(row["lined_with_form"] or 0),
        int(row["form_above"] or 0), int(row["picks_without_reference"] or 0),
        int(row["invalid_rows"] or 0), int(row["defaulted_rows"] or 0),
        int(row["latest_rows"] or 0), as_utc(first) if first is not None else None)


def agreement_baseline(before: list[SlateAgreement], first_day: dt.date,
                       settings: Sequential) -> AgreementBaseline:
    """Pure: the slates of the `baseline_days` before `first_day`, reaching back a week
    at a time up to `baseline_max_days` while they hold fewer than `baseline_picks`
    picks (as outcome_drift's baseline does)."""
    wanted = max(settings.baseline_picks, settings.min_baseline_picks)
    days = settings.baseline_days
    while True:
        since = first_day - dt.timedelta(days=days)
        base = baseline_of([s for s in before if since <= s.game_date < first_day], since)
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
    if base.in_control() <= 0:
        return (f"baseline's picks side with the players' form no more than chance "
                f"allows, within {BASELINE_Z:g} standard errors ({base.rate:.1%} of "
                f"{base.picks}, {base.lean:+.3f} a pick beyond chance): nothing sure to lose")
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
    lean = sum(s.excess for s in slates) / picks if picks else math.nan
    facts = (*context,
             ("agreement", f"{rate:.3f}" if picks else "n/a"),
             ("beyond_chance", f"{lean:+.3f}" if picks else "n/a"),
             ("baseline_agreement", f"{base.rate:.3f} ({base.lean:+.3f} beyond chance) "
              f"over {base.picks} picks" if base.picks else "n/a"),
             ("baseline_from", str(base.since)),
             ("picks_without_reference", str(sum(s.picks_without_reference for s in slates))),
             ("invalid_rows", str(sum(s.invalid_rows for s in slates))))
    why = not_judged_reason(base, slates, settings)
    if why is not None:
        return Observation("pick_agreement", METRIC, labels, None, picks, None,
                           base.rate if base.picks else None, (*facts, ("not_judged", why)))
    h = cusum_threshold(settings.false_alarm_rate)
    m0 = base.in_control()
    m1 = (1 - settings.edge_loss) * m0
    s = cusum_gaussian_mean([(x.picks, x.excess) for x in slates], m0, base.sigma, m1,
                            h * settings.max_day_share)
    return Observation("pick_agreement", METRIC, labels, s / h, picks,
                       wilson_interval(agreements, picks), base.rate,
                       (*facts, ("tested_from", f"{m0:+.3f}"), ("alternative", f"{m1:+.3f}"),
                        ("threshold_h", f"{h:.2f}")))


def _first_seen(slates: list[SlateAgreement]) -> tuple[dt.date, dt.datetime]:
    """A commit's first slate, and when it first predicted (commits of one day in the
    order they served; a slate without predicted_at sorts last)."""
    day = min(s.game_date for s in slates)
    times = [s.first_predicted_at for s in slates
             if s.game_date == day and s.first_predicted_at is not None]
    return day, min(times) if times else dt.datetime.max.replace(tzinfo=dt.UTC)


def agreement_observations(system: str, by_commit: dict[str, list[SlateAgreement]],
                           settings: Sequential, latest_day: dt.date,
                           context: tuple[tuple[str, str], ...] = ()) -> list[Observation]:
    """Pure: each commit of one system that served a slate in the last `serving_days`
    days, on its slates of the last `history_days`, against the system's slates of
    earlier commits (a slate that wrote defaults left out of every baseline)."""
    first = {c: _first_seen(slates) for c, slates in by_commit.items()}
    order = sorted(by_commit, key=lambda c: (first[c], c))
    watched_from = latest_day - dt.timedelta(days=settings.history_days)
    out: list[Observation] = []
    for i, commit in enumerate(order):
        slates = sorted((s for s in by_commit[commit] if s.game_date > watched_from),
                        key=lambda s: s.game_date)
        if not slates or (latest_day - slates[-1].game_date).days >= settings.serving_days:
            continue
        before = [s for c in order[:i] for s in by_commit[c] if not s.defaulted]
        base = agreement_baseline(before, first[commit][0], settings)
        facts = (*context, ("replaced_commit", order[i - 1] if i else "none"),
                 ("since", str(first[commit][0])))
        out.append(agreement_observation(system, commit, slates, base, settings, facts))
    return out


class PickAgreementCheck:
    name = "pick_agreement"
    description = ("CUSUM on how often a commit's picks side with the players' recent form "
                   "beyond chance, vs the system's earlier commits (at prediction time)")
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
        latest = {system: max(s.game_date for slates in commits.values() for s in slates)
                  for system, commits in by_system.items()}
        newest = max(latest.values(), default=None)
        out: list[Observation] = []
        for system, commits in sorted(by_system.items()):
            # Each system's own newest slate (another's rows for tomorrow do not age
            # it), but a system that stopped predicting is no longer watched.
            if newest is not None and (newest - latest[system]).days < sequential.serving_days:
                out += agreement_observations(system, dict(commits), sequential,
                                              latest[system])
        return out
