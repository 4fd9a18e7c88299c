"""What changed with a commit: each critical feature on a commit's first slates against
the commit it replaced on the same system (share at sentinel, missing share, mean, and a
population stability index over the replaced commit's deciles, the sentinel a bin of its
own, less what chance alone reaches 99 times in 100 at these sample sizes). Evidence,
not pages: no shipped rule judges `feature_shift`; the most shifted features go into
the root-cause hints of every alert about the commit, the report and validate-daily's
output.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from monitor.checks.base import CheckContext
from monitor.metrics.registry import COMMIT_FEATURE, check_metrics
from monitor.model import CheckResult, Observation, make_labels
from monitor.stats import population_stability, psi_chance_level, safe_ratio
from monitor.warehouse.base import ParamValue, QueryRunner
from monitor.warehouse.sql_dialect import FEATURE_KEYS_PARAM

if TYPE_CHECKING:  # types only: the config comes in with the context
    from monitor.config import CriticalFeature

LABELS = COMMIT_FEATURE
BINS: tuple[str, ...] = ("missing", "sentinel_rows", *(f"b{i}" for i in range(10)))
TOP = 3  # shifted features named in an alert's hints


def shift_params(features: Sequence[CriticalFeature]) -> dict[str, ParamValue]:
    params: dict[str, ParamValue] = {FEATURE_KEYS_PARAM: tuple(f.key for f in features)}
    for i, f in enumerate(features):
        params[f"f{i}_sentinel"] = float(f.sentinel if f.sentinel is not None else 0.0)
        params[f"f{i}_has_sentinel"] = f.sentinel is not None
    return params


def sample_params(days: Sequence[dict[str, Any]]) -> dict[str, ParamValue]:
    """feature_shift_samples' rows → feature_shift's parameters: one array per column
    (element i of each is row i) and the partition bounds, its first and last day.
    Two queries, so the warehouse is told how few the sample days are: planned as one,
    DuckDB guessed hundreds of millions and hashed the whole window's JSON text."""
    dates = [row["game_date"] for row in days]
    return {
        "start_date": min(dates), "end_date": max(dates),
        **{f"sample_{name}": [row[column] for row in days] for name, column in (
            ("system", "system_id"), ("commit", "build_commit_sha"),
            ("replaced", "replaced_commit"), ("side", "side"), ("source", "source_commit"))},
        "sample_date": dates,
    }


