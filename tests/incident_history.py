"""Incidents in the alert log as the cycle writes them (monitor/rules/incidents.py),
made by hand: what the views of incidents (backtest, frames, the report) are tested on."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from monitor.model import Labels, Severity
from monitor.rules.incidents import incident_event, incident_id_for
from monitor.rules.state import AlertEvent, EventType, Evidence, make_event

T = dt.datetime(2026, 1, 9, 15, 15, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
COMMIT = "0b5e11ad"
BAD: Labels = (("build_commit_sha", COMMIT), ("system_id", "catboost_v8"))
V9: Labels = (("system_id", "catboost_v9"),)
EV = Evidence("ppm_default_share", 0.9, 120, (0.84, 0.94), None, 0.1, "lower bound 84% > 10%")
CHANNEL = "C0ALERTS"
FIRST_TS, SECOND_TS = "1767971700.000100", "1767978900.000200"
FIRST_KEY, SECOND_KEY = f"commit:{COMMIT}", "system_id=catboost_v9"


def member(at: dt.datetime, run: str, kind: EventType, rule: str, severity: Severity,
           labels: Labels, inc: str, key: str, *, detail: str | None = None,
           evidence: Evidence | None = None) -> AlertEvent:
    event = make_event(at, run, kind, rule, severity, labels, evidence=evidence,
                       detail=detail)
    return replace(event, incident_id=inc, incident_key=key)


def incident_history(t0: dt.datetime = T) -> tuple[list[AlertEvent], str, str]:
    """The events, and the two incidents' ids.

    #1, `commit:0b5e11ad`, critical: ppm_default_filled fires at t0 and pages;
    hit_rate_below_55 joins an hour later, inhibited by it (a reply and an update); a
    reminder a day after the page; at t0+30h both resolve and so does the incident (a
    reply and an update). #2, `system_id=catboost_v9`, warning: vegas_coverage_dropped
    fires at t0+2h and pages; acknowledged by U123 at t0+26h, still open."""
    fired = member(t0, "r1", "fired", "ppm_default_filled", "critical", BAD, "", "",
                   evidence=EV)
    first = incident_id_for(FIRST_KEY, fired.event_id)
    fired = replace(fired, incident_id=first, incident_key=FIRST_KEY)
    t1, t2 = t0 + H, t0 + 2 * H
    coverage = member(t2, "r3", "fired", "vegas_coverage_dropped", "warning", V9, "", "")
    second = incident_id_for(SECOND_KEY, coverage.event_id)
    coverage = replace(coverage, incident_id=second, incident_key=SECOND_KEY)
    return [
        incident_event(t0, "r1", "opened", first, FIRST_KEY, "critical", detail="1"),
        fired,
        incident_event(t0, "r1", "notified", first, FIRST_KEY, "critical", detail="post",
                       slack_ts=FIRST_TS, slack_channel=CHANNEL),
        member(t1, "r2", "fired", "hit_rate_below_55", "critical", BAD, first, FIRST_KEY),
        member(t1, "r2", "inhibited", "hit_rate_below_55", "critical", BAD, first,
               FIRST_KEY, detail="ppm_default_filled"),
        incident_event(t1, "r2", "notified", first, FIRST_KEY, "critical", detail="reply"),
        incident_event(t1, "r2", "notified", first, FIRST_KEY, "critical", detail="update"),
        incident_event(t2, "r3", "opened", second, SECOND_KEY, "warning", detail="2"),
        coverage,
        incident_event(t2, "r3", "notified", second, SECOND_KEY, "warning", detail="post",
                       slack_ts=SECOND_TS, slack_channel=CHANNEL),
        incident_event(t0 + 25 * H, "r4", "notified", first, FIRST_KEY, "critical",
                       detail="reminder"),
        incident_event(t0 + 26 * H, "slack", "acknowledged", second, SECOND_KEY, "warning",
                       actor="U123"),
        member(t0 + 30 * H, "r5", "resolved", "ppm_default_filled", "critical", BAD, first,
               FIRST_KEY),
        member(t0 + 30 * H, "r5", "resolved", "hit_rate_below_55", "critical", BAD, first,
               FIRST_KEY),
        incident_event(t0 + 30 * H, "r5", "resolved", first, FIRST_KEY, "critical"),
        incident_event(t0 + 30 * H, "r5", "notified", first, FIRST_KEY, "critical",
                       detail="reply"),
        incident_event(t0 + 30 * H, "r5", "notified", first, FIRST_KEY, "critical",
                       detail="update"),
    ], first, second
