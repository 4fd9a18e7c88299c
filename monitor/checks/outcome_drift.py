"""Sequential detection of predictions going bad: CUSUM on MAE (every graded
prediction, so it reacts long before hit rate can) and on hit rate — per commit
against the code it replaced on the same system, and per system over its recent
days against its trailing baseline.

The hit-rate CUSUM tests "the model lost its edge": the alternative is
`lost_edge(p0)`, the baseline's hit rate with `edge_loss` of its margin over a coin
flip gone. (Testing high-edge picks as a stratum of their own was tried and is
weaker: a model that lost its edge also stops making high-edge picks.)

The edge CUSUM tests the same hypothesis on each pick's realized margin (how many
points past the line the outcome landed, on the side picked), standardized by the
line's scatter (sqrt(line): a star's and a bench player's points differ tenfold in
variance) and weighted by the edge the model claimed (a calibrated model wins more
where it claims more); its mean falls to `1 - edge_loss` of the baseline's. On the
real-season benchmark that weighting carries about a sixth more evidence per pick than
the raw margin (benchmarks/real_season.py). A hit keeps one bit of a pick's outcome; the margin
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
from monitor.checks.settled import settled_end
from monitor.metrics.registry import COMMIT, check_metrics
from monitor.model import Observation, as_date, make_labels

if TYPE_CHECKING:  # types only: the config comes in with the context
    from monitor.config import MonitorConfig, Sequential
from monitor.stats import bernoulli_llr, cusum, cusum_gaussian_mean, cusum_threshold, lost_edge
from monitor.warehouse.base import QueryRunner

LABELS = COMMIT
# The CUSUMs' h = ln(1/alpha) assumes the in-control value known; the monitor estimates
# it from the baseline's rows. A baseline a standard error too good (a hit rate of 58%
# estimated for a 56.5% model from 800 picks) leaves the true value near the middle
# between null and alternative, and the CUSUM drifts up instead of down: simulated with
# the baseline re-estimated as here (tests/test_sequential.py), a clean commit watched for
# 10 game days at 40 picks a day fired 20 times as often as with a known baseline. Each
# test therefore starts from the baseline moved BASELINE_Z standard errors of its
# estimate towards the alternative (a hit rate and a margin lower, an MAE higher): the
# true value is at least that far from the alternative with probability Phi(z), and
# there Wald's bound holds. Chosen by that simulation (docs/statistics.md).
BASELINE_Z = 1.0
# A baseline whose weighted margins barely vary (a handful of near-identical picks, a
# grading bug) would make every later day look far off. The weighted margin is in units
# of a line's scatter (outcome_daily_by_commit.sql): it varies by ~1.5 on real slates.
MIN_MARGIN_SIGMA = 0.25
# outcome_daily_by_commit's sentinel parameters where no defaulted_rows are wanted
# (NaN equals nothing on BigQuery; a JSON number is never NaN).
NO_SENTINELS = {"vegas_sentinel": math.nan, "ppm_sentinel": math.nan}


def sentinel_params(config: MonitorConfig) -> dict[str, float]:
    """The configured sentinels of has_vegas_line and ppm_avg_last_10, as the queries
    that leave default-filled rows out of a baseline take them. NaN equals nothing: a
    sentinel not configured matches no row."""
    sentinels = {f.key: f.sentinel for f in config.features if f.sentinel is not None}
    return {"vegas_sentinel": float(sentinels.get("has_vegas_line", math.nan)),
            "ppm_sentinel": float(sentinels.get("ppm_avg_last_10", math.nan))}
SYSTEM_WIDE = "all"  # the build_commit_sha label of a system's commit-agnostic series
FIELDS = ("graded", "sum_abs_error", "sum_sq_abs_error", "picks", "hits",
          "margin_picks", "sum_margin", "sum_sq_margin", "weighted_picks",
          "sum_weighted_margin", "sum_sq_weighted_margin", "invalid_rows", "duplicate_rows")


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
    margin: float | None = None  # a pick's mean weighted margin; None as for hit_rate
    margin_sigma: float = 0.0
    margin_picks: int = 0


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
    m = sums["weighted_picks"]
    # An edge to lose on both tests: a margin above zero alone can be the lines'
    # skew (points run right of a median line), not skill, for a model picking OVER.
    if hit_rate is None or m < settings.min_baseline_picks:
        return base
    margin = sums["sum_weighted_margin"] / m
    margin_sigma = math.sqrt(max(sums["sum_sq_weighted_margin"] / m - margin * margin, 0.0))
    if margin <= 0 or margin_sigma < MIN_MARGIN_SIGMA:
        return base
    return replace(base, margin=margin, margin_sigma=margin_sigma, margin_picks=int(m))


def in_control_rate(base: Baseline) -> float:
    """Pure: the hit rate the CUSUM starts from, BASELINE_Z standard errors under the
    baseline's (0 without one)."""
    if base.hit_rate is None:
        return 0.0
    p = base.hit_rate
    return p - BASELINE_Z * math.sqrt(p * (1 - p) / base.picks)