def widest_samples(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Stand-in rows of feature_shift_samples for a dry run: sample days on the first and
    last day its window could hold, so the second query is planned over the most
    partitions it could read (its bytes follow those, not the arrays)."""
    return [{"system_id": "", "build_commit_sha": "", "replaced_commit": "", "side": side,
             "game_date": params[bound], "source_commit": ""}
            for side, bound in (("replaced", "start_date"), ("new", "end_date"))]


def _share(num: int, den: int) -> str:
    ratio = safe_ratio(num, den)
    return "n/a" if ratio is None else f"{ratio:.1%}"


def shift_observations(rows: Sequence[dict[str, Any]], features: Sequence[CriticalFeature],
                       min_players: int = 1) -> list[Observation]:
    """Pure: the query's two rows per commit change (new, replaced) → one observation
    per feature, its value the PSI of the new commit's rows against the replaced's
    beyond what chance alone reaches 99 times in 100 with samples of these sizes (the
    raw index and that level are in the context); None (not judged) with fewer than
    `min_players` players on both sides."""
    sides: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        key = (row["system_id"], row["build_commit_sha"], row["replaced_commit"])
        sides[key][row["side"]] = row
    out: list[Observation] = []
    for (system, commit, replaced), pair in sorted(sides.items()):
        new, old = pair.get("new"), pair.get("replaced")
        if new is None:
            continue
        n_new = int(new["sample_rows"])
        n_old = int(old["sample_rows"]) if old else 0
        for i, feature in enumerate(features):
            def counts(row: dict[str, Any] | None, i: int = i) -> list[int]:
                return [int(row[f"f{i}_{b}"] or 0) if row else 0 for b in BINS]

            def mean(row: dict[str, Any] | None, i: int = i) -> str:
                value = row[f"f{i}_mean"] if row else None
                return "n/a" if value is None else f"{float(value):.4g}"

            c_new, c_old = counts(new), counts(old)
            enough = min(n_new, n_old) >= min_players
            raw = population_stability(c_old, c_new) if enough else None
            chance = psi_chance_level(c_old, c_new)
            psi = None if raw is None else max(raw - chance, 0.0)
            context = (
                ("replaced_commit", replaced),
                *((("psi", f"{raw:.3f} (chance alone: up to {chance:.3f})"),)
                  if raw is not None else ()),
                ("players", str(min(n_new, n_old))),
                ("sentinel_share", f"{_share(c_old[1], n_old)} → {_share(c_new[1], n_new)}"),
                ("missing_share", f"{_share(c_old[0], n_old)} → {_share(c_new[0], n_new)}"),
                ("mean", f"{mean(old)} → {mean(new)}"),
                *((("not_judged", f"{min(n_new, n_old)} players on both sides, fewer "
                                  f"than {min_players}"),) if psi is None else ()),
            )
            out.append(Observation("feature_shift", "feature_shift",
                                   make_labels(system_id=system, build_commit_sha=commit,
                                               feature=feature.key),
                                   psi, n_new, None, None, context))
    return out


def top_shifts(observations: Iterable[Observation], n: int = TOP) -> dict[str, str]:
    """Commit → its `n` most shifted features, as one line for an alert's hints
    ("ppm_avg_last_10 PSI 3.21 (at sentinel 0.0% → 85.2%), …"); a feature shifted on
    several systems counts with its largest index; one within chance is no shift."""
    best: dict[str, dict[str, Observation]] = defaultdict(dict)
    for o in observations:
        if o.metric != "feature_shift" or not o.value:  # unjudged, or within chance
            continue
        labels = dict(o.labels)
        commit, feature = labels["build_commit_sha"], labels["feature"]
        seen = best[commit].get(feature)
        if seen is None or (seen.value or 0.0) < o.value:
            best[commit][feature] = o
    out: dict[str, str] = {}
    for commit, by_feature in best.items():
        ranked = sorted(by_feature.items(), key=lambda kv: (-(kv[1].value or 0.0), kv[0]))[:n]
        parts = []
        for feature, o in ranked:
            context = dict(o.context)
            parts.append(f"{feature} PSI {o.value:.2f} (vs {context['replaced_commit']}: "
                         f"at sentinel {context['sentinel_share']}, "
                         f"missing {context['missing_share']}, mean {context['mean']})")
        out[commit] = "; ".join(parts)
    return out


def shifts_by_commit(results: Iterable[CheckResult]) -> dict[str, str]:
    """Commit → its most shifted features, from a cycle's or a day's check results."""
    return top_shifts(o for r in results if r.name == "feature_shift" for o in r.observations)


def changed_commits(results: list[CheckResult]) -> dict[str, str]:
    """The commits the day's firing findings are about that a feature shift names, each
    with its most shifted features: the report's "What changed with these commits"."""
    shifts = shifts_by_commit(results)
    return {c: shifts[c] for r in results for c in commits_of_findings(r) if c in shifts}


def commits_of_findings(result: CheckResult) -> list[str]:
    """The commits a check's firing findings are about, in order of appearance."""
    seen: dict[str, None] = {}
    for f in result.findings:
        commit = dict(f.observation.labels).get("build_commit_sha")
        if f.state == "firing" and commit:
            seen.setdefault(commit, None)
    return list(seen)


class FeatureShift:
    name = "feature_shift"
    description = "Each critical feature on a new commit's first slates vs the commit it replaced"
    metrics: dict[str, tuple[str, ...]] = check_metrics("feature_shift")

    def measure(self, warehouse: QueryRunner, ctx: CheckContext) -> list[Observation]:
        settings = ctx.config.settings.provenance
        end = ctx.slate_date if ctx.mode == "daily" else ctx.today + dt.timedelta(days=1)
        new_from = dt.datetime.combine(end - dt.timedelta(days=settings.shift_days),
                                       dt.time(), tzinfo=dt.UTC)
        features = ctx.config.features
        # Calendar days searched for the reference game days: room for a break (the
        # All-Star break is a week) without reading the whole history.
        span = 2 * settings.shift_reference_days + 7
        days = warehouse.query("feature_shift_samples", {
            "start_date": new_from.date() - dt.timedelta(days=span + 1),
            "end_date": end, "as_of": ctx.as_of, "new_from": new_from,
            "slate_days": settings.shift_slate_days,
            "reference_days": settings.shift_reference_days,
            "reference_span_days": span})
        rows = warehouse.query(self.name, {**sample_params(days), "as_of": ctx.as_of,
                                           **shift_params(features)}) if days else []
        if not rows:
            # No change to compare: an answer only where predictions were read at all.
            start, stop = ctx.slate_window(ctx.config.settings.prediction_lookback_days)
            if not warehouse.query("predicted_games", {"start_date": start, "end_date": stop,
                                                       "as_of": ctx.as_of}):
                return []
        shifts = shift_observations(rows, features, settings.shift_min_players)
        changes = len({dict(o.labels)["build_commit_sha"] + "/" + dict(o.labels)["system_id"]
                       for o in shifts})
        # "No commit changed" is an answer (evidence is never a page, so no rule could
        # call it missing): one observation, whenever predictions were there to read.
        return [*shifts, Observation(self.name, "commit_changes", (), float(changes), changes,
                                     None, None, ())]
