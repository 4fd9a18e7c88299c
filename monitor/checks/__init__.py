"""The registry of checks: adding a check touches this one list."""

from __future__ import annotations

from functools import cache

from monitor.checks.base import Check, CheckContext
from monitor.checks.feature_defaults import FeatureDefaults
from monitor.checks.feature_shift import FeatureShift
from monitor.checks.freshness import Freshness
from monitor.checks.hit_rate_by_commit import HitRateByCommit
from monitor.checks.outcome_drift import OutcomeDrift
from monitor.checks.prediction_edge import PredictionEdge
from monitor.checks.provenance_checks import ProvenanceCheck
from monitor.checks.vegas_coverage_trend import VegasCoverageTrend


def all_checks() -> list[Check]:
    return [FeatureDefaults(), HitRateByCommit(), VegasCoverageTrend(), OutcomeDrift(),
            ProvenanceCheck(), Freshness(), FeatureShift(), PredictionEdge()]


@cache
def known_labels() -> dict[str, frozenset[str]]:
    """metric → labels its observations carry, over every registered check."""
    out: dict[str, frozenset[str]] = {}
    for check in all_checks():
        for metric, labels in check.metrics.items():
            out[metric] = frozenset(labels)
    return out


def known_metrics() -> frozenset[str]:
    return frozenset(known_labels())


__all__ = ["Check", "CheckContext", "all_checks", "known_labels", "known_metrics"]
