"""Sequential detection of predictions going bad: CUSUM on MAE (every graded
prediction, so it reacts long before hit rate can) and on hit rate — per commit
against the code it replaced on the same system, and per system over its recent
days against its trailing baseline.

The hit-rate CUSUM tests "the model lost its edge": the alternative is
`lost_edge(p0)`, the baseline's hit rate with `edge_loss` of its margin over a coin
flip gone. (Testing high-edge picks as a stratum of their own was tried and is
weaker: a model that lost its edge also stops making high-edge picks.)

The edge CUSUM tests the same hypothesis on each pick's realized margin (how many
points past the line the outcome landed, on the side picked), whose mean falls to
`1 - edge_loss` of the baseline's. A hit keeps one bit of a pick's outcome; the margin
keeps how far it landed too, so the same evidence takes fewer picks (about two thirds
for Gaussian outcomes and a model picking both sides; about half on the demo's
seasons). That matters once a calendar-shaped season gives ~40 picks on a game day: at
h = 6.9 the hit-rate test needs ~5-8 game days to see a model that lost its edge.
It assumes a coin flip's margin is about zero: true for lines at the outcome's mean
and a model picking both sides. Points run right of a median line, so a model picking
mostly OVER keeps a small positive margin without an edge: the test then detects
a lost edge later, and is armed only when the hit rate shows an edge too; a model that
turns from mostly OVER to mostly UNDER picks loses that skew, which reads as part of
its edge. Centring each side on its coin-flip margin would remove both."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from monitor.checks.base import CheckContext
from monitor.metrics.registry import COMMIT, check_metrics
from monitor.model import Observation, as_date, make_labels

if TYPE_CHECKING:  # types only: the config comes in with the context
    from monitor.config import Sequential
from monitor.stats import bernoulli_llr, cusum, cusum_gaussian_mean, cusum_threshold, lost_edge
from monitor.warehouse.base import QueryRunner

LABELS = COMMIT
# Points: a baseline whose margins barely vary (a handful of near-identical picks, a
# grading bug) would make every later day look far off; real margins vary by ~6 points.
MIN_MARGIN_SIGMA = 1.0
SYSTEM_WIDE = "all"  # the build_commit_sha label of a system's commit-agnostic series
FIELDS = ("graded", "sum_abs_error", "sum_sq_abs_error", "picks", "hits",
          "margin_picks", "sum_margin", "sum_sq_margin", "invalid_rows", "duplicate_rows")


@dataclass
class CommitDays:
    commit: str
    days: list[dict[str, Any]] = field(default_factory=list)

    @property
    def first_day(self) -> dt.date:
        return min(as_date(d["game_date"]) for d in self.days)

    @property
    def last_day(self) -> dt.date:
        return max(as_date(d["game_date"]) for d in self.days)

    def total(self, key: str) -> float:
        return float(sum(d.get(key) or 0 for d in self.days))


def pooled(days: Iterable[dict[str, Any]]) -> dict[str, float]:
    sums = dict.fromkeys(FIELDS, 0.0)
    for d in days:
        for key in FIELDS:
            sums[key] += float(d.get(key) or 0)
    return sums


@dataclass(frozen=True)
class Baseline:
    mae: float
    sigma: float
    graded: int
    picks: int
    hit_rate: float | None  # None: too few picks, or no edge over 50% to lose
    margin: float | None = None  # a pick's mean realized margin; None as for hit_rate
    margin_sigma: float = 0.0


def baseline_from(sums: dict[str, float], settings: Sequential) -> Baseline | None:
    n = sums["graded"]
    if n < settings.min_baseline_graded:
        return None
    mae = sums["sum_abs_error"] / n
    sigma = math.sqrt(max(sums["sum_sq_abs_error"] / n - mae * mae, 1e-9))
    picks = sums["picks"]
    p0 = sums["hits"] / picks if picks >= settings.min_baseline_picks else None
    hit_rate = p0 if p0 is not None and 0.5 < p0 < 1 else None
    base = Baseline(mae, sigma, int(n), int(picks), hit_rate)
    m = sums["margin_picks"]
    # An edge to lose on both tests: a margin above zero alone can be the lines'
    # skew (points run right of a median line), not skill, for a model picking OVER.
    if hit_rate is None or m < settings.min_baseline_picks:
        return base
    margin = sums["sum_margin"] / m
    margin_sigma = math.sqrt(max(sums["sum_sq_margin"] / m - margin * margin, 0.0))
    if margin <= 0 or margin_sigma < MIN_MARGIN_SIGMA:
        return base
    return replace(base, margin=margin, margin_sigma=margin_sigma)


def _observations(system: str, commit: str, days: list[dict[str, Any]], base: Baseline,
                  settings: Sequential, context: tuple[tuple[str, str], ...],
                  check: str) -> list[Observation]:
    h = cusum_threshold(settings.false_alarm_rate)
    cap = h * settings.max_day_share
    labels = make_labels(system_id=system, build_commit_sha=commit)
    sums = pooled(days)
    graded, picks = int(sums["graded"]), int(sums["picks"])
    mae = sums["sum_abs_error"] / graded if graded else math.nan
    s_mae = cusum_gaussian_mean([(int(d["graded"] or 0), float(d["sum_abs_error"] or 0))
                                 for d in days], base.mae, base.sigma,
                                base.mae * (1 + settings.mae_shift), cap)
    # Bad rows (a non-finite error, line or outcome) were counted in SQL; say how many,
    # so a reader can weigh the evidence.
    bad = (("invalid_rows", str(int(sums["invalid_rows"]))),
           ("duplicate_rows", str(int(sums["duplicate_rows"]))))
    facts = (*context, ("mae", f"{mae:.3f}"), ("threshold_h", f"{h:.2f}"), *bad)
    out = [Observation(check, "mae_drift", labels, s_mae / h, graded, None, base.mae, facts)]
    if base.hit_rate is not None:
        p0, p1 = base.hit_rate, lost_edge(base.hit_rate, settings.edge_loss)
        s_hit = cusum([bernoulli_llr(int(d["picks"] or 0), int(d["hits"] or 0), p0, p1)
                       for d in days], cap)
        hit = sums["hits"] / picks if picks else math.nan
        out.append(Observation(check, "hit_rate_drift", labels, s_hit / h, picks, None, p0,
                               (*context, ("hit_rate", f"{hit:.3f}"),
                                ("alternative", f"{p1:.3f}"), ("threshold_h", f"{h:.2f}"),
                                *bad)))
    if base.margin is not None:
        m0, m1 = base.margin, (1 - settings.edge_loss) * base.margin
        s_edge = cusum_gaussian_mean([(int(d["margin_picks"] or 0),
                                       float(d["sum_margin"] or 0)) for d in days],
                                     m0, base.margin_sigma, m1, cap)
        n_margin = int(sums["margin_picks"])
        margin = sums["sum_margin"] / n_margin if n_margin else math.nan
        out.append(Observation(check, "edge_drift", labels, s_edge / h, n_margin, None, m0,
                               (*context, ("margin", f"{margin:.2f}"),
                                ("alternative", f"{m1:.2f}"), ("threshold_h", f"{h:.2f}"),
                                ("picks_without_margin", str(picks - n_margin)), *bad)))
    return out


def drift_observations(system: str, commits: list[CommitDays], settings: Sequential,
                       latest_day: dt.date, check: str = "outcome_drift") -> list[Observation]:
    """Pure: each serving commit against the system's rows of the `baseline_days`
    before its first day (the commit it replaced, and the one before when that one
    served only briefly)."""
    ordered = sorted(commits, key=lambda c: c.first_day)
    out: list[Observation] = []
    for i, current in enumerate(ordered):
        if (latest_day - current.last_day).days >= settings.serving_days:
            continue  # no longer serving: nothing to watch
        since = current.first_day - dt.timedelta(days=settings.baseline_days)
        base = baseline_from(pooled(d for c in ordered[:i] for d in c.days
                                    if since <= as_date(d["game_date"]) < current.first_day),
                             settings)
        days = sorted(current.days, key=lambda d: as_date(d["game_date"]))
        if base is None:
            # Nothing to compare with yet: reported as not judged, never as healthy.
            labels = make_labels(system_id=system, build_commit_sha=current.commit)
            why = (("not_judged", "no replaced code with enough graded rows"),)
            out += [Observation(check, "mae_drift", labels, None,
                                int(current.total("graded")), None, None, why),
                    Observation(check, "hit_rate_drift", labels, None,
                                int(current.total("picks")), None, None, why),
                    Observation(check, "edge_drift", labels, None,
                                int(current.total("margin_picks")), None, None, why)]
            continue
        context = (("replaced_commit", ordered[i - 1].commit),
                   ("since", str(current.first_day)))
        out += _observations(system, current.commit, days, base, settings, context, check)
    return out


def system_drift_observations(system: str, commits: list[CommitDays], settings: Sequential,
                              latest_day: dt.date, check: str = "outcome_drift") -> (
    list[Observation]
):
    """Pure: the system's last `recent_days` game days, whatever commits served them,
    against its `baseline_days` before. Catches a regression that does not start
    with a deploy (a per-commit CUSUM restarts at each one)."""
    recent_from = latest_day - dt.timedelta(days=settings.recent_days - 1)
    base_from = recent_from - dt.timedelta(days=settings.baseline_days)
    by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for c in commits:
        for d in c.days:
            by_day[as_date(d["game_date"])].append(d)
    base = baseline_from(pooled(d for day, ds in by_day.items()
                                if base_from <= day < recent_from for d in ds), settings)
    recent = [pooled(ds) for day, ds in sorted(by_day.items()) if day >= recent_from]
    if base is None or not recent:
        return []
    context = (("baseline_days", f"{base_from} .. {recent_from - dt.timedelta(days=1)}"),
               ("since", str(recent_from)))
    return _observations(system, SYSTEM_WIDE, recent, base, settings, context, check)


class OutcomeDrift:
    name = "outcome_drift"
    description = ("CUSUM on MAE, hit rate and realized margin per commit and per system "
                   "vs their baselines")
    metrics: dict[str, tuple[str, ...]] = check_metrics("outcome_drift")

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        settings = ctx.config.settings.sequential
        end = ctx.target_date if ctx.mode == "daily" and ctx.target_date else ctx.today
        rows = warehouse.query("outcome_daily_by_commit", {
            "start_date": end - dt.timedelta(days=settings.history_days),
            "end_date": end, "as_of": ctx.as_of})
        if not rows:
            return []
        by_system: dict[str, dict[str, CommitDays]] = defaultdict(dict)
        for row in rows:
            commits = by_system[row["system_id"]]
            commits.setdefault(row["build_commit_sha"],
                               CommitDays(row["build_commit_sha"])).days.append(row)
        latest = max(as_date(r["game_date"]) for r in rows)
        out: list[Observation] = []
        for system, commits in sorted(by_system.items()):
            out += drift_observations(system, list(commits.values()), settings, latest)
            out += system_drift_observations(system, list(commits.values()), settings, latest)
        return out
