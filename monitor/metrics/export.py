"""Exports one cycle's metrics to every sink; a failing sink never stops the others,
and nothing here can stop the cycle's alerts."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from monitor.metrics.base import MetricSink
from monitor.metrics.points import heartbeat_points, observation_points
from monitor.model import CheckResult, eastern_date

log = logging.getLogger(__name__)


@dataclass
class ExportSummary:
    written: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def export_cycle(sinks: Sequence[MetricSink], results: Sequence[CheckResult], *,
                 as_of: dt.datetime, alerts_firing: int, monitor_failed: bool,
                 notify_failed: int = 0,
                 incidents_open: Mapping[str, int] | None = None) -> ExportSummary:
    """`incidents_open`: open incidents by severity after the cycle; None when the
    cycle failed (no points: it cannot tell)."""
    points = observation_points((o for r in results for o in r.observations), eastern_date(as_of))
    points += heartbeat_points(results, alerts_firing, monitor_failed, notify_failed,
                               incidents_open)
    summary = ExportSummary()
    for sink in sinks:
        try:
            outcome = sink.write(points, as_of)
        except Exception as exc:  # noqa: BLE001 - a sink's bug must not lose the heartbeat elsewhere
            summary.failed += len(points)
            summary.errors.append(f"{sink.name}: {type(exc).__name__}: {exc}")
            continue
        summary.written += outcome.written
        summary.failed += outcome.failed
        summary.errors += [f"{sink.name}: {e}" for e in outcome.errors]
    for error in summary.errors:
        log.warning("metrics: %s", error)
    return summary
