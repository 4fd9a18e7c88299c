"""Alert state transitions as plain functions over plain values: no server, no clock."""

from __future__ import annotations

from monitor.config import MonitorConfig, Silence
from monitor.rules.state import (
    AlertEvent,
    AlertState,
    fingerprint,
    fold,
    make_event,
    owed_notifications,
    transition,
)
from tests.alert_log import EV, LABELS, RULE, RULES, H, Log, T, cand


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
    log = Log()
    assert log.cycle(T, "1", True, deliver=False) == ["fired", "notify_failed:firing"]
    assert log.cycle(T + H, "2", False, deliver=False) == ["clear", "notify_failed:firing"]
    # Resolved while Slack is still down: the firing is still owed, now as "both".
    assert log.cycle(T + 2 * H, "3", False, deliver=False) == [
        "clear", "resolved", "notify_failed:fired_resolved"]
    owed = owed_notifications(fold(log.events), RULES)
    assert [st.pending for st in owed] == ["fired_resolved"]
    # (The incident's one post that says both: tests/test_incidents.py.)
    # Slack is back: sent once, then nothing is owed.
    assert log.cycle(T + 3 * H, "4", False) == ["notified:fired_resolved"]
    assert log.cycle(T + 4 * H, "5", False) == []


def test_a_message_refused_for_good_is_owed_once_then_tried_after_the_repeat_interval(
        ) -> None:
    log = Log()
    assert log.cycle(T, "1", True, deliver="dropped") == ["fired", "notify_dropped:firing"]
    state = fold(log.events)[fingerprint("r", LABELS)]
    assert state.pending is None and state.undelivered and state.dropped_at == T
    # Not owed: nothing is sent in the runs inside the repeat interval (4 h).
    for hour in (1, 2, 3):
        assert log.cycle(T + hour * H, str(hour + 1), True, deliver="dropped") == []
    # One more try after the interval: still refused, dropped again, not re-sent hourly.
    assert log.cycle(T + 4 * H, "5", True, deliver="dropped") == [
        "repeated", "notify_dropped:firing"]
    assert log.cycle(T + 5 * H, "6", True, deliver="dropped") == []
    # The channel works again: what still fires is posted once, as a firing (nobody
    # was told), then it is an ordinary delivered alert.
    assert log.cycle(T + 8 * H, "7", True) == ["repeated", "notified:firing"]
    assert log.cycle(T + 9 * H, "8", True) == []
    state = fold(log.events)[fingerprint("r", LABELS)]
    assert not state.undelivered and state.dropped_at is None and state.notified_at == T + 8 * H
    assert log.cycle(T + 12 * H, "9", True) == ["repeated", "notified:repeat"]


def test_a_refused_reminder_is_tried_again_as_a_reminder() -> None:
    log = Log()
    assert log.cycle(T, "1", True) == ["fired", "notified:firing"]
    assert log.cycle(T + 4 * H, "2", True, deliver="dropped") == [
        "repeated", "notify_dropped:repeat"]
    assert log.cycle(T + 5 * H, "3", True) == []
    assert log.cycle(T + 8 * H, "4", True) == ["repeated", "notified:repeat"]


def test_a_refused_alert_that_resolves_owes_nothing() -> None:
    log = Log()
    log.cycle(T, "1", True, deliver="dropped")
    assert log.cycle(T + H, "2", False) == ["clear"]
    # Nobody was told it fired: no "fired and resolved", no reply to a thread.
    assert log.cycle(T + 2 * H, "3", False) == ["clear", "resolved"]
    state = fold(log.events)[fingerprint("r", LABELS)]
    assert not state.active and not state.undelivered and state.dropped_at is None
    # It fires again later: a new firing, owed at once.
    assert log.cycle(T + 3 * H, "4", True) == ["fired", "notified:firing"]


def test_a_retryable_failure_stays_owed_unlike_a_refusal() -> None:
    log = Log()
    assert log.cycle(T, "1", True, deliver=False) == ["fired", "notify_failed:firing"]
    assert log.cycle(T + H, "2", True, deliver="dropped") == ["notify_dropped:firing"]
    assert log.cycle(T + 2 * H, "3", True) == []
    assert owed_notifications(fold(log.events), RULES) == []


def test_once_the_channel_takes_another_message_what_it_refused_is_owed_at_once() -> None:
    other = (("build_commit_sha", "bad"), ("system_id", "ensemble"))

    def refused_then_other_delivered(detail: str) -> AlertState:
        events = [make_event(T, "1", "fired", "r", "critical", LABELS, evidence=EV),
                  make_event(T, "1", "notify_dropped", "r", "critical", LABELS, detail=detail),
                  make_event(T + H, "2", "fired", "r", "critical", other, evidence=EV),
                  make_event(T + H, "2", "notified", "r", "critical", other, detail="firing",
                             slack_ts="ts2")]
        return fold(events)[fingerprint("r", LABELS)]

    # The channel was missing; a later message went through: the refused firing is
    # owed now, not after the repeat interval, under a key of its own.
    state = refused_then_other_delivered("firing: channel_not_found")
    assert state.pending == "firing" and state.pending_key and not state.channel_refused
    # Only that message was refused (too long): another delivery proves nothing.
    state = refused_then_other_delivered("firing: msg_too_long (this message)")
    assert state.pending is None and state.undelivered
