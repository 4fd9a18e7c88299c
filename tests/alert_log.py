"""One alert rule played cycle by cycle over plain values: the alert-state tests' log."""

from __future__ import annotations

import datetime as dt

from monitor.config import Resolve, Rule
from monitor.rules.state import (
    AlertEvent,
    Candidate,
    Evidence,
    fold,
    make_event,
    owed_notifications,
    transition,
)

T = dt.datetime(2026, 1, 9, 15, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
LABELS = (("build_commit_sha", "bad"), ("system_id", "v8"))
EV = Evidence("mismatch_share", 0.9, 100, (0.82, 0.95), None, 0.05, "lower bound 82% > 5%")
RULE = Rule(name="r", metric="mismatch_share", above=0.05, severity="critical",
            group_by=["system_id", "build_commit_sha"], repeat_interval=dt.timedelta(hours=4),
            resolve=Resolve(announce=True, after_runs=2))
RULES = {"r": RULE}


def cand(firing: bool = True) -> Candidate:
    return Candidate("r", "critical", LABELS, firing, EV if firing else None)


class Log:
    """Plays the cycle: transition, then pretend delivery succeeded (or failed)."""

    def __init__(self) -> None:
        self.events: list[AlertEvent] = []

    def cycle(self, now: dt.datetime, run: str, firing: bool | None,
              deliver: bool | str = True) -> list[str]:
        """`deliver`: True (sent), False (a retryable failure) or "dropped" (the
        channel refused for good)."""
        candidates = [] if firing is None else [cand(firing)]
        new = transition(fold(self.events), candidates, RULES, {"r"}, now, run)
        self.events += new
        kinds = [e.event_type for e in new]
        for st in owed_notifications(fold(self.events), RULES):
            if deliver == "dropped":
                self.events.append(make_event(now, run, "notify_dropped", st.rule,
                                              st.severity, st.labels,
                                              detail=f"{st.pending}: channel_not_found"))
                kinds.append(f"notify_dropped:{st.pending}")
                continue
            kind = "notified" if deliver else "notify_failed"
            self.events.append(make_event(now, run, kind, st.rule, st.severity, st.labels,
                                          detail=st.pending, slack_ts="ts1"))
            kinds.append(f"{kind}:{st.pending}")
        return kinds
