"""Three behaviours that keep the monitor honest, each pinned by a plain-value test
(no warehouse, no server): a check that cannot run alerts; a `below` rule with interval
evidence fires only when the whole interval is below; a run re-executed acts no more."""

from __future__ import annotations

import datetime as dt

from monitor.config import Resolve, Rule, Silence
from monitor.cycle import BUILT_IN_RULES, CHECK_ERROR_RULE, candidates_for
from monitor.model import CheckResult, Observation, Status
from monitor.rules.evaluate import CLEAR, FIRING, evaluate_rule
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


# --- the built-in monitor_check_error alert -------------------------------------------

def test_a_check_that_errors_fires_monitor_check_error_with_its_summary() -> None:
    rules = {r.name: r for r in BUILT_IN_RULES}
    results = [CheckResult("hit_rate", Status.ERROR, "query failed: table not found"),
               CheckResult("mismatch", Status.OK, "all clear")]
    candidates, evaluated = candidates_for(results, rules, games_expected=True)
    by_check = {dict(c.labels).get("check"): c for c in candidates
                if c.rule == CHECK_ERROR_RULE.name}
    assert set(by_check) == {"hit_rate", "mismatch"}
    errored, fine = by_check["hit_rate"], by_check["mismatch"]
    assert errored.firing is True and errored.severity == CHECK_ERROR_RULE.severity
    assert errored.evidence is not None
    assert errored.evidence.metric == "check_error"
    assert errored.evidence.reason == "query failed: table not found"
    # A check that ran is evidence the error is over: its alert may resolve.
    assert fine.firing is False and fine.evidence is None
    assert CHECK_ERROR_RULE.name in evaluated

    # Through alert state: it fires and a message is owed.
    new = transition({}, candidates, rules, evaluated, T, "run-1")
    fired = [e for e in new if e.event_type == "fired"]
    assert [(e.rule, e.labels) for e in fired] == [
        (CHECK_ERROR_RULE.name, (("check", "hit_rate"),))]
    owed = owed_notifications(fold(new), rules)
    assert [(st.rule, st.pending) for st in owed] == [(CHECK_ERROR_RULE.name, "firing")]


def test_an_errored_check_judges_none_of_its_rules() -> None:
    """Its own rules neither fire nor resolve (missing data is not health); the
    error itself is what alerts."""
    rule = Rule(name="hit_rate_low", metric="hit_rate", below=0.5, severity="critical",
                group_by=["system_id"])
    rules = {rule.name: rule, **{r.name: r for r in BUILT_IN_RULES}}
    candidates, evaluated = candidates_for(
        [CheckResult("hit_rate", Status.ERROR, "timeout")], rules, games_expected=True)
    assert "hit_rate_low" not in evaluated
    assert [(c.rule, c.firing) for c in candidates if c.rule != "monitor_no_data"] == [
        (CHECK_ERROR_RULE.name, True)]


# --- interval evidence for `below` rules ----------------------------------------------

BELOW = Rule(name="hit_rate_low", metric="hit_rate", below=0.55, evidence="interval",
             severity="critical", group_by=["system_id"])


def rate(value: float, low: float, high: float, n: int = 400) -> Observation:
    return Observation("hit_rate", "hit_rate", (("system_id", "v8"),), value, n, (low, high))


def test_below_with_interval_evidence_fires_only_when_the_upper_bound_is_below() -> None:
    # The value is well below, but the interval still reaches the threshold: not evidence.
    reaching = evaluate_rule(BELOW, rate(0.45, 0.40, 0.58))
    assert reaching.state == CLEAR
    # The lower bound alone below (the `above` rule's test, mirrored) is not enough either.
    assert evaluate_rule(BELOW, rate(0.56, 0.50, 0.62)).state == CLEAR
    # Touching the threshold is not below it.
    assert evaluate_rule(BELOW, rate(0.50, 0.45, 0.55)).state == CLEAR
    below = evaluate_rule(BELOW, rate(0.45, 0.40, 0.52))
    assert below.state == FIRING
    assert below.reason.startswith("upper bound ") and "52" in below.reason


def test_below_with_point_evidence_judges_the_value_alone() -> None:
    point = BELOW.model_copy(update={"evidence": "point"})
    fired = evaluate_rule(point, rate(0.45, 0.40, 0.58))
    assert fired.state == FIRING and fired.reason.startswith("value ")
    assert evaluate_rule(point, rate(0.56, 0.50, 0.54)).state == CLEAR


def test_below_with_interval_evidence_and_no_interval_judges_the_value() -> None:
    obs = Observation("hit_rate", "hit_rate", (("system_id", "v8"),), 0.45, 400, None)
    fired = evaluate_rule(BELOW, obs)
    assert fired.state == FIRING and fired.reason.startswith("value ")


# --- the same-run guard ---------------------------------------------------------------

LABELS = (("system_id", "v8"),)
EV = Evidence("hit_rate", 0.45, 400, (0.40, 0.52), None, 0.55, "upper bound 52% < 55%")
RULE = Rule(name="r", metric="hit_rate", below=0.55, severity="critical",
            group_by=["system_id"], repeat_interval=4 * H,
            resolve=Resolve(announce=True, after_runs=2))


def step(events: list[AlertEvent], rules: dict[str, Rule], now: dt.datetime, run: str,
         firing: bool) -> list[str]:
    """One cycle: transition, then delivery of whatever is owed succeeds."""
    cand = Candidate("r", "critical", LABELS, firing, EV if firing else None)
    new = transition(fold(events), [cand], rules, {"r"}, now, run)
    events += new
    for st in owed_notifications(fold(events), rules):
        events.append(make_event(now, run, "notified", st.rule, st.severity, st.labels,
                                 detail=st.pending, slack_ts="ts1"))
    return [e.event_type if e.detail is None else f"{e.event_type}:{e.detail}" for e in new]


def test_a_run_re_executed_later_does_not_repeat_what_it_already_did() -> None:
    """A job retried with the same run id, hours later: a repeat is due by the clock,
    but this run already acted on the alert."""
    rules = {"r": RULE}
    events: list[AlertEvent] = []
    assert step(events, rules, T, "1", True) == ["fired"]
    assert step(events, rules, T + 4 * H, "2", True) == ["repeated"]
    assert fold(events)[fingerprint("r", LABELS)].notified_at == T + 4 * H
    assert step(events, rules, T + 9 * H, "2", True) == []
    assert step(events, rules, T + 9 * H, "3", True) == ["repeated"]


def test_a_run_re_executed_after_a_silence_expired_does_not_unsilence() -> None:
    silenced = RULE.model_copy(update={"silences": [Silence(
        matchers={"system_id": "v8"}, expires_at=T + H, comment="known")]})
    rules = {"r": silenced}
    events: list[AlertEvent] = []
    assert step(events, rules, T, "1", True) == ["fired", "silenced:known"]
    assert step(events, rules, T + 2 * H, "1", True) == []
    assert step(events, rules, T + 2 * H, "2", True) == ["fired:unsilenced"]


def test_a_run_re_executed_with_late_data_does_not_refire_what_it_cleared() -> None:
    rules = {"r": RULE}
    events: list[AlertEvent] = []
    assert step(events, rules, T, "1", True) == ["fired"]
    assert step(events, rules, T + H, "2", False) == ["clear"]
    # The same run again, now seeing the alert fire: it already counted this run.
    assert step(events, rules, T + 2 * H, "2", True) == []
    assert step(events, rules, T + 2 * H, "2", False) == []
    st = fold(events)[fingerprint("r", LABELS)]
    assert st.active and st.clear_runs == 1
