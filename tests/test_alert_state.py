"""Alert state transitions as plain functions over plain values: no server, no clock."""

from __future__ import annotations

import datetime as dt

from monitor.config import MonitorConfig, Resolve, Rule, Silence
from monitor.rules.state import (
    AlertEvent,
    Candidate,
    Evidence,
    fingerprint,
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
              deliver: bool = True) -> list[str]:
        candidates = [] if firing is None else [cand(firing)]
        new = transition(fold(self.events), candidates, RULES, {"r"}, now, run)
        self.events += new
        kinds = [e.event_type for e in new]
        for st in owed_notifications(fold(self.events), RULES):
            kind = "notified" if deliver else "notify_failed"
            self.events.append(make_event(now, run, kind, st.rule, st.severity, st.labels,
                                          detail=st.pending, slack_ts="ts1"))
            kinds.append(f"{kind}:{st.pending}")
        return kinds


def test_fire_notify_once_repeat_after_interval_then_resolve_after_two_clear_runs() -> None:
    log = Log()
    assert log.cycle(T, "1", True) == ["fired", "notified:firing"]
    assert log.cycle(T + H, "2", True) == []
    assert log.cycle(T + 4 * H, "3", True) == ["repeated", "notified:repeat"]
    assert log.cycle(T + 5 * H, "4", False) == ["clear"]
    assert log.cycle(T + 6 * H, "5", False) == ["clear", "resolved", "notified:resolved"]
    assert log.cycle(T + 7 * H, "6", False) == []
    assert fold(log.events)[fingerprint("r", LABELS)].active is False


def test_firing_again_before_resolution_resets_the_clear_count() -> None:
    log = Log()
    log.cycle(T, "1", True)
    assert log.cycle(T + H, "2", False) == ["clear"]
    assert log.cycle(T + 2 * H, "3", True) == ["fired"]
    assert log.cycle(T + 3 * H, "4", False) == ["clear"]
    assert fold(log.events)[fingerprint("r", LABELS)].active is True


def test_failed_delivery_stays_owed_until_delivered() -> None:
    log = Log()
    assert log.cycle(T, "1", True, deliver=False) == ["fired", "notify_failed:firing"]
    assert log.cycle(T + H, "2", True, deliver=False) == ["notify_failed:firing"]
    assert log.cycle(T + 2 * H, "3", True) == ["notified:firing"]
    assert log.cycle(T + 3 * H, "4", True) == []


def test_same_run_id_does_nothing_twice() -> None:
    log = Log()
    log.cycle(T, "1", True)
    assert log.cycle(T, "1", True) == []
    assert log.cycle(T, "1", False) == []


def test_unevaluated_rule_neither_fires_nor_resolves() -> None:
    log = Log()
    log.cycle(T, "1", True)
    new = transition(fold(log.events), [], RULES, set(), T + H, "2")
    assert new == []


def test_silence_until_expiry(config: MonitorConfig) -> None:
    silenced = RULE.model_copy(update={"silences": [Silence(
        matchers={"system_id": "v8"}, expires_at=T + 2 * H, comment="known")]})
    rules = {"r": silenced}
    events: list[AlertEvent] = []
    for i, now in enumerate((T, T + H, T + 3 * H)):
        new = transition(fold(events), [cand()], rules, {"r"}, now, str(i))
        events += new
    kinds = [(e.event_type, e.detail) for e in events]
    assert kinds == [("fired", None), ("silenced", "known"), ("fired", "unsilenced")]
    assert [s.pending for s in owed_notifications(fold(events), rules)] == ["firing"]


def test_fingerprint_is_rule_plus_labels() -> None:
    assert fingerprint("r", LABELS) == fingerprint("r", tuple(reversed(LABELS)))
    assert fingerprint("r", LABELS) != fingerprint("s", LABELS)
    assert fingerprint("r", LABELS) != fingerprint("r", (("system_id", "v8"),))


def test_an_owed_firing_survives_its_resolve_as_one_message_that_says_both() -> None:
    from monitor.cycle import plan_messages

    log = Log()
    assert log.cycle(T, "1", True, deliver=False) == ["fired", "notify_failed:firing"]
    assert log.cycle(T + H, "2", False, deliver=False) == ["clear", "notify_failed:firing"]
    # Resolved while Slack is still down: the firing is still owed, now as "both".
    assert log.cycle(T + 2 * H, "3", False, deliver=False) == [
        "clear", "resolved", "notify_failed:fired_resolved"]
    owed = owed_notifications(fold(log.events), RULES)
    assert [st.pending for st in owed] == ["fired_resolved"]
    plan, = plan_messages(owed, RULES, threads=True, provenance={})
    assert plan.kind == "fired_resolved" and plan.thread_ts is None
    text = str(plan.message.blocks)
    assert "fired and resolved since" in plan.message.text and "has been clear" in text
    # Slack is back: sent once, then nothing is owed.
    assert log.cycle(T + 3 * H, "4", False) == ["notified:fired_resolved"]
    assert log.cycle(T + 4 * H, "5", False) == []
