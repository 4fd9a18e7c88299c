"""Incidents made by hand for the message tests: the events a cycle writes (an incident
`opened`, its members' `fired` stamped with it, `notified`, `resolved`), folded as the
cycle folds them (monitor/rules/incidents.py fold_incidents, monitor/rules/state.py
fold). Plain values, no warehouse: the same story always gives the same messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from monitor.config import MonitorConfig, Rule
from monitor.model import Labels, Severity
from monitor.notify.body import Fact, MessageBody
from monitor.notify.incident_message import incident_body
from monitor.rules.incidents import Incident, fold_incidents, incident_event
from monitor.rules.state import AlertEvent, AlertState, EventType, Evidence, fold, make_event

SHA = "0b5e11ad"  # the demo's broken commit
KEY = f"commit:{SHA}"
INC = "55ad9855-88ed-59b7-8787-308a79bb0e66"
OPENED = dt.datetime(2026, 1, 9, 15, 15, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
V8, ENSEMBLE = "catboost_v8", "ensemble_v1"
FIRST_PREDICTED = "2026-01-09T13:18:04.125000+00:00"
REVISION = "prediction-worker-00011-0b5"


def labels(system: str = V8, commit: str = SHA) -> Labels:
    return (("build_commit_sha", commit), ("system_id", system))


def share(metric: str, value: float, n: int, interval: tuple[float, float],
          threshold: float, *, dates: tuple[str, ...] = ("2026-01-09",)) -> Evidence:
    """A share's evidence as the prediction-time checks give it: the batch's context."""
    low = f"{interval[0]:.1%}"
    return Evidence(metric, value, n, interval, None, threshold,
                    f"lower bound {low} > {threshold:.1%}", dates,
                    (("deployment_revision", REVISION), ("first_predicted_at", FIRST_PREDICTED)))


MISMATCH = share("mismatch_share", 0.836, 134, (0.764, 0.889), 0.05)
PPM = share("ppm_default_share", 0.836, 286, (0.788, 0.874), 0.10)
STALE = Evidence("stale_backfill_batches", 1, 1, None, None, 0, "value 1 > 0")
# The commit's provenance, said once for the incident (monitor/delivery.py's hints).
HINTS = (Fact("commit first seen", "2026-01-09 13:16 UTC"),
         Fact("feature_source_mode", "backfill"), Fact("deployment_revision", REVISION))


@dataclass
class Story:
    """One incident's events, told in order."""

    key: str = KEY
    severity: Severity = "critical"
    at: dt.datetime = OPENED
    incident_id: str = INC
    number: int = 1
    events: list[AlertEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.events.append(incident_event(self.at, self.run(self.at), "opened",
                                          self.incident_id, self.key, self.severity,
                                          detail=str(self.number)))

    @staticmethod
    def run(at: dt.datetime) -> str:
        return f"run-{at:%Y%m%dT%H%M}"

    def _member(self, at: dt.datetime, kind: EventType, rule: str, severity: Severity,
                lbl: Labels, evidence: Evidence | None = None) -> Story:
        event = make_event(at, self.run(at), kind, rule, severity, lbl, evidence=evidence)
        self.events.append(replace(event, incident_id=self.incident_id, incident_key=self.key))
        return self

    def fire(self, rule: str, lbl: Labels, evidence: Evidence | None = None, *,
             severity: Severity = "critical", at: dt.datetime | None = None) -> Story:
        return self._member(at or self.at, "fired", rule, severity, lbl, evidence)

    def resolve(self, rule: str, lbl: Labels, *, severity: Severity = "critical",
                at: dt.datetime) -> Story:
        return self._member(at, "resolved", rule, severity, lbl)

    def posted(self, at: dt.datetime | None = None, what: str = "post") -> Story:
        at = at or self.at
        self.events.append(incident_event(
            at, self.run(at), "notified", self.incident_id, self.key, self.severity,
            detail=what, slack_ts="1767971700.000100" if what == "post" else None,
            slack_channel="C0ALERTS"))
        return self

    def closed(self, at: dt.datetime) -> Story:
        self.events.append(incident_event(at, self.run(at), "resolved", self.incident_id,
                                          self.key, self.severity))
        return self

    def incident(self) -> Incident:
        return fold_incidents(self.events)[self.incident_id]

    def alerts(self) -> dict[str, AlertState]:
        return fold(self.events)


def rules_of(config: MonitorConfig) -> dict[str, Rule]:
    return {r.name: r for r in config.rules}


def demo_story() -> Story:
    """The demo's incident as the cycle at 2026-01-09 15:15 UTC posts it: commit
    0b5e11ad on catboost_v8, three rules firing."""
    story = Story()
    story.fire("backfill_on_stale_commit", labels(), STALE)
    story.fire("ppm_default_filled", labels(), PPM)
    story.fire("vegas_line_feature_mismatch", labels(), MISMATCH)
    return story


DEMO_SHIFT = ("ppm_avg_last_10 PSI 8.96 (vs 064a6062: at sentinel 0.0% → 83.5%, missing "
              "0.0% → 0.0%, mean 0.4244 → 0.4012); vegas_points_line PSI 0.72 (vs "
              "064a6062: at sentinel 0.0% → 0.0%, missing 62.5% → 92.3%, mean 17.98 → "
              "16.86); has_vegas_line PSI 0.54 (vs 064a6062: at sentinel 62.5% → 92.3%, "
              "missing 0.0% → 0.0%, mean 0.3754 → 0.07719)")


def demo_body(rules: Mapping[str, Rule]) -> MessageBody:
    """The demo incident's top-level message (docs/incidents.md shows its markdown)."""
    story = demo_story()
    return incident_body(story.incident(), story.alerts(), rules,
                         hints=(*HINTS, Fact("features shifted", DEMO_SHIFT)))
