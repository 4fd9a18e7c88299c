"""Acknowledge, silence and unsilence from Slack: events in the alert log with the
Slack user as actor, folded like every other event. Plain values, no server."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.rules.state import (
    AlertEvent,
    AlertState,
    Candidate,
    action_events,
    fingerprint,
    fold,
    make_event,
    owed_notifications,
    transition,
)
from tests.alert_log import EV, LABELS, RULE, RULES, H, Log, T
from tests.contract import ContractDB

OTHER = (("build_commit_sha", "bad"), ("system_id", "v9"))


def act(log: Log, action: str, now: dt.datetime, user: str = "U1",
        labels: tuple[tuple[str, str], ...] = LABELS) -> list[AlertEvent]:
    states = [fold(log.events)[fingerprint("r", labels)]]
    events = action_events(states, action, now=now, run_id=f"slack:{now.isoformat()}",
                           actor=user)
    log.events += events
    return events


def test_acknowledged_alert_does_not_repeat_until_it_resolves() -> None:
    log = Log()
    assert log.cycle(T, "1", True) == ["fired", "notified:firing"]
    ack, = act(log, "acknowledged", T + H)
    assert (ack.event_type, ack.actor) == ("acknowledged", "U1")
    st = fold(log.events)[fingerprint("r", LABELS)]
    assert (st.acknowledged_by, st.acknowledged_at) == ("U1", T + H)
    # The rule repeats every 4 h: acknowledged, it stays quiet for days.
    assert log.cycle(T + 4 * H, "2", True) == []
    assert log.cycle(T + 30 * H, "3", True) == []
    # Resolved, the acknowledgement ends: the next firing is a new alert.
    assert log.cycle(T + 31 * H, "4", False) == ["clear"]
    assert log.cycle(T + 32 * H, "5", False) == ["clear", "resolved", "notified:resolved"]
    assert fold(log.events)[fingerprint("r", LABELS)].acknowledged_by is None
    assert log.cycle(T + 33 * H, "6", True) == ["fired", "notified:firing"]
    assert log.cycle(T + 37 * H, "7", True) == ["repeated", "notified:repeat"]


def test_a_new_label_set_joining_ends_the_acknowledgement() -> None:
    log = Log()
    log.cycle(T, "1", True)
    act(log, "acknowledged", T + H)
    new = transition(fold(log.events), [Candidate("r", "critical", LABELS, True, EV),
                                        Candidate("r", "critical", OTHER, True, EV)],
                     RULES, {"r"}, T + 2 * H, "2")
    assert [(e.event_type, e.labels) for e in new] == [("fired", OTHER)]
    log.events += new
    assert fold(log.events)[fingerprint("r", LABELS)].acknowledged_by is None
    # ... so the first alert repeats again on its interval.
    assert log.cycle(T + 4 * H, "3", True)[:1] == ["repeated"]


def test_acknowledging_twice_writes_one_event_and_a_quiet_alert_none() -> None:
    log = Log()
    log.cycle(T, "1", True)
    assert len(act(log, "acknowledged", T + H)) == 1
    assert act(log, "acknowledged", T + 2 * H, user="U2") == []
    assert fold(log.events)[fingerprint("r", LABELS)].acknowledged_by == "U1"


def test_silence_from_slack_mutes_at_once_and_expires_on_time() -> None:
    log = Log()
    log.cycle(T, "1", True)
    silence, = act(log, "silence", T + H)
    assert silence.detail == (T + 25 * H).isoformat() and silence.actor == "U1"
    st = fold(log.events)[fingerprint("r", LABELS)]
    assert st.silenced and st.silenced_until == T + 25 * H and st.silenced_by == "U1"
    # Repeats every 4 h are muted for the 24 hours, not one minute longer.
    assert log.cycle(T + 5 * H, "2", True) == []
    assert log.cycle(T + 25 * H - dt.timedelta(minutes=1), "3", True) == []
    assert log.cycle(T + 25 * H, "4", True) == ["fired", "notified:firing"]
    assert fold(log.events)[fingerprint("r", LABELS)].silenced is False


def test_slack_silence_outlives_a_resolution_like_an_alerts_yaml_silence() -> None:
    log = Log()
    log.cycle(T, "1", True)
    act(log, "silence", T + H)
    log.cycle(T + 2 * H, "2", False)
    # Resolved as a silenced alerts.yaml alert is: the thread is told.
    assert log.cycle(T + 3 * H, "3", False) == ["clear", "resolved", "notified:resolved"]
    # Fires again within the 24 hours: recorded, silenced, nothing posted.
    assert log.cycle(T + 4 * H, "4", True) == ["fired", "silenced"]
    silenced = [e for e in log.events if e.event_type == "silenced"]
    assert silenced[-1].detail == "silenced from Slack by U1"


def test_unsilence_gives_the_alert_back_at_the_next_cycle() -> None:
    log = Log()
    log.cycle(T, "1", True)
    act(log, "silence", T + H)
    assert act(log, "unsilence", T + 2 * H, user="U2")[0].actor == "U2"
    st = fold(log.events)[fingerprint("r", LABELS)]
    assert st.silenced_until is None
    assert log.cycle(T + 3 * H, "2", True) == ["fired", "notified:firing"]
    # Nothing to unsilence any more: no event.
    assert act(log, "unsilence", T + 4 * H) == []


def test_an_alerts_yaml_silence_is_not_lifted_by_unsilence() -> None:
    from monitor.config import Silence

    rules = {"r": RULE.model_copy(update={"silences": [Silence(
        matchers={"system_id": "v8"}, expires_at=T + 48 * H, comment="known")]})}
    events = transition({}, [Candidate("r", "critical", LABELS, True, EV)], rules, {"r"},
                        T, "1")
    st = fold(events)[fingerprint("r", LABELS)]
    assert st.silenced and action_events([st], "unsilence", now=T + H, run_id="s",
                                         actor="U1") == []
    assert owed_notifications(fold(events), rules) == []


def test_actions_on_resolved_alerts_write_nothing_but_a_silence() -> None:
    resolved = AlertState(fingerprint("r", LABELS), "r", "critical", LABELS, active=False)
    assert action_events([resolved], "acknowledged", now=T, run_id="s", actor="U1") == []
    silence, = action_events([resolved], "silence", now=T, run_id="s", actor="U1")
    assert fold([silence])[resolved.fingerprint].silenced is False  # nothing to mute yet
    assert fold([silence])[resolved.fingerprint].slack_silenced(T + H)


def test_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        action_events([], "delete", now=T, run_id="s", actor="U1")


def test_action_events_round_trip_through_the_store_rows() -> None:
    from monitor.rules.store import event_from_row, event_params

    ev = make_event(T, "slack:1", "silence", "r", "critical", LABELS,
                    detail=(T + 24 * H).isoformat(), actor="U1")
    params = dict(event_params(ev))
    assert params["actor"] == "U1"
    row = {**params, "labels_json": params["labels_json"], "evidence_json": None}
    assert event_from_row(row) == ev


@pytest.mark.parametrize("backend", ["duckdb", "bigquery"])
def test_actions_and_their_actors_round_trip_through_both_warehouses(
        db: ContractDB, backend: str) -> None:
    from monitor.migrations import ensure_schema
    from monitor.rules.store import WarehouseAlertStore
    from monitor.warehouse.duckdb import DuckDBWarehouse
    from tests.fakes.bigquery_server import bq_warehouse, start_fake_bigquery, stop_fake_bigquery

    db.close()
    local = DuckDBWarehouse(db.path)
    ensure_schema(local, migrate=True)
    fired = make_event(T, "run-1", "fired", "r", "critical", LABELS, evidence=EV)
    ack = make_event(T + H, "slack:1", "acknowledged", "r", "critical", LABELS, actor="U0ONCALL")
    silence = make_event(T + 2 * H, "slack:2", "silence", "r", "critical", LABELS,
                         detail=(T + 26 * H).isoformat(), actor="U0LEAD")
    if backend == "duckdb":
        store = WarehouseAlertStore(local)
        store.append([fired, ack, silence])
        loaded = store.load(T + 3 * H)
        local.close()
    else:
        local.close()
        fake = start_fake_bigquery(db.path)
        try:
            big = bq_warehouse(fake)
            store = WarehouseAlertStore(big)
            store.append([fired, ack, silence])
            loaded = store.load(T + 3 * H)
            big.close()
        finally:
            stop_fake_bigquery(fake)
    assert loaded == [fired, ack, silence]
    st = fold(loaded)[fingerprint("r", LABELS)]
    assert (st.acknowledged_by, st.silenced_by, st.silenced_until) == (
        "U0ONCALL", "U0LEAD", T + 26 * H)
