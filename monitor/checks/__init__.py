"""The registry of checks: adding a check touches this one list."""

from __future__ import annotations

from monitor.checks.base import Check, CheckContext
from monitor.checks.commits import CommitsCheck
from monitor.checks.feature_defaults import FeatureDefaults
from monitor.checks.feature_shift import FeatureShift
from monitor.checks.freshness import Freshness
from monitor.checks.hit_rate_by_commit import HitRateByCommit
from monitor.checks.outcome_drift import OutcomeDrift
from monitor.checks.pick_agreement import PickAgreementCheck
from monitor.checks.prediction_edge import PredictionEdge
from monitor.checks.vegas_coverage_trend import VegasCoverageTrend


def all_checks() -> list[Check]:
    return [FeatureDefaults(), HitRateByCommit(), VegasCoverageTrend(), OutcomeDrift(),
            CommitsCheck(), Freshness(), FeatureShift(), PredictionEdge(),
            PickAgreementCheck()]


__all__ = ["Check", "CheckContext", "all_checks"]