def in_control_margin(base: Baseline) -> float:
    """Pure: the margin the edge CUSUM starts from, BASELINE_Z standard errors under the
    baseline's (0 without one)."""
    if base.margin is None:
        return 0.0
    return base.margin - BASELINE_Z * base.margin_sigma / math.sqrt(base.margin_picks)


def not_judged_reasons(base: Baseline | None, settings: Sequential) -> dict[str, str]:
    """Pure: metric → why its test cannot run against this baseline (absent: it can)."""
    if base is None:
        why = (f"baseline too small: under {settings.min_baseline_graded} graded rows in "
               f"up to {settings.baseline_max_days} days before")
        return dict.fromkeys(("mae_drift", "hit_rate_drift", "edge_drift"), why)
    reasons: dict[str, str] = {}
    if base.hit_rate is None:
        reasons["hit_rate_drift"] = (
            f"baseline too small: {base.picks} picks < {settings.min_baseline_picks}"
            if base.picks < settings.min_baseline_picks
            else "baseline shows no edge over 50% to lose")
    elif in_control_rate(base) <= 0.5:
        reasons["hit_rate_drift"] = (f"baseline's edge over 50% is within {BASELINE_Z:g} "
                                     "standard error of its estimate: nothing sure to lose")
    if base.margin is None:
        reasons["edge_drift"] = reasons.get("hit_rate_drift") or (
            "baseline's realized margin shows no edge (or no spread) to lose")
    elif in_control_margin(base) <= 0:
        reasons["edge_drift"] = (f"baseline's realized margin is within {BASELINE_Z:g} "
                                 "standard error of zero: nothing sure to lose")
    return reasons


def extended_baseline(before: list[dict[str, Any]], first_day: dt.date,
                      settings: Sequential) -> tuple[Baseline | None, dt.date]:
    """Pure: the baseline of the rows `before` a commit's first day: its `baseline_days`,
    reaching back a week at a time up to `baseline_max_days` while they hold fewer than
    `baseline_picks` picks (the hit-rate and edge tests judge from `min_baseline_picks`;
    each starts a standard error of the baseline towards its alternative, and more picks
    make that error smaller). Returns the baseline and its first day."""
    wanted = max(settings.baseline_picks, settings.min_baseline_picks)
    days = settings.baseline_days
    while True:
        since = first_day - dt.timedelta(days=days)
        base = baseline_from(pooled(d for d in before
                                    if since <= as_date(d["game_date"]) < first_day),
                             settings)
        full = base is not None and base.picks >= wanted
        if full or days >= settings.baseline_max_days:
            return base, since
        days = min(days + 7, settings.baseline_max_days)


def _unjudged(check: str, system: str, commit: str, days: list[dict[str, Any]],
              reasons: dict[str, str], context: tuple[tuple[str, str], ...]) -> (
    list[Observation]
):
    """Tests that cannot run: a null value, the sample they would have judged, and why."""
    labels = make_labels(system_id=system, build_commit_sha=commit)
    sums = pooled(days)
    sizes = {"mae_drift": sums["graded"], "hit_rate_drift": sums["picks"],
             "edge_drift": sums["weighted_picks"]}
    return [Observation(check, metric, labels, None, int(sizes[metric]), None, None,
                        (*context, ("not_judged", why)))
            for metric, why in reasons.items()]


def _observations(system: str, commit: str, days: list[dict[str, Any]], base: Baseline,
                  settings: Sequential, context: tuple[tuple[str, str], ...],
                  check: str) -> list[Observation]:
    h = cusum_threshold(settings.false_alarm_rate)
    cap = h * settings.max_day_share
    labels = make_labels(system_id=system, build_commit_sha=commit)
    sums = pooled(days)
    graded, picks = int(sums["graded"]), int(sums["picks"])
    mae = sums["sum_abs_error"] / graded if graded else math.nan
    mae0 = base.mae + BASELINE_Z * base.sigma / math.sqrt(base.graded)
    s_mae = cusum_gaussian_mean([(int(d["graded"] or 0), float(d["sum_abs_error"] or 0))
                                 for d in days], mae0, base.sigma,
                                mae0 * (1 + settings.mae_shift), cap)
    # Bad rows (a non-finite error, line or outcome) were counted in SQL; say how many,
    # so a reader can weigh the evidence.
    bad = (("invalid_rows", str(int(sums["invalid_rows"]))),
           ("duplicate_rows", str(int(sums["duplicate_rows"]))))
    facts = (*context, ("mae", f"{mae:.3f}"), ("tested_from", f"{mae0:.3f}"),
             ("threshold_h", f"{h:.2f}"), *bad)
    out = [Observation(check, "mae_drift", labels, s_mae / h, graded, None, base.mae, facts)]
    if base.hit_rate is not None and in_control_rate(base) > 0.5:
        p0 = in_control_rate(base)
        p1 = lost_edge(p0, settings.edge_loss)
        s_hit = cusum([bernoulli_llr(int(d["picks"] or 0), int(d["hits"] or 0), p0, p1)
                       for d in days], cap)
        hit = sums["hits"] / picks if picks else math.nan
        out.append(Observation(check, "hit_rate_drift", labels, s_hit / h, picks, None,
                               base.hit_rate,
                               (*context, ("hit_rate", f"{hit:.3f}"),
                                ("tested_from", f"{p0:.3f}"),
                                ("alternative", f"{p1:.3f}"), ("threshold_h", f"{h:.2f}"),
                                *bad)))
    if base.margin is not None and in_control_margin(base) > 0:
        m0 = in_control_margin(base)
        m1 = (1 - settings.edge_loss) * m0
        s_edge = cusum_gaussian_mean([(int(d["weighted_picks"] or 0),
                                       float(d["sum_weighted_margin"] or 0)) for d in days],
                                     m0, base.margin_sigma, m1, cap)
        n_margin = int(sums["weighted_picks"])
        weighted = sums["sum_weighted_margin"] / n_margin if n_margin else math.nan
        n_points = int(sums["margin_picks"])
        margin = sums["sum_margin"] / n_points if n_points else math.nan
        out.append(Observation(check, "edge_drift", labels, s_edge / h, n_margin, None,
                               base.margin,
                               (*context, ("weighted_margin", f"{weighted:.3f}"),
                                ("margin", f"{margin:.2f}"),
                                ("tested_from", f"{m0:.3f}"),
                                ("alternative", f"{m1:.3f}"), ("threshold_h", f"{h:.2f}"),
                                ("picks_without_margin", str(picks - n_margin)), *bad)))
    return out + _unjudged(check, system, commit, days, not_judged_reasons(base, settings),
                           context)


def drift_observations(system: str, commits: list[CommitDays], settings: Sequential,
                       latest_day: dt.date, check: str = "outcome_drift",
                       context: tuple[tuple[str, str], ...] = (),
                       excluded: frozenset[str] = frozenset()) -> list[Observation]:
    """Pure: each serving commit against the system's rows of the `baseline_days`
    before its first day (the commit it replaced, and those before when it served only
    briefly), reaching back up to `baseline_max_days` when those hold too few picks.
    Commits in `excluded` (their own days failed the feature-default checks) are left
    out of every baseline. A test that cannot run says why (`not_judged`)."""
    ordered = sorted(commits, key=lambda c: c.first_day)
    out: list[Observation] = []
    for i, current in enumerate(ordered):
        if (latest_day - current.last_day).days >= settings.serving_days:
            continue  # no longer serving: nothing to watch
        before = [d for c in ordered[:i] if c.commit not in excluded for d in c.days]
        base, since = extended_baseline(before, current.first_day, settings)
        days = sorted(current.days, key=lambda d: as_date(d["game_date"]))
        facts = (*context, ("replaced_commit", ordered[i - 1].commit if i else "none"),
                 ("since", str(current.first_day)), ("baseline_from", str(since)))
        if base is None:
            # Nothing to compare with yet: reported as not judged, never as healthy.
            out += _unjudged(check, system, current.commit, days,
                             not_judged_reasons(None, settings), facts)
            continue
        out += _observations(system, current.commit, days, base, settings, facts, check)
    return out


def system_drift_observations(system: str, commits: list[CommitDays], settings: Sequential,
                              latest_day: dt.date, check: str = "outcome_drift",
                              context: tuple[tuple[str, str], ...] = (),
                              excluded: frozenset[str] = frozenset()) -> (
    list[Observation]
):
    """Pure: the system's last `recent_days` game days, whatever commits served them,
    against its `baseline_days` before. Catches a regression that does not start
    with a deploy (a per-commit CUSUM restarts at each one)."""
    recent_from = latest_day - dt.timedelta(days=settings.recent_days - 1)
    by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for c in commits:
        for d in c.days:
            if c.commit not in excluded or as_date(d["game_date"]) >= recent_from:
                by_day[as_date(d["game_date"])].append(d)
    recent = [pooled(ds) for day, ds in sorted(by_day.items()) if day >= recent_from]
    if not recent:
        return []
    before = [d for day, ds in by_day.items() if day < recent_from for d in ds]
    base, base_from = extended_baseline(before, recent_from, settings)
    facts = (*context,
             ("baseline_days", f"{base_from} .. {recent_from - dt.timedelta(days=1)}"),
             ("since", str(recent_from)))
    if base is None:
        return _unjudged(check, system, SYSTEM_WIDE, recent,
                         not_judged_reasons(None, settings), facts)
    return _observations(system, SYSTEM_WIDE, recent, base, settings, facts, check)


class OutcomeDrift:
    name = "outcome_drift"
    description = ("CUSUM on MAE, hit rate and realized margin per commit and per system "
                   "vs their baselines")
    metrics: dict[str, tuple[str, ...]] = check_metrics("outcome_drift")

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        settings = ctx.config.settings.sequential
        reach = settings.history_days + settings.baseline_max_days
        # Only game dates whose grading settled are judged; a night in progress is
        # reported in the context.
        window = settled_end(warehouse, ctx, reach)
        if window.end is None:
            return []
        end = window.end
        rows = warehouse.query("outcome_daily_by_commit", {
            "start_date": end - dt.timedelta(days=reach),
            "end_date": end, "as_of": ctx.as_of, **sentinel_params(ctx.config)})
        if not rows:
            return []
        by_system: dict[str, dict[str, CommitDays]] = defaultdict(dict)
        for row in rows:
            commits = by_system[row["system_id"]]
            commits.setdefault(row["build_commit_sha"],
                               CommitDays(row["build_commit_sha"])).days.append(row)
        latest = max(as_date(r["game_date"]) for r in rows)
        context = window.context()
        out: list[Observation] = []
        for system, commits in sorted(by_system.items()):
            excluded = defaulted_commits(list(commits.values()))
            out += drift_observations(system, list(commits.values()), settings, latest,
                                      context=context, excluded=excluded)
            out += system_drift_observations(system, list(commits.values()), settings,
                                             latest, context=context, excluded=excluded)
        return out


def defaulted_commits(commits: list[CommitDays]) -> frozenset[str]:
    """Commits whose graded rows carried a configured sentinel on more than a tenth of
    them (the feature-default checks' own threshold): their days are no baseline."""
    out = set()
    for c in commits:
        graded = c.total("graded")
        if graded and c.total("defaulted_rows") > 0.10 * graded:
            out.add(c.commit)
    return frozenset(out)
